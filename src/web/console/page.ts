// GET /console: the page and its style sheet. Its script is app.ts, compiled by `npm run docs`
// into bundle.ts. No inline script or style: the CSP is `default-src 'self'`.

export const consoleHtml = (schemeOptions: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>custgate console</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<header>
  <h1>custgate console</h1>
  <nav><a href="/docs">API reference</a> · <a href="/gateway/v1/coverage">coverage (JSON)</a></nav>
</header>
<main>
<section id="credential" class="card">
  <h2>Credential</h2>
  <p class="hint">Kept in this tab's session storage only: never in a cookie or the address.</p>
  <form id="credential-form">
    <label>Scheme
      <select id="scheme" name="scheme">
        ${schemeOptions}
      </select>
    </label>
    <label>Key or token <input id="secret" name="secret" type="password" autocomplete="off" required></label>
    <label>Organisation (tenant UUID) <input id="organisation" name="organisation" autocomplete="off"></label>
    <button type="submit">Use</button>
    <button type="button" id="forget">Forget</button>
    <output id="credential-state"></output>
  </form>
</section>

<section id="lookup" class="card">
  <h2>Customer</h2>
  <form id="lookup-form">
    <label>Any id (cus_…, UUID, number, alias, external id) <input id="ref" name="ref" required></label>
    <button type="submit">Look up</button>
    <output id="lookup-state" role="status"></output>
  </form>
  <div id="panes" class="panes"></div>
</section>

<section id="history" class="card" hidden>
  <h2>Change history</h2>
  <table><thead><tr><th>version</th><th>when</th><th>action</th><th>dialect</th><th>credential</th><th>fields</th></tr></thead>
  <tbody id="history-rows"></tbody></table>
</section>

<section id="upstream" class="card" hidden>
  <h2>Upstream</h2>
  <div id="links" hidden><h3>Links</h3><pre id="links-body"></pre></div>
  <div id="deliveries" hidden><h3>Deliveries</h3><pre id="deliveries-body"></pre></div>
</section>

<section id="requests" class="card">
  <h2>Requests</h2>
  <form id="requests-form">
    <label>Status <input id="requests-status" name="status" placeholder="4xx, 503" size="6"></label>
    <label>Path <input id="requests-path" name="path" placeholder="/zenskar"></label>
    <button type="submit">Show the last requests</button>
    <output id="requests-state" role="status"></output>
  </form>
  <table><thead><tr><th>when</th><th>status</th><th>method</th><th>path</th><th>dialect</th><th>ms</th><th>request id</th></tr></thead>
  <tbody id="requests-rows"></tbody></table>
  <pre id="request-detail" hidden></pre>
</section>

<section id="webhooks" class="card">
  <h2>Webhooks</h2>
  <p class="hint">The tenant's endpoints and each one's delivery attempts (docs/webhooks.md).</p>
  <button type="button" id="webhooks-load" class="primary">Show endpoints</button>
  <output id="webhooks-state" role="status"></output>
  <table id="endpoints" hidden><thead><tr><th>id</th><th>url</th><th>mode</th><th>format</th><th>events</th><th>status</th><th>failures</th><th>held</th><th></th></tr></thead>
  <tbody id="endpoint-rows"></tbody></table>
  <div id="attempts" hidden>
    <h3>Delivery attempts</h3>
    <output id="attempts-state" role="status"></output>
    <table><thead><tr><th>when</th><th>event</th><th>attempt</th><th>status</th><th>error</th><th>took</th><th></th></tr></thead>
    <tbody id="attempt-rows"></tbody></table>
  </div>
</section>

<section id="translate" class="card">
  <h2>Translate playground</h2>
  <form id="translate-form">
    <label>From <select id="from" name="from"></select></label>
    <label>To <select id="to" name="to"></select></label>
    <label class="wide">Update body (JSON, in the "from" dialect)
      <textarea id="translate-body" name="body" rows="8" spellcheck="false">{"name": "Jenny Rosen", "email": "", "metadata": {"plan": "gold"}, "address": {"city": "Berlin", "country": "DE"}}</textarea></label>
    <button type="submit">Translate</button>
    <output id="translate-state" role="status"></output>
  </form>
  <div class="result">
    <div><h3>Body</h3><pre id="translate-result"></pre></div>
    <div><h3>Loss report</h3>
      <table><thead><tr><th>field</th><th>kind</th><th>message</th></tr></thead><tbody id="losses"></tbody></table>
      <p id="no-loss" hidden>Nothing lost.</p>
    </div>
  </div>
</section>
</main>
</body>
</html>
`;

export const consoleCss = `:root { color-scheme: light; --ink: #1d2330; --muted: #5b6478; --line: #d9dee8; --accent: #2455c3; --warn: #a4480b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--ink); background: #f4f6fa; }
header { display: flex; align-items: baseline; gap: 1.5rem; padding: .8rem 1.5rem; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header a { color: #b9cbff; }
main { padding: 1rem 1.5rem; display: grid; gap: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
.card h2 { margin: 0 0 .5rem; font-size: 1.05rem; }
.hint { margin: 0 0 .5rem; color: var(--muted); }
form { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: flex-end; }
label { display: flex; flex-direction: column; gap: .2rem; color: var(--muted); font-size: .85rem; }
label.wide { flex-basis: 100%; }
input, select, textarea { font: inherit; color: var(--ink); padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 5px; min-width: 14rem; }
textarea { font-family: ui-monospace, monospace; width: 100%; }
button { font: inherit; padding: .4rem .9rem; border: 0; border-radius: 5px; background: var(--accent); color: #fff; cursor: pointer; }
button[type=button] { background: #6b7280; }
output { color: var(--muted); }
output.error { color: #b42318; }
tr.failed td { color: #b42318; }
#requests-rows tr { cursor: pointer; }
.panes { display: grid; grid-template-columns: repeat(auto-fit, minmax(14.5rem, 1fr)); gap: .8rem; margin-top: .8rem; }
.pane { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; min-width: 0; }
.pane h3 { margin: 0 0 .3rem; font-size: .95rem; }
.pane .name { font-weight: 600; margin: 0 0 .3rem; }
pre { margin: 0; padding: .5rem; background: #f6f8fb; border-radius: 4px; overflow: auto; max-height: 22rem; font: 12px/1.4 ui-monospace, monospace; }
.coverage { font-size: .8rem; margin-top: .4rem; }
.coverage .absent { margin: 0 0 .2rem; color: var(--muted); }
.coverage summary { cursor: pointer; color: var(--warn); }
.notes { margin: .3rem 0 0; padding-left: 1.1rem; color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .25rem .4rem; vertical-align: top; }
.result { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: .8rem; }
.result h3 { margin: 0 0 .3rem; font-size: .9rem; }
button.primary { background: var(--accent); }
#attempt-rows tr.failed td:nth-child(4), #attempt-rows tr.failed td:nth-child(5) { color: #b42318; }
#attempts h3 { margin: .8rem 0 .3rem; font-size: .95rem; }
#endpoint-rows tr.held td:nth-child(8) { color: var(--warn); }
`;
