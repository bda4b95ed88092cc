/**
 * The Worker tests are a local run against the simulator: wrangler.toml's top level is the demo
 * deployment, so vitest.config.ts binds the environment, the simulator's URL and the local-run
 * marker. Guards that configuration: without it the Worker would refuse the simulator (or aim at
 * Kalshi's demo hosts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resolveTarget } from "../../shared/environment.ts";

describe("the workers test project", () => {
  it("resolves to the simulator the tests started, as a local run", () => {
    const t = resolveTarget(env);
    expect(t).toMatchObject({ ok: true, env: "sim", accountKey: "sim:default" });
    expect(t.ok && t.restBase).toBe(`${new URL(env.KALSHI_SIM_URL).origin}/trade-api/v2`);
  });
});
