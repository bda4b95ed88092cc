/**
 * The dashboard page: a static shell that asks for the admin token once (kept in the
 * browser's localStorage, never in the page) and polls `/api/status`.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kalshi-bot</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
h1{font-size:1.2rem}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
.bad{color:#b00}.good{color:#070}pre{background:#f6f6f6;padding:1rem;overflow:auto}
</style></head>
<body>
<h1>kalshi-bot</h1>
<p id="summary">loading...</p>
<h2>Books</h2>
<table id="books"><thead><tr><th>market</th><th>age ms</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Counters</h2>
<pre id="counters"></pre>
<script>
const key = "kalshi-bot-admin-token";
function token() {
  let t = localStorage.getItem(key);
  if (!t) { t = prompt("Admin token") || ""; localStorage.setItem(key, t); }
  return t;
}
async function refresh() {
  const res = await fetch("/api/status", { headers: { authorization: "Bearer " + token() } });
  if (res.status === 401) { localStorage.removeItem(key); document.getElementById("summary").textContent = "bad token"; return; }
  const s = await res.json();
  const el = document.getElementById("summary");
  el.className = s.entriesAllowed ? "good" : "bad";
  el.textContent = "socket " + s.socket + ", breaker " + (s.breaker && s.breaker.tripped ? "TRIPPED (" + s.breaker.reason + ")" : "ok") +
    ", entries " + (s.entriesAllowed ? "allowed" : "blocked") + ", markets " + (s.wanted || []).length;
  const body = document.querySelector("#books tbody");
  body.textContent = "";
  for (const b of s.books || []) {
    const tr = document.createElement("tr");
    for (const v of [b.ticker, b.ageMs, b.stale ? "stale: " + (b.staleReason || "") : "fresh"]) {
      const td = document.createElement("td"); td.textContent = String(v ?? ""); tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  document.getElementById("counters").textContent = JSON.stringify(s.counters, null, 2);
}
refresh(); setInterval(refresh, 2000);
</script>
</body></html>`;
