/**
 * The HTTP admin edge (Hono), the Worker's `fetch`. `/health` is public and says only `{ok:true}`;
 * `/` serves the dashboard shell (no data, no secret); everything under `/api` needs
 * `Authorization: Bearer <ADMIN_TOKEN>` (constant-time check in `auth.ts`) and answers 503 while
 * no token is configured. Routes are thin: validate (zod, `@hono/zod-validator`), call the
 * account's Durable Object over typed RPC, present (`present.ts`). Errors are JSON with stable
 * codes (`errors.ts`); one `onError` hides everything unexpected behind a generic 500.
 * docs/admin.md lists every route.
 */
import { zValidator } from "@hono/zod-validator";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { accountKeyOf } from "../account/account-object.ts";
import { checkBearer } from "./auth.ts";
import { renderPage, renderPanels } from "./dashboard.tsx";
import { historyRpc, loadDashboard } from "./dashboard-data.ts";
import { fail, onInvalid } from "./errors.ts";
import { presentOrder, presentPnlDay, presentPosition, presentStatus, presentTrade } from "./present.ts";
import {
  ConfigPatchBody,
  HaltBody,
  HistoryParams,
  HistoryQuery,
  IdParam,
  ManualOrderBody,
  manualIntent,
  PageQuery,
  PnlQuery,
  ReconQuery,
  ReportSendBody,
  ReportsQuery,
  TickerParam,
} from "./schemas.ts";

type AppEnv = { Bindings: Env };

/** Largest request body the admin API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The account's Durable Object: one per environment and account name. */
export function accountFor(env: Env) {
  return env.ACCOUNT.getByName(accountKeyOf(env));
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Bodies are JSON. A body sent with another content type would be silently read as `{}` by the
 * validator, so it is refused instead; an empty body is read as `{}` (routes whose fields are all
 * optional accept it).
 */
async function requireJson(c: Context<AppEnv>, next: () => Promise<void>) {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (!JSON_TYPE.test(type) && (await c.req.text()) !== "")
    return fail(c, 415, "unsupported_media_type", "send the body as application/json");
  await next();
}

function randomNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b));
}

/** The last page is short: a full page names where the next (older) one starts. */
function nextBefore<T>(items: readonly T[], limit: number, at: (t: T) => number): number | null {
  const last = items[items.length - 1];
  return items.length === limit && last !== undefined ? at(last) : null;
}

export function createAdminApp() {
  const app = new Hono<AppEnv>();

  app.get("/health", (c) => c.json({ ok: true }));
  // Browsers ask for it on every page; there is none.
  app.get("/favicon.ico", (c) => c.body(null, 204));

  app.get("/", (c) => {
    const nonce = randomNonce();
    c.header(
      "Content-Security-Policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
    return c.html(renderPage(nonce));
  });

  app.use("/api/*", async (c, next) => {
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
    const verdict = await checkBearer(c.req.header("authorization"), c.env.ADMIN_TOKEN);
    if (verdict === "unconfigured")
      return fail(c, 503, "admin_disabled", "ADMIN_TOKEN is not configured: the admin API is off");
    if (verdict !== "ok") {
      c.header("WWW-Authenticate", 'Bearer realm="kalshi-bot"');
      return fail(c, 401, "unauthorized", "a valid bearer token is required");
    }
    await next();
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => fail(c, 413, "body_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`),
    }),
  );

  // ---------------------------------------------------------------- state

  app.get("/api/status", async (c) => c.json(presentStatus(await accountFor(c.env).status())));

  app.get("/api/ready", async (c) => {
    const s = await accountFor(c.env).status();
    const f = s.feed.lastConnectFailure;
    // Kalshi's own code and status travel with the causes they explain (never a secret: the
    // failure text is bounded and written by the feed, not copied from a key).
    const causes = s.causes.map((cause) =>
      f && (cause.code === "kalshi_key_rejected" || cause.code === "exchange_unreachable")
        ? {
            ...cause,
            ...(f.code ? { kalshiCode: f.code } : {}),
            ...(f.status ? { httpStatus: f.status } : {}),
          }
        : cause,
    );
    return c.json({ ready: s.ready, causes });
  });

  app.get("/api/dashboard", async (c) => {
    const d = await loadDashboard(accountFor(c.env), Date.now());
    return c.html(renderPanels(d));
  });

  const start = async (c: Context<AppEnv>) => {
    const r = await accountFor(c.env).start();
    if (r.ok) return c.json({ ok: true, status: presentStatus(r.status) });
    const cause = r.cause ?? { code: "unknown", message: "start was refused" };
    return fail(c, 409, "start_refused", cause.message, { cause });
  };
  const stop = async (c: Context<AppEnv>) => c.json(presentStatus(await accountFor(c.env).stop()));
  app.post("/api/start", start);
  app.post("/api/stop", stop);
  // Aliases kept for scripts/start.mjs and older clients.
  app.post("/api/feed/start", start);
  app.post("/api/feed/stop", stop);

  // ---------------------------------------------------------------- orders and positions

  app.get("/api/orders", zValidator("query", PageQuery, onInvalid), async (c) => {
    const q = c.req.valid("query");
    const orders = await accountFor(c.env).orders(q.limit, q.before);
    return c.json({
      orders: orders.map(presentOrder),
      nextBefore: nextBefore(orders, q.limit, (o) => o.createdMs),
    });
  });

  app.post("/api/orders", requireJson, zValidator("json", ManualOrderBody, onInvalid), async (c) => {
    const r = await accountFor(c.env).submitOrder(manualIntent(c.req.valid("json")));
    if (!r.ok) return fail(c, 409, "order_refused", r.message, { code: r.code });
    return c.json({ ok: true, intentId: r.intentId }, 202);
  });

  app.post("/api/orders/:id/cancel", zValidator("param", IdParam, onInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const account = accountFor(c.env);
    const { result } = await account.cancelOrder(id);
    switch (result) {
      case "done":
      case "sent":
        return c.json({ ok: true, result });
      case "pending":
        // Not known to the exchange yet: it is resolved first, then cancelled.
        return c.json({ ok: true, result }, 202);
      case "busy":
        return fail(c, 409, "order_busy", "a request for this order is in flight; try again shortly");
      case "not_working": {
        // The journal has no such order, or it is finished (filled, cancelled, expired, rejected).
        const known = await account.order(id);
        if (known === null) return fail(c, 404, "order_not_found", `no order ${id} in the journal`);
        return fail(c, 409, "order_not_working", `order ${id} is ${known.state}: nothing to cancel`, {
          state: known.state,
        });
      }
    }
  });

  app.post("/api/cancel-all", async (c) => c.json(await accountFor(c.env).cancelAll()));
  app.post("/api/flatten", async (c) => c.json(await accountFor(c.env).flatten()));

  app.get("/api/positions", async (c) =>
    c.json({ positions: (await accountFor(c.env).positions()).map(presentPosition) }),
  );

  // ---------------------------------------------------------------- trading state

  app.post("/api/halt", requireJson, zValidator("json", HaltBody, onInvalid), async (c) =>
    c.json(presentStatus(await accountFor(c.env).halt(c.req.valid("json").reason))),
  );
  app.post("/api/resume", async (c) => c.json(presentStatus(await accountFor(c.env).resume())));

  // ---------------------------------------------------------------- config

  const config = async (c: Context<AppEnv>) => {
    const account = accountFor(c.env);
    const [cfg, status] = await Promise.all([account.config(), account.status()]);
    return c.json({ config: cfg, version: status.configVersion });
  };
  app.get("/api/config", config);
  app.patch("/api/config", requireJson, zValidator("json", ConfigPatchBody, onInvalid), async (c) => {
    const r = await accountFor(c.env).updateConfig(c.req.valid("json"));
    if (!r.ok)
      return fail(c, 400, "invalid_config", "the config update was refused; nothing changed", {
        fields: r.errors,
      });
    return c.json({ config: r.config, version: r.version });
  });

  // ---------------------------------------------------------------- markets and results

  app.get("/api/why/:ticker", zValidator("param", TickerParam, onInvalid), async (c) => {
    const r = await accountFor(c.env).why(c.req.valid("param").ticker);
    if ("watched" in r && r.watched === false) return fail(c, 404, "market_not_watched", r.reason);
    return c.json(r);
  });

  app.get("/api/markets", async (c) => c.json({ markets: await accountFor(c.env).markets() }));

  app.get("/api/trades", zValidator("query", PageQuery, onInvalid), async (c) => {
    const q = c.req.valid("query");
    const trades = await accountFor(c.env).trades(q.limit, q.before);
    return c.json({
      trades: trades.map(presentTrade),
      nextBefore: nextBefore(trades, q.limit, (t) => t.closedMs),
    });
  });

  app.get("/api/pnl", zValidator("query", PnlQuery, onInvalid), async (c) => {
    const days = await accountFor(c.env).pnlByDay(c.req.valid("query").days);
    return c.json({ days: days.map(presentPnlDay) });
  });

  // ---------------------------------------------------------------- reconciliation and history

  app.get("/api/reconciliation", zValidator("query", ReconQuery, onInvalid), async (c) =>
    c.json({ differences: await accountFor(c.env).reconciliationDifferences(c.req.valid("query").open) }),
  );

  app.post("/api/reconciliation/:id/review", zValidator("param", IdParam, onInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const r = await accountFor(c.env).reviewDifference(id);
    if (!r.found) return fail(c, 404, "difference_not_found", `no reconciliation difference ${id}`);
    if (r.reviewed) return c.json({ ok: true, id, reviewedMs: r.reviewedMs });
    return fail(c, 409, "difference_already_reviewed", `difference ${id} was reviewed already`, {
      reviewedMs: r.reviewedMs,
    });
  });

  app.get(
    "/api/history/:table",
    zValidator("param", HistoryParams, onInvalid),
    zValidator("query", HistoryQuery, onInvalid),
    async (c) => {
      const { table } = c.req.valid("param");
      const q = c.req.valid("query");
      const r = await historyRpc(accountFor(c.env)).history(table, q);
      if (!r.ok) return fail(c, 400, "invalid_history_query", r.error);
      return c.json(r.page);
    },
  );

  app.get("/api/outbox", async (c) => c.json(await accountFor(c.env).outbox()));
  // After the schema or the data was fixed: the rows Supabase refused go out with the next flush.
  app.post("/api/outbox/requeue", async (c) => c.json(await accountFor(c.env).requeueOutbox()));

  // ---------------------------------------------------------------- reports

  app.get("/api/reports", zValidator("query", ReportsQuery, onInvalid), async (c) => {
    const q = c.req.valid("query");
    return c.json({ reports: await accountFor(c.env).reports(q.limit, q.day) });
  });

  app.post("/api/report/send", requireJson, zValidator("json", ReportSendBody, onInvalid), async (c) => {
    const r = await accountFor(c.env).sendReport(c.req.valid("json").day);
    if (r.ok) return c.json(r);
    // The provider's answer goes to the log only (bounded); the client gets a stable code.
    console.error(
      JSON.stringify({ event: "admin.report_not_sent", day: r.day, detail: r.detail.slice(0, 300) }),
    );
    return fail(
      c,
      502,
      "report_not_sent",
      "the email provider did not take the report (see the Worker log)",
      {
        day: r.day,
        subject: r.subject,
      },
    );
  });

  // ---------------------------------------------------------------- fallbacks

  app.notFound((c) => fail(c, 404, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    // The validators' one exception: a body that is not JSON.
    if (err instanceof HTTPException && err.status === 400)
      return fail(c, 400, "invalid_json", "the request body is not valid JSON");
    console.error(
      JSON.stringify({
        event: "admin.unhandled",
        error: err instanceof Error ? err.message.slice(0, 300) : "?",
      }),
    );
    return fail(c, 500, "internal_error", "internal error");
  });
  return app;
}
