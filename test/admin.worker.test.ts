import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminApp } from "../workers/admin/app.ts";

const app = createAdminApp();
const withToken = { ...env, ADMIN_TOKEN: "s3cret-token" } as Env;

describe("admin API", () => {
  it("answers /health without a token", async () => {
    const res = await app.request("/health", {}, withToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("refuses /api without a bearer token", async () => {
    const res = await app.request("/api/status", {}, withToken);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(await res.json()).toMatchObject({ error: "unauthorized" });
  });

  it("refuses a wrong token and a malformed header", async () => {
    for (const authorization of ["Bearer wrong", "Basic s3cret-token", "Bearer", "s3cret-token"]) {
      const res = await app.request("/api/status", { headers: { authorization } }, withToken);
      expect(res.status, authorization).toBe(401);
    }
  });

  it("disables the admin API when no ADMIN_TOKEN is configured", async () => {
    const res = await app.request("/api/status", { headers: { authorization: "Bearer anything" } }, {
      ...env,
      ADMIN_TOKEN: "",
    } as Env);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "admin_disabled" });
  });

  it("returns the account status with the right token, naming why it cannot trade", async () => {
    const res = await app.request(
      "/api/status",
      { headers: { authorization: "Bearer s3cret-token" } },
      withToken,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      ready: boolean;
      causes: { code: string }[];
      feed: { socket: string };
    };
    expect(body.feed.socket).toBe("idle");
    expect(body.ready).toBe(false); // nothing started: no fresh books, so no entries
    expect(body.causes.map((c) => c.code)).toContain("not_started");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await app.request("/nope", {}, withToken);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });

  it("serves the dashboard page without embedding any secret", async () => {
    const res = await app.request("/", {}, withToken);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/api/status");
    expect(html).not.toContain("s3cret-token");
  });
});
