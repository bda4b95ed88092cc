/**
 * The account's risk state survives restarts in one checked row. A row that cannot be read (a
 * corrupted write, a schema from other code) must not be guessed at: the new instance starts
 * halted, and says so like every halt (an alert and a history row), so the operator hears of it
 * rather than finding a silent bot.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { SimControlClient } from "../../sim/control-client.ts";
import { accountHarness } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);

beforeEach(async () => {
  await control.reset();
});

describe("an unreadable risk state", () => {
  it("starts the new instance halted, with an alert and a risk event in history", async () => {
    const h = accountHarness("risk-state-unreadable");
    h.clock.now = (await control.state()).now_ms;
    await h.install();
    expect((await h.status()).trading.state).toBe("active");

    await runInDurableObject(h.stub, (_o, state) => {
      state.storage.sql.exec(
        "INSERT OR REPLACE INTO risk_state (id, doc, updated_ms) VALUES (1, ?, 0)",
        '{"day": 42}',
      );
    });
    await h.install(); // a new instance reads the row back

    const trading = (await h.status()).trading;
    expect(trading.state).toBe("halted");
    expect(trading.reasons).toEqual([
      expect.objectContaining({ breaker: "admin", message: expect.stringContaining("unreadable") }),
    ]);
    const found = { alerts: await h.history("alerts"), events: await h.history("risk_events") };
    expect(found.alerts).toEqual([
      expect.objectContaining({
        kind: "breaker_trip",
        severity: "critical",
        details: expect.objectContaining({ reason: expect.stringContaining("unreadable") }),
      }),
    ]);
    expect(found.events).toEqual([expect.objectContaining({ kind: "breaker_trip", code: "admin_halt" })]);
    // Once: a later instance reads the halted state it stored, and announces nothing again.
    await h.install();
    expect((await h.status()).trading.state).toBe("halted");
    const alertsAfter = (await h.history("alerts")).length;
    expect(alertsAfter).toBe(1);
  });
});
