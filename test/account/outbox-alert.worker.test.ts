/**
 * The outbox alert means "rows are waiting for Supabase". With Supabase configured and down, a
 * backlog near the bound raises it; without Supabase there is no backlog (the rows are the local
 * history, kept within the bound and the retention), and it must stay quiet: before, a bot run
 * without Supabase raised it for ever once its local history reached 80 % of the bound.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { SimControlClient } from "../../sim/control-client.ts";
import { createHistoryClient } from "../../workers/history/flush.ts";
import { logRow } from "../../workers/history/rows.ts";
import { appendHistory } from "../../workers/history/store.ts";
import { accountHarness } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);
const BOUND = 1_000;

beforeEach(async () => {
  await control.reset();
});

/** An account with `rows` log rows in its history, its flush run once; the outbox alerts raised. */
async function flushWith(name: string, supabase: boolean, rows: number) {
  // A Supabase that refuses every connection: the rows stay queued.
  const historyClient = supabase
    ? createHistoryClient("http://127.0.0.1:9", "service-key", fetch, 500)
    : null;
  const h = accountHarness(name, {
    config: { history: { outboxBound: BOUND } },
    overrides: { historyClient },
  });
  h.clock.now = (await control.state()).now_ms;
  await h.install();
  await runInDurableObject(h.stub, (_o, state) => {
    const batch = Array.from({ length: rows }, (_, i) =>
      logRow("sim:default", {
        eventId: `log-${i}`,
        atMs: h.clock.now,
        level: "info",
        event: "test.row",
        message: "a row of local history",
        data: {},
      }),
    );
    appendHistory(state.storage.sql, batch, h.clock.now);
  });
  await h.job("flush");
  return (await h.history("alerts")).filter((a) => a.kind === "outbox_near_bound");
}

describe("the outbox alert", () => {
  it("fires when rows wait for a Supabase that is down and the outbox nears its bound", async () => {
    expect(await flushWith("outbox-alert-supabase", true, 900)).toEqual([
      expect.objectContaining({ kind: "outbox_near_bound", severity: "warning" }),
    ]);
  });

  it("stays quiet below 80 % of the bound", async () => {
    expect(await flushWith("outbox-alert-below", true, 700)).toEqual([]);
  });

  it("stays quiet without Supabase, where the rows are the local history", async () => {
    expect(await flushWith("outbox-alert-local", false, 900)).toEqual([]);
  });
});
