/**
 * The dashboard at GET /: one self-contained page (no CDN, no build step) that polls /stats and shows
 * each layer's hit rate and latency, and with an upstream the OpenAI proxy's savings per model.
 * Cells carry `data-layer` (the layer, or the model) and `data-field` so tests can read them.
 */
export function renderDashboard(refreshMs = 2_000): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ragcache</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  .muted { color: #6b7280; }
  table { border-collapse: collapse; margin-top: 1rem; min-width: 36rem; }
  th, td { padding: .35rem .8rem; border-bottom: 1px solid #e5e7eb; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .bar { display: inline-block; height: .6rem; background: #10b981; vertical-align: middle; margin-left: .4rem; }
  #error { color: #b91c1c; }
</style>
</head>
<body>
<h1>ragcache</h1>
<div class="muted">hit rate <strong id="hit-rate">–</strong> · hits <span id="hits">–</span> · misses <span id="misses">–</span>
  · miss latency p50 <span id="miss-p50">–</span> ms · updated <span id="updated">never</span> <span id="error"></span></div>
<table>
  <thead><tr><th>layer</th><th>hits</th><th>misses</th><th>hit rate</th><th>p50 ms</th><th>p95 ms</th></tr></thead>
  <tbody id="layers"></tbody>
</table>
<table id="gateway" hidden>
  <thead><tr><th>model</th><th>hits</th><th>semantic</th><th>misses</th><th>upstream calls</th><th>tokens saved</th><th>cost saved</th></tr></thead>
  <tbody id="models"></tbody>
</table>
<script>
const percent = (rate) => (rate * 100).toFixed(1) + " %";
const ms = (value) => value.toFixed(3);
function cell(layer, field, text) {
  const td = document.createElement("td");
  td.dataset.layer = layer;
  td.dataset.field = field;
  td.textContent = text;
  return td;
}
function render(stats) {
  document.getElementById("hit-rate").textContent = percent(stats.hitRate);
  document.getElementById("hits").textContent = String(stats.hits);
  document.getElementById("misses").textContent = String(stats.misses);
  document.getElementById("miss-p50").textContent = ms(stats.missLatencyMs.p50);
  const rows = stats.layers.map((layer) => {
    const tr = document.createElement("tr");
    const name = cell(layer.name, "name", layer.name);
    const rate = cell(layer.name, "hitRate", percent(layer.hitRate));
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = Math.round(layer.hitRate * 80) + "px";
    rate.append(bar);
    tr.append(name, cell(layer.name, "hits", String(layer.hits)), cell(layer.name, "misses", String(layer.misses)), rate,
      cell(layer.name, "p50", ms(layer.latencyMs.p50)), cell(layer.name, "p95", ms(layer.latencyMs.p95)));
    return tr;
  });
  document.getElementById("layers").replaceChildren(...rows);
  renderGateway(stats.gateway);
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  document.getElementById("error").textContent = "";
}
function renderGateway(models) {
  document.getElementById("gateway").hidden = !models;
  if (!models) return;
  const rows = Object.entries(models).map(([model, m]) => {
    const tr = document.createElement("tr");
    tr.append(cell(model, "model", model), cell(model, "hits", String(m.requests.hit)), cell(model, "semantic", String(m.requests.semantic)),
      cell(model, "misses", String(m.requests.miss)), cell(model, "upstreamCalls", String(m.upstreamCalls)),
      cell(model, "savedTokens", String(m.savedPromptTokens + m.savedCompletionTokens)), cell(model, "savedCost", m.savedCost.toFixed(4)));
    return tr;
  });
  document.getElementById("models").replaceChildren(...rows);
}
async function refresh() {
  try {
    const response = await fetch("stats", { cache: "no-store" });
    if (!response.ok) throw new Error("/stats answered " + response.status);
    render(await response.json());
  } catch (error) {
    document.getElementById("error").textContent = String(error.message || error);
  } finally {
    setTimeout(refresh, ${refreshMs});
  }
}
refresh();
</script>
</body>
</html>`;
}
