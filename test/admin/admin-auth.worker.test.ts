/**
 * The admin API's doors, in workerd through `app.request`: `/health` is public and says nothing
 * more than `{ok:true}`; every `/api` route refuses a missing, malformed or wrong token (401) and
 * refuses to serve at all without ADMIN_TOKEN (503), before it reads the body or reaches the
 * account; unknown routes are JSON 404s; the dashboard shell carries no secret and keeps the
 * token in sessionStorage only.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkBearer } from "../../workers/admin/auth.ts";
import { adminEnv, app, call, json, TOKEN } from "./admin-support.ts";

const e = adminEnv("auth");

/** Every protected route, with a body that would be valid, so only the token decides. */
const PROTECTED: [string, string, unknown?][] = [
  ["GET", "/api/status"],
  ["GET", "/api/ready"],
  ["GET", "/api/dashboard"],
  ["POST", "/api/start"],
  ["POST", "/api/stop"],
  ["POST", "/api/feed/start"],
  ["POST", "/api/feed/stop"],
  ["GET", "/api/orders?limit=5"],
  ["POST", "/api/orders", { ticker: "KXA-1", side: "yes", action: "buy", price: "0.5000", count: "1" }],
  ["POST", "/api/orders/some-id/cancel"],
  ["POST", "/api/cancel-all"],
  ["POST", "/api/flatten"],
  ["GET", "/api/positions"],
  ["POST", "/api/halt", { reason: "test" }],
  ["POST", "/api/resume"],
  ["GET", "/api/config"],
  ["PATCH", "/api/config", { risk: {} }],
  ["GET", "/api/why/KXA-1"],
  ["GET", "/api/markets"],
  ["GET", "/api/trades"],
  ["GET", "/api/pnl?days=2"],
  ["GET", "/api/reconciliation?open=true"],
  ["POST", "/api/reconciliation/some-id/review"],
  ["GET", "/api/history/orders?limit=2"],
  ["GET", "/api/outbox"],
  ["POST", "/api/outbox/requeue"],
  ["GET", "/api/reports"],
  ["POST", "/api/report/send", {}],
];

/** Hono's route table: every `/api` route the app serves (its middlewares aside). */
function servedApiRoutes(): string[] {
  const routes = app.routes
    .filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
    .map((r) => `${r.method} ${r.path}`);
  return [...new Set(routes)]; // a route with validators is listed once per handler
}

describe("the admin API's doors", () => {
  it("answers /health without a token, with nothing but ok", async () => {
    for (const token of [undefined, ""]) {
      const res = await app.request("/health", {}, { ...e, ADMIN_TOKEN: token } as Env);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    }
  });

  it("lists every route it serves in this test's table", () => {
    const tested = new Set(PROTECTED.map(([m, p]) => `${m} ${p.split("?")[0]}`));
    expect(servedApiRoutes().length).toBe(PROTECTED.length);
    for (const r of servedApiRoutes()) {
      const example = r.replace(":id", "some-id").replace(":ticker", "KXA-1").replace(":table", "orders");
      expect(tested.has(example), `${r} is not in the table`).toBe(true);
    }
  });

  it.each(PROTECTED)(
    "refuses %s %s without a token, with a wrong one and with a malformed header",
    async (method, path, body) => {
      for (const authorization of [
        null,
        "Bearer wrong-token",
        `Basic ${TOKEN}`,
        "Bearer",
        TOKEN,
        `Bearer ${TOKEN}x`,
      ]) {
        const res = await app.request(
          path,
          {
            method,
            headers: {
              ...(authorization === null ? {} : { authorization }),
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          },
          e,
        );
        expect(res.status, `${authorization}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expect(await res.json()).toEqual({
          error: "unauthorized",
          message: "a valid bearer token is required",
        });
      }
    },
  );

  it.each(PROTECTED)(
    "refuses to serve %s %s while no ADMIN_TOKEN is configured",
    async (method, path, body) => {
      for (const token of [undefined, ""]) {
        const res = await call({ ...e, ADMIN_TOKEN: token } as Env, path, {
          method,
          body,
          token: "anything",
        });
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ error: "admin_disabled" });
      }
    },
  );

  it("accepts the token case-insensitively in the scheme only", async () => {
    expect((await call(e, "/api/outbox", { token: null, contentType: null })).status).toBe(401);
    const ok = await app.request("/api/outbox", { headers: { authorization: `bearer ${TOKEN}` } }, e);
    expect(ok.status).toBe(200);
    const wrongCase = await app.request(
      "/api/outbox",
      { headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` } },
      e,
    );
    expect(wrongCase.status).toBe(401);
  });

  it("answers unknown routes and methods with a JSON 404", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/api/nope"],
      ["DELETE", "/api/status"],
      ["GET", "/api/halt"],
    ] as const) {
      const { status, body } = await json(call(e, path, { method }));
      expect(status, `${method} ${path}`).toBe(404);
      expect(body).toMatchObject({ error: "not_found" });
    }
  });

  it("marks API answers uncacheable", async () => {
    const res = await call(e, "/api/outbox");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("the bearer check", () => {
  // Regression: TextEncoder turned a lone surrogate into U+FFFD before hashing, so the header
  // "Bearer \uD800" passed for the token "\uFFFD".
  it.each<[string, string, string, string]>([
    ["a lone high surrogate presented for U+FFFD", "invalid", "Bearer \uD800", "\uFFFD"],
    ["a lone low surrogate presented for U+FFFD", "invalid", "Bearer \uDC00", "\uFFFD"],
    [
      "a reversed surrogate pair presented for two U+FFFD",
      "invalid",
      "Bearer a\uDE00\uD83Db",
      "a\uFFFD\uFFFDb",
    ],
    ["a surrogate pair presented for two U+FFFD", "invalid", "Bearer \uD83D\uDE00", "\uFFFD\uFFFD"],
    ["a surrogate pair presented for itself", "ok", "Bearer \uD83D\uDE00", "\uD83D\uDE00"],
    ["a configured token with a lone surrogate", "unconfigured", "Bearer x\uD800", "x\uD800"],
  ])("answers %s: %s", async (_what, verdict, header, expected) => {
    expect(await checkBearer(header, expected)).toBe(verdict);
  });
});

describe("the dashboard shell", () => {
  it("serves the page without any secret, keeping the token in sessionStorage only", async () => {
    const res = await app.request("/", {}, { ...e, KALSHI_PRIVATE_KEY: env.KALSHI_PRIVATE_KEY } as Env);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain(env.KALSHI_KEY_ID);
    expect(html).not.toContain("PRIVATE KEY");
    expect(html).toContain("sessionStorage");
    expect(html).not.toContain("localStorage");
    expect(html).toContain("/api/dashboard");
  });

  it("allows only its own inline script and style, by a fresh nonce on every load", async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await app.request("/", {}, e);
      const csp = res.headers.get("content-security-policy") ?? "";
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1] ?? "";
      expect(nonce).not.toBe("");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      const html = await res.text();
      expect(html).toContain(`<script nonce="${nonce}">`);
      expect(html.match(/<script/g)).toHaveLength(1);
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });
});
