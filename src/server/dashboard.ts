import { dashboardScript } from "./dashboard-script.ts";
import { TOKEN_FORM } from "./page-token.ts";

/**
 * The dashboard at GET /: one self-contained page (no CDN, no build step) that polls /stats and
 * /health: overall and per-layer health (green / amber / red), hit rate, p50 / p95 / p99, errors per
 * second and sparklines; the connection pool, breaker and fallback; with an upstream, the OpenAI
 * proxy's hits and savings per model; each plugin job (warming) with
 * start and cancel; every other plugin's declared stats; the low hit-rate warning. A number without samples shows "—". Cells carry
 * `data-layer` and `data-field` so tests can read them. `?every=500` refreshes every 500 ms.
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
  h2 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
  .muted { color: #6b7280; }
  table { border-collapse: collapse; margin-top: .6rem; min-width: 36rem; }
  th, td { padding: .3rem .7rem; border-bottom: 1px solid #e5e7eb; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .state::before { content: "\\25CF "; }
  .state.up::before { color: #10b981; }
  .state.degraded::before { color: #f59e0b; }
  .state.down::before { color: #dc2626; }
  .state.unknown::before { color: #9ca3af; }
  .spark { vertical-align: middle; margin-left: .3rem; }
  .spark polyline { fill: none; stroke: #2563eb; stroke-width: 1.2; }
  #warning { background: #fef3c7; border: 1px solid #f59e0b; padding: .4rem .7rem; margin-top: .6rem; }
  #error { color: #b91c1c; }
  .panel { border: 1px solid #e5e7eb; padding: .2rem .8rem .6rem; margin-top: .8rem; max-width: 48rem; }
</style>
</head>
<body>
<h1>ragcache <span id="state" class="state unknown">—</span></h1>
<div class="muted">hit rate <strong id="hit-rate">—</strong> · hits <span id="hits">—</span> · misses <span id="misses">—</span>
  · miss latency p50 <span id="miss-p50">—</span> ms · updated <span id="updated">never</span> <span id="error"></span></div>
${TOKEN_FORM}
<div id="warning" hidden></div>
<table>
  <thead><tr><th>layer</th><th>health</th><th>hits</th><th>misses</th><th>hit rate</th><th>p50 ms</th><th>p95 ms</th>
    <th>p99 ms</th><th>errors/s</th><th>hit rate · p95</th></tr></thead>
  <tbody id="layers"></tbody>
</table>
<section id="pool-section" hidden>
<h2>Connection pools</h2>
<table>
  <thead><tr><th>layer</th><th>open</th><th>busy</th><th>in flight</th><th>queued</th><th>exhausted</th><th>breaker</th>
    <th>to reconcile</th><th>fallback entries</th></tr></thead>
  <tbody id="pools"></tbody>
</table>
</section>
<section id="gateway-section" hidden>
<h2>LLM gateway</h2>
<table>
  <thead><tr><th>model</th><th>hits</th><th>semantic</th><th>misses</th><th>upstream calls</th><th>tokens saved</th><th>cost saved</th></tr></thead>
  <tbody id="models"></tbody>
</table>
</section>
<div id="jobs"></div>
<div id="plugins"></div>
<script>
${dashboardScript(refreshMs)}
</script>
</body>
</html>`;
}
