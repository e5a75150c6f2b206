import { TOKEN_SCRIPT } from "./page-token.ts";

/**
 * The dashboard's script, run in the browser. Everything shown is set through `textContent` or DOM
 * attributes, never parsed as HTML, so no layer name, query or error text can inject markup. The
 * token is handled by `TOKEN_SCRIPT`.
 */
export function dashboardScript(refreshMs: number): string {
  return `"use strict";
const EVERY = Number(new URLSearchParams(location.search).get("every")) || ${refreshMs};
${TOKEN_SCRIPT}
const HISTORY = 90;
const DASH = "\\u2014";
const history = new Map();
const byId = (id) => document.getElementById(id);
const missing = (value) => value === null || value === undefined || Number.isNaN(value);
const fixed = (value, digits) => (missing(value) ? DASH : Number(value).toFixed(digits));
const percent = (rate) => (missing(rate) ? DASH : (rate * 100).toFixed(1) + " %");
const ms = (value) => fixed(value, 3);
const time = (at) => (missing(at) ? DASH : new Date(at).toLocaleTimeString());

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
const cell = (layer, field, text, className) =>
  el("td", { "data-layer": layer, "data-field": field, class: className || "" }, text);

function sparkline(values, max) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", "90");
  svg.setAttribute("height", "18");
  svg.setAttribute("class", "spark");
  const points = [];
  values.forEach((value, index) => {
    if (missing(value)) return;
    const y = 17 - (max > 0 ? Math.min(1, value / max) : 0) * 16;
    points.push((index * 90) / HISTORY + "," + y.toFixed(1));
  });
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}

/** Per layer: interval hit rate and p95 over the last refreshes, and errors per second. */
function track(layer, errors, now) {
  let seen = history.get(layer.name);
  if (!seen) history.set(layer.name, (seen = { hitRate: [], p95: [], last: undefined }));
  const last = seen.last;
  let errorsPerSecond = null;
  if (last) {
    const lookups = layer.hits - last.hits + layer.misses - last.misses;
    seen.hitRate.push(lookups > 0 ? (layer.hits - last.hits) / lookups : null);
    seen.p95.push(layer.latencyMs.p95);
    if (!missing(errors) && !missing(last.errors)) errorsPerSecond = ((errors - last.errors) * 1000) / Math.max(1, now - last.at);
  }
  seen.hitRate = seen.hitRate.slice(-HISTORY);
  seen.p95 = seen.p95.slice(-HISTORY);
  seen.last = { hits: layer.hits, misses: layer.misses, errors, at: now };
  return { seen, errorsPerSecond };
}

function renderLayers(stats, health, metrics) {
  const now = Date.now();
  const rows = stats.layers.map((layer) => {
    const state = health ? (health.layers.find((h) => h.name === layer.name) || {}).state : undefined;
    const measured = metrics ? metrics.layers.find((m) => m.name === layer.name) : undefined;
    const { seen, errorsPerSecond } = track(layer, measured ? measured.errors.total : null, now);
    const p95Max = Math.max(0, ...seen.p95.filter((v) => !missing(v)));
    return el("tr", {},
      cell(layer.name, "name", layer.name),
      cell(layer.name, "state", state || DASH, "state " + (state || "unknown")),
      cell(layer.name, "hits", layer.hits),
      cell(layer.name, "misses", layer.misses),
      cell(layer.name, "hitRate", percent(layer.hitRate)),
      cell(layer.name, "p50", ms(layer.latencyMs.p50)),
      cell(layer.name, "p95", ms(layer.latencyMs.p95)),
      cell(layer.name, "p99", ms(layer.latencyMs.p99)),
      cell(layer.name, "errorsPerSecond", fixed(errorsPerSecond, 2)),
      el("td", { "data-layer": layer.name, "data-field": "sparklines" }, sparkline(seen.hitRate, 1), sparkline(seen.p95, p95Max)));
  });
  byId("layers").replaceChildren(...rows);
}

function renderPools(stats, metrics) {
  const rows = stats.layers.filter((layer) => "open" in layer).map((layer) => {
    const measured = metrics ? metrics.layers.find((m) => m.name === layer.name) : undefined;
    const exhausted = measured && measured.pool ? measured.pool.exhaustedEvents : null;
    const fallback = layer.fallback ? layer.fallback.entries : null;
    return el("tr", {},
      cell(layer.name, "name", layer.name),
      cell(layer.name, "open", layer.open + " / " + layer.connections),
      cell(layer.name, "busy", layer.busy),
      cell(layer.name, "inFlight", layer.inFlight),
      cell(layer.name, "queued", layer.queued),
      cell(layer.name, "exhaustedEvents", missing(exhausted) ? DASH : exhausted),
      cell(layer.name, "breaker", layer.state === "degraded" ? "open" : "closed", layer.state === "degraded" ? "state degraded" : "state up"),
      cell(layer.name, "pendingReconcile", missing(layer.pendingReconcile) ? DASH : layer.pendingReconcile),
      cell(layer.name, "fallbackEntries", missing(fallback) ? DASH : fallback));
  });
  byId("pools").replaceChildren(...rows);
  byId("pool-section").hidden = rows.length === 0;
}

async function act(route, body) {
  await fetchWithToken("v1/" + route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  refresh();
}

function renderJobs(stats) {
  const panels = stats.jobs.map(({ plugin, route }) => {
    const status = stats.plugins[plugin] || {};
    const progress = status.progress;
    const start = el("button", { "data-action": "start" }, "start");
    const cancel = el("button", { "data-action": "cancel" }, "cancel");
    start.addEventListener("click", () => act(route, {}));
    cancel.addEventListener("click", () => act(route, { cancel: true }));
    start.disabled = Boolean(status.running);
    cancel.disabled = !status.running;
    const failures = el("ul", { "data-field": "failures" },
      ...((progress && progress.failures) || []).map((failure) => el("li", {}, failure.query + ": " + failure.error)));
    const field = (name, text) => el("span", { "data-field": name }, text);
    return el("section", { class: "panel", "data-job": route },
      el("h2", {}, plugin),
      el("div", {}, "state ", field("state", progress ? progress.state : "never run"),
        " \\u00b7 progress ", field("progress", progress ? progress.done + " / " + progress.total + ", " + progress.failed + " failed" : DASH),
        " \\u00b7 last run ", field("lastRun", time(progress && (progress.finishedAt || progress.startedAt))),
        " \\u00b7 next run ", field("nextRun", time(status.nextRun))),
      el("div", {}, start, " ", cancel), failures);
  });
  byId("jobs").replaceChildren(...panels);
}

/** Any other plugin's declared stats, as JSON text. */
function renderPluginPanels(stats) {
  const shown = new Set(["metrics", ...stats.jobs.map((job) => job.plugin)]);
  const panels = Object.entries(stats.plugins).filter(([name]) => !shown.has(name)).map(([name, numbers]) =>
    el("section", { class: "panel", "data-plugin": name }, el("h2", {}, name), el("pre", {}, JSON.stringify(numbers, null, 2))));
  byId("plugins").replaceChildren(...panels);
}

function renderGateway(models) {
  byId("gateway-section").hidden = !models;
  if (!models) return;
  const rows = Object.entries(models).map(([model, m]) =>
    el("tr", {}, cell(model, "model", model), cell(model, "hits", String(m.requests.hit)),
      cell(model, "semantic", String(m.requests.semantic)), cell(model, "misses", String(m.requests.miss)),
      cell(model, "upstreamCalls", String(m.upstreamCalls)),
      cell(model, "savedTokens", String(m.savedPromptTokens + m.savedCompletionTokens)), cell(model, "savedCost", fixed(m.savedCost, 4))));
  byId("models").replaceChildren(...rows);
}

function renderWarning(metrics) {
  const recent = metrics && metrics.overall.window;
  const low = Boolean(recent) && recent.requests >= recent.minRequests && recent.hitRate < recent.threshold;
  byId("warning").hidden = !low;
  if (low) byId("warning").textContent = "Low hit rate: " + percent(recent.hitRate) + " over the last " + recent.requests +
    " lookups, below " + percent(recent.threshold);
}

function render(stats, health) {
  const metrics = stats.plugins && stats.plugins.metrics;
  byId("hit-rate").textContent = stats.hits + stats.misses ? percent(stats.hitRate) : DASH;
  byId("hits").textContent = String(stats.hits);
  byId("misses").textContent = String(stats.misses);
  byId("miss-p50").textContent = ms(stats.missLatencyMs.p50);
  byId("state").textContent = health ? health.state : DASH;
  byId("state").className = "state " + (health ? health.state : "unknown");
  renderWarning(metrics);
  renderLayers(stats, health, metrics);
  renderPools(stats, metrics);
  renderJobs(stats);
  renderPluginPanels(stats);
  renderGateway(stats.gateway);
  byId("updated").textContent = new Date().toLocaleTimeString();
  byId("error").textContent = "";
}

whenTokenGiven(() => refresh());

let timer;
async function refresh() {
  clearTimeout(timer);
  try {
    const [response, health] = await Promise.all([
      fetchWithToken("stats"),
      fetch("health", { cache: "no-store" }).then((r) => r.json(), () => null),
    ]);
    if (!response.ok) throw new Error("/stats answered " + response.status);
    render(await response.json(), health);
    timer = setTimeout(refresh, EVERY);
  } catch (error) {
    byId("error").textContent = String(error.message || error);
    if (byId("login").hidden) timer = setTimeout(refresh, EVERY);
  }
}
refresh();
`;
}
