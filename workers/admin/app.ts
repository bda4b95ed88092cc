/**
 * The HTTP admin edge (Hono): `/health` is public; everything under `/api` needs
 * `Authorization: Bearer <ADMIN_TOKEN>`. Routes are thin: they call the account's feed
 * Durable Object over typed RPC. One `onError` hides internals behind a generic 500.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { accountKeyOf } from "../account/account-object.ts";
import { checkBearer } from "./auth.ts";
import { DASHBOARD_HTML } from "./dashboard.ts";

type AppEnv = { Bindings: Env };

/** The account's Durable Object: one per environment and account name. */
export function accountFor(env: Env) {
  return env.ACCOUNT.getByName(accountKeyOf(env));
}

export function createAdminApp() {
  const app = new Hono<AppEnv>();

  app.get("/health", (c) => c.json({ ok: true }));
  app.get("/", (c) => c.html(DASHBOARD_HTML));

  app.use("/api/*", async (c, next) => {
    const verdict = await checkBearer(c.req.header("authorization"), c.env.ADMIN_TOKEN);
    if (verdict === "unconfigured") {
      return c.json({ error: "admin_disabled", message: "ADMIN_TOKEN is not configured" }, 503);
    }
    if (verdict !== "ok") {
      c.header("WWW-Authenticate", 'Bearer realm="kalshi-bot"');
      return c.json({ error: "unauthorized", message: "a valid bearer token is required" }, 401);
    }
    await next();
  });

  app.get("/api/status", async (c) => c.json(await accountFor(c.env).status()));
  app.post("/api/feed/start", async (c) => c.json(await accountFor(c.env).start()));
  app.post("/api/feed/stop", async (c) => c.json(await accountFor(c.env).stop()));

  app.notFound((c) =>
    c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof HTTPException)
      return c.json({ error: "http_error", message: err.message }, err.status);
    console.error("admin: unhandled error", err instanceof Error ? err.message : String(err));
    return c.json({ error: "internal_error", message: "internal error" }, 500);
  });
  return app;
}
