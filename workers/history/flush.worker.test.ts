/**
 * The history flush end to end, inside workerd as the account object runs it: rows appended to a
 * Durable Object's SQLite are upserted with the real supabase-js client into a real Postgres
 * (PGlite with the migrations applied) behind the PostgREST-compatible test server, which the
 * workers project's globalSetup runs in Node (test/history/history-global-setup.ts).
 *
 * Covered: every table accepted; replays idempotent (counts unchanged, values updated); outages
 * (503, dropped connections, refused connections, a hung server) lose nothing and drain later
 * without duplicates; rows Supabase refuses are set aside while the rest go through; a row
 * replaced during a flush is sent again; the bound reached during an outage.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { createHistoryClient, flushHistory, historyClientFromEnv } from "./flush.ts";
import type { HistoryRow, HistoryTable } from "./rows.ts";
import { HISTORY_TABLES, logRow, orderRow, riskEventRow, snapshotRow } from "./rows.ts";
import { appendHistory, enforceBound, ensureHistorySchema, outboxState, takeBatch } from "./store.ts";
import {
  ACCOUNT,
  exampleLog,
  exampleOrder,
  exampleRiskEvent,
  exampleSnapshot,
  oneOfEach,
} from "./testing/fixtures.ts";

const URL_ = inject("historyUrl");
const KEY = inject("historyServiceKey");
const REFUSED_URL = inject("historyRefusedUrl");

const T0 = Date.parse("2026-11-23T15:00:00Z");

const auth = { apikey: KEY, authorization: `Bearer ${KEY}` };

async function control(path: "fault" | "reset", body: unknown = {}): Promise<void> {
  const res = await fetch(`${URL_}/_test/${path}`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const setFault = (mode: "none" | "unavailable" | "reset" | "hang") => control("fault", { mode });

/** Rows of a table in Postgres, read through the test server as PostgREST would serve them. */
async function stored(table: HistoryTable, select = "*"): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${URL_}/rest/v1/${table}?select=${select}&order=${"account"}.asc`, {
    headers: auth,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>[];
}

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of HISTORY_TABLES) out[t] = (await stored(t, "account")).length;
  return out;
}

let n = 0;
function withStore<T>(fn: (sql: SqlStorage) => Promise<T>): Promise<T> {
  const stub = env.ACCOUNT.getByName(`history-test-flush-${n++}-${crypto.randomUUID()}`);
  return runInDurableObject(stub, async (_obj, state) => {
    ensureHistorySchema(state.storage.sql);
    return fn(state.storage.sql);
  });
}

const client = (): SupabaseClient => createHistoryClient(URL_, KEY, fetch, 2_000);
const ONE_EACH = Object.fromEntries(HISTORY_TABLES.map((t) => [t, 1]));

beforeEach(async () => {
  await setFault("none");
  await control("reset");
});

describe("flushHistory", () => {
  it("upserts one row of every table and marks them flushed", async () => {
    const out = await withStore(async (sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      const result = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 1 });
      return { result, state: outboxState(sql, 1_000) };
    });
    expect(out.result).toMatchObject({ configured: true, sent: 10, failed: 0, rejected: 0 });
    expect(out.result.error).toBeUndefined();
    expect(out.state.unflushed).toBe(0);
    expect(await counts()).toEqual(ONE_EACH);
    expect(await stored("orders", "client_order_id,price,count,state")).toEqual([
      { client_order_id: "my-order-1", price: 0.35, count: 10, state: "resting" },
    ]);
    expect(await stored("trades", "position_id,pnl,gross_pnl")).toEqual([
      { position_id: "pos-highny-1", pnl: 13.88, gross_pnl: 13.9 },
    ]);
  });

  it("replays idempotently: the same rows again leave counts unchanged, changed ones update", async () => {
    const results = await withStore(async (sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      const first = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 });
      // the same records again, one of them changed (the order filled)
      const order = exampleOrder();
      const rows = oneOfEach(T0).map((r) =>
        r.table === "orders"
          ? orderRow(ACCOUNT, {
              ...order,
              state: "filled",
              filled: order.count,
              updatedMs: order.updatedMs + 60_000,
            })
          : r,
      );
      appendHistory(sql, rows, T0 + 1);
      const second = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 2 });
      const third = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 3 });
      return [first.sent, second.sent, third.sent];
    });
    expect(results).toEqual([10, 10, 0]);
    expect(await counts()).toEqual(ONE_EACH);
    expect(await stored("orders", "state,filled")).toEqual([{ state: "filled", filled: 10 }]);
  });

  it("drains a large outbox in batches without losing or repeating a row", async () => {
    const sent = await withStore(async (sql) => {
      appendHistory(
        sql,
        Array.from({ length: 25 }, (_, i) => riskEventRow(ACCOUNT, exampleRiskEvent(T0 + i, `risk-${i}`))),
        T0,
      );
      const out: number[] = [];
      for (let i = 0; i < 4; i++)
        out.push((await flushHistory({ sql, client: client(), batchSize: 10, nowMs: T0 })).sent);
      return out;
    });
    expect(sent).toEqual([10, 10, 5, 0]);
    const ids = (await stored("risk_events", "event_id")).map((r) => r.event_id);
    expect(new Set(ids).size).toBe(25);
  });

  it("does nothing without a client (Supabase not configured)", async () => {
    const out = await withStore(async (sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      const result = await flushHistory({ sql, client: null, batchSize: 100, nowMs: T0 });
      return { result, unflushed: outboxState(sql, 1_000).unflushed };
    });
    expect(out.result).toEqual({ configured: false, sent: 0, failed: 0, rejected: 0, byTable: {} });
    expect(out.unflushed).toBe(10);
    expect(historyClientFromEnv({ SUPABASE_URL: "", SUPABASE_SERVICE_KEY: KEY })).toBeNull();
    expect(historyClientFromEnv({ SUPABASE_URL: URL_, SUPABASE_SERVICE_KEY: " " })).toBeNull();
  });
});

describe("outages", () => {
  const outages: [string, () => Promise<SupabaseClient>][] = [
    [
      "the service answers 503",
      async () => {
        await setFault("unavailable");
        return client();
      },
    ],
    [
      "connections are dropped without an answer",
      async () => {
        await setFault("reset");
        return client();
      },
    ],
    ["connections are refused", async () => createHistoryClient(REFUSED_URL, KEY, fetch, 2_000)],
    [
      "the service hangs past the request timeout",
      async () => {
        await setFault("hang");
        return createHistoryClient(URL_, KEY, fetch, 300);
      },
    ],
  ];

  it.each(outages)("when %s, keeps every row and later drains them exactly once", async (_name, outage) => {
    const out = await withStore(async (sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      const down = await flushHistory({ sql, client: await outage(), batchSize: 100, nowMs: T0 });
      const during = outboxState(sql, 1_000).unflushed;
      await setFault("none");
      const up = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 1 });
      return { down, during, up, after: outboxState(sql, 1_000).unflushed };
    });
    expect(out.down).toMatchObject({ sent: 0, failed: 10, rejected: 0 });
    expect(out.down.error).toBeDefined();
    expect(out.during).toBe(10);
    expect(out.up).toMatchObject({ sent: 10, failed: 0 });
    expect(out.after).toBe(0);
    expect(await counts()).toEqual(ONE_EACH);
  });

  it("says why it stopped without leaking the service key", async () => {
    await setFault("unavailable");
    const result = await withStore(async (sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      return flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 });
    });
    expect(result.error).toMatch(/HTTP 503/);
    expect(JSON.stringify(result)).not.toContain(KEY);
  });

  it("reports the bound during a long outage, drops only low-value rows, and delivers every trading record after", async () => {
    const out = await withStore(async (sql) => {
      const rows: HistoryRow[] = [];
      for (let i = 0; i < 6; i++) {
        rows.push(
          riskEventRow(ACCOUNT, exampleRiskEvent(T0 + i, `risk-${i}`)),
          snapshotRow(ACCOUNT, exampleSnapshot(T0 + i * 300_000)),
          logRow(ACCOUNT, exampleLog(T0 + i, `log-${i}`)),
        );
      }
      await setFault("unavailable");
      appendHistory(sql, rows.slice(0, 12), T0);
      await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 });
      const near = outboxState(sql, 15);
      appendHistory(sql, rows.slice(12), T0 + 1);
      await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 1 });
      const bound = enforceBound(sql, 15);
      const full = outboxState(sql, 15);
      await setFault("none");
      const drained = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 2 });
      return { near, bound, full, drained, after: outboxState(sql, 15) };
    });
    expect(out.near).toMatchObject({ unflushed: 12, nearBound: true, full: false });
    expect(out.bound).toEqual({ dropped: { account_snapshots: 2, logs: 1 }, unflushed: 15 });
    expect(out.full).toMatchObject({
      unflushed: 15,
      nearBound: true,
      full: true,
      dropped: { account_snapshots: 2, logs: 1 },
    });
    expect(out.drained).toMatchObject({ sent: 15, failed: 0 });
    expect(out.after).toMatchObject({ unflushed: 0, nearBound: false, full: false });
    const c = await counts();
    expect([c.risk_events, c.account_snapshots, c.logs]).toEqual([6, 4, 5]);
  });
});

describe("rows Supabase refuses", () => {
  it("are narrowed down and set aside while the rest of their table goes through", async () => {
    const out = await withStore(async (sql) => {
      const rows = Array.from({ length: 7 }, (_, i) =>
        riskEventRow(ACCOUNT, exampleRiskEvent(T0 + i, `risk-${i}`)),
      );
      appendHistory(sql, rows, T0);
      // a row the builders would refuse, written past them: a kind the database's check refuses
      const bad = riskEventRow(ACCOUNT, exampleRiskEvent(T0 + 3, "risk-bad"));
      appendHistory(sql, [{ ...bad, row: { ...bad.row, kind: "Not Snake" } } as HistoryRow], T0);
      appendHistory(sql, [logRow(ACCOUNT, exampleLog(T0))], T0);
      const first = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 });
      const second = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 1 });
      return { first, second, state: outboxState(sql, 100) };
    });
    expect(out.first).toMatchObject({ sent: 8, failed: 0, rejected: 1 });
    expect(out.first.byTable.risk_events).toMatchObject({ sent: 7, rejected: 1 });
    expect(out.first.byTable.risk_events?.error).toMatch(/23514/);
    expect(out.first.byTable.logs).toMatchObject({ sent: 1 });
    expect(out.second).toMatchObject({ sent: 0, rejected: 0 });
    expect(out.state).toMatchObject({ unflushed: 1, rejected: 1 });
    expect((await stored("risk_events", "event_id")).length).toBe(7);
  });
});

describe("a row replaced while its flush is on the network", () => {
  it("stays queued with its newer version and is sent by the next flush", async () => {
    const out = await withStore(async (sql) => {
      const order = exampleOrder();
      appendHistory(sql, [orderRow(ACCOUNT, order)], T0);
      let replaced = false;
      // the trading path updates the order while the upsert is in flight
      const racing: typeof fetch = async (input, init) => {
        if (!replaced) {
          replaced = true;
          appendHistory(
            sql,
            [orderRow(ACCOUNT, { ...order, state: "cancelled", updatedMs: order.updatedMs + 1_000 })],
            T0 + 1,
          );
        }
        return fetch(input, init);
      };
      const first = await flushHistory({
        sql,
        client: createHistoryClient(URL_, KEY, racing),
        batchSize: 100,
        nowMs: T0,
      });
      const queued = takeBatch(sql, 10).map((i) => i.row.state);
      const second = await flushHistory({ sql, client: client(), batchSize: 100, nowMs: T0 + 2 });
      return { first: first.sent, queued, second: second.sent, left: outboxState(sql, 100).unflushed };
    });
    expect(out).toEqual({ first: 1, queued: ["cancelled"], second: 1, left: 0 });
    expect(await stored("orders", "state")).toEqual([{ state: "cancelled" }]);
  });
});
