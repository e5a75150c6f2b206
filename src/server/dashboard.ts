/**
 * The dashboard at GET /: one self-contained page (no CDN, no build step) that polls /stats and shows
 * each layer's hit rate and latency. Cells carry `data-layer` and `data-field` so tests can read them.
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
<form id="login" hidden>This server needs its API token: <input id="token" type="password" autocomplete="current-password">
  <button>show</button></form>
<table>
  <thead><tr><th>layer</th><th>hits</th><th>misses</th><th>hit rate</th><th>p50 ms</th><th>p95 ms</th></tr></thead>
  <tbody id="layers"></tbody>
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
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  document.getElementById("error").textContent = "";
}
const TOKEN = "ragcache-token";
function authorization() {
  const token = sessionStorage.getItem(TOKEN);
  return token ? { authorization: "Bearer " + token } : {};
}
document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, document.getElementById("token").value);
  document.getElementById("login").hidden = true;
  refresh();
});
let timer;
async function refresh() {
  clearTimeout(timer);
  try {
    const response = await fetch("stats", { cache: "no-store", headers: authorization() });
    document.getElementById("login").hidden = response.status !== 401;
    if (!response.ok) throw new Error("/stats answered " + response.status);
    render(await response.json());
  } catch (error) {
    document.getElementById("error").textContent = String(error.message || error);
  } finally {
    timer = setTimeout(refresh, ${refreshMs});
  }
}
refresh();
</script>
</body>
</html>`;
}
