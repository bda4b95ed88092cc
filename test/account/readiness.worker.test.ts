/**
 * What the operator sees when the bot cannot trade (workerd, against the simulator): a rejected
 * key is reported with Kalshi's code in the status causes (not as a bare "socket closed" or
 * "breaker tripped"); a target whose environment and URL disagree refuses to start and says why;
 * a missing key says so. Each case names one cause with a stable code, and never a secret.
 */

import { env } from "cloudflare:workers";
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveTarget } from "../../shared/environment.ts";
import { lazySigner, signedSocketOpener } from "../../workers/feed/feed-adapters.ts";
import { accountHarness } from "../support/account-harness.ts";

function simWsUrl(): string {
  const t = resolveTarget(env);
  if (!t.ok) throw new Error(t.code);
  return t.wsUrl;
}

describe("readiness causes", () => {
  it("reports a key the exchange rejects with its HTTP status and Kalshi's code", async () => {
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const h = accountHarness("readiness-wrong-key", {
      overrides: { openSocket: signedSocketOpener(simWsUrl(), lazySigner(env.KALSHI_KEY_ID, otherKey)) },
    });
    await h.install();
    await h.inObj((a) => a.start());
    await h.inObj((a) => a.feed.tick());
    const s = await h.status();
    expect(s.ready).toBe(false);
    const cause = s.causes.find((c) => c.code === "kalshi_key_rejected");
    expect(cause?.message).toContain("401");
    expect(cause?.message).toContain("INCORRECT_API_KEY_SIGNATURE");
    expect(s.feed.lastConnectFailure).toMatchObject({
      kind: "refused",
      status: 401,
      code: "INCORRECT_API_KEY_SIGNATURE",
    });
    expect(JSON.stringify(s)).not.toContain("PRIVATE KEY");
  });

  it("refuses to start when the environment and the URL disagree, and names the mismatch", async () => {
    const mismatch = resolveTarget({ ...env, KALSHI_ENV: "demo" });
    expect(mismatch.ok).toBe(false);
    if (mismatch.ok) return;
    expect(mismatch.code).toBe("env_url_mismatch");
    const h = accountHarness("readiness-mismatch", {
      overrides: {
        target: {
          ok: false,
          code: mismatch.code,
          message: mismatch.message,
          accountKey: "invalid:demo:default",
        },
      },
    });
    await h.install();
    const r = await h.inObj((a) => a.start());
    expect(r).toMatchObject({ ok: false, cause: { code: "env_url_mismatch" } });
    const s = await h.status();
    expect(s.running).toBe(false);
    expect(s.causes.map((c) => c.code)).toContain("env_url_mismatch");
  });

  it("says the key is missing rather than trying to connect without one", async () => {
    const h = accountHarness("readiness-no-key", { overrides: { secrets: { kalshiKey: false } } });
    await h.install();
    const r = await h.inObj((a) => a.start());
    expect(r).toMatchObject({ ok: false, cause: { code: "kalshi_key_missing" } });
    expect((await h.status()).causes.map((c) => c.code)).toContain("kalshi_key_missing");
  });
});
