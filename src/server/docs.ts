import { TOKEN_FORM, TOKEN_SCRIPT } from "./page-token.ts";

/**
 * The API docs at GET /docs: one self-contained page (no CDN) that reads /openapi.json and lists each
 * operation with its parameters, request body and responses, schemas shown as JSON text.
 */
export function renderDocs(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ragcache API</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; max-width: 60rem; }
  .operation { border: 1px solid #e5e7eb; padding: .2rem .8rem .6rem; margin-top: .8rem; }
  .method { font-weight: 700; text-transform: uppercase; margin-right: .5rem; }
  pre { background: #f3f4f6; padding: .4rem; overflow-x: auto; font-size: 12px; }
  #error { color: #b91c1c; }
</style>
</head>
<body>
<h1>ragcache API</h1>
<p>From <a href="openapi.json">openapi.json</a> (OpenAPI 3.1). <span id="error"></span></p>
${TOKEN_FORM}
<div id="operations"></div>
<script>
"use strict";
${TOKEN_SCRIPT}
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
const schemaText = (content) => JSON.stringify(content, null, 2);
function operation(path, method, op) {
  const parts = [el("h2", {}, el("span", { class: "method" }, method), path), el("p", {}, op.summary || "")];
  if (op.parameters && op.parameters.length)
    parts.push(el("h3", {}, "parameters"), el("ul", {}, ...op.parameters.map((p) =>
      el("li", {}, p.name + " (" + p.in + (p.required ? ", required" : "") + "): " + JSON.stringify(p.schema)))));
  if (op.requestBody) parts.push(el("h3", {}, "body"), el("pre", {}, schemaText(op.requestBody.content)));
  parts.push(el("h3", {}, "responses"), el("ul", {}, ...Object.entries(op.responses).map(([status, response]) =>
    el("li", { "data-status": status }, status + " " + response.description,
      response.content ? el("pre", {}, schemaText(response.content)) : ""))));
  return el("section", { class: "operation", "data-path": path, "data-method": method }, ...parts);
}
async function load() {
  try {
    const response = await fetchWithToken("openapi.json");
    if (!response.ok) throw new Error("/openapi.json answered " + response.status);
    const spec = await response.json();
    const sections = [];
    for (const [path, methods] of Object.entries(spec.paths))
      for (const [method, op] of Object.entries(methods)) sections.push(operation(path, method, op));
    document.getElementById("operations").replaceChildren(...sections);
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = String(error.message || error);
  }
}
whenTokenGiven(load);
load();
</script>
</body>
</html>`;
}
