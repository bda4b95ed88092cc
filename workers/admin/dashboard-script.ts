/**
 * The dashboard's inline browser script, as text (`dashboard.tsx` puts it in the page with the
 * CSP nonce). It asks for the admin token and keeps it in `sessionStorage` only, polls
 * `GET /api/dashboard` (the server-rendered, escaped panels) with it, and sends halt, resume and
 * flatten after a `confirm()`. A refused token is forgotten at once. It never builds HTML from
 * data itself: the only markup it inserts is the server's fragment; its own messages go through
 * `textContent`.
 */
export const TOKEN_KEY = "kalshi-bot.admin-token";
export const REFRESH_MS = 3_000;

export const DASHBOARD_SCRIPT = `(() => {
  "use strict";
  const KEY = ${JSON.stringify(TOKEN_KEY)};
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let busy = false;

  const token = () => sessionStorage.getItem(KEY);
  const say = (id, text, cls) => { const el = $(id); el.textContent = text; el.className = cls || ""; };

  function showLogin(message) {
    clearInterval(timer);
    timer = null;
    $("app").hidden = true;
    $("login").hidden = false;
    say("login-message", message || "", "bad");
    $("token").focus();
  }

  async function api(method, path, body) {
    const headers = { authorization: "Bearer " + token() };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 401) {
      sessionStorage.removeItem(KEY);
      showLogin("The token was refused.");
      throw new Error("unauthorized");
    }
    return res;
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const res = await api("GET", "/api/dashboard");
      if (res.status === 503) {
        say("connection", "The admin API is disabled: ADMIN_TOKEN is not configured.", "bad");
      } else if (!res.ok) {
        say("connection", "Refresh failed: HTTP " + res.status, "bad");
      } else {
        $("panels").innerHTML = await res.text();
        say("connection", "Updated " + new Date().toLocaleTimeString() + " (every 3 s)", "muted");
      }
    } catch (e) {
      if (!(e instanceof Error && e.message === "unauthorized")) say("connection", "Refresh failed: " + e, "bad");
    } finally {
      busy = false;
    }
  }

  async function act(path, question, body) {
    if (!window.confirm(question)) return;
    try {
      const res = await api("POST", path, body);
      const j = await res.json().catch(() => ({}));
      if (res.ok) say("action-result", "Done: " + path, "good");
      else say("action-result", (j.error || "HTTP " + res.status) + ": " + (j.message || ""), "bad");
    } catch (e) {
      if (!(e instanceof Error && e.message === "unauthorized")) say("action-result", "Failed: " + e, "bad");
    }
    await refresh();
  }

  function start() {
    $("login").hidden = true;
    $("app").hidden = false;
    clearInterval(timer);
    refresh();
    timer = setInterval(refresh, ${REFRESH_MS});
  }

  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token").value.trim();
    $("token").value = "";
    if (!t) return;
    sessionStorage.setItem(KEY, t);
    start();
  });
  $("halt").addEventListener("click", () => {
    const reason = $("halt-reason").value.trim() || "halted from the dashboard";
    act("/api/halt", "Halt trading? New entries stop and orders that add risk are cancelled; exits stay.", { reason });
  });
  $("resume").addEventListener("click", () =>
    act("/api/resume", "Resume trading? The admin halt and the breakers that allow it are cleared."));
  $("flatten").addEventListener("click", () =>
    act("/api/flatten", "Flatten? Entry orders are cancelled and every open position is exited now."));
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    $("panels").textContent = "";
    showLogin("");
  });

  if (token()) start(); else showLogin("");
})();`;
