/**
 * The local history store and outbox in a Durable Object's real SQLite (workerd): schema
 * versioning, appends inside the caller's transaction, replacement by natural key, batches,
 * paging, retention and the bound. The object class is irrelevant here: only its storage is used.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HistoryRow } from "./rows.ts";
import { fillRow, logRow, orderRow, riskEventRow, snapshotRow, tradeRow } from "./rows.ts";
import {
  appendHistory,
  applyRetention,
  enforceBound,
  ensureHistorySchema,
  HISTORY_SCHEMA_VERSION,
  markFlushed,
  markRejected,
  outboxState,
  queryHistory,
  requeueRejected,
  takeBatch,
} from "./store.ts";
import {
  ACCOUNT,
  exampleFill,
  exampleLog,
  exampleOrder,
  exampleRiskEvent,
  exampleRoundTrip,
  exampleSnapshot,
  oneOfEach,
} from "./testing/fixtures.ts";

const T0 = Date.parse("2026-11-23T15:00:00Z");
const MIN = 60_000;
const DAY = 86_400_000;

let n = 0;
/** Runs `fn` against the SQLite storage of a fresh object, with the history schema applied. */
function withStore<T>(fn: (sql: SqlStorage, storage: DurableObjectStorage) => T | Promise<T>): Promise<T> {
  const stub = env.ACCOUNT.getByName(`history-test-store-${n++}-${crypto.randomUUID()}`);
  return runInDurableObject(stub, async (_obj, state) => {
    ensureHistorySchema(state.storage.sql);
    return fn(state.storage.sql, state.storage);
  });
}

const logAt = (atMs: number, id = `log-${atMs}`) => logRow(ACCOUNT, exampleLog(atMs, id));
const riskAt = (atMs: number, id = `risk-${atMs}`) => riskEventRow(ACCOUNT, exampleRiskEvent(atMs, id));
const snapAt = (atMs: number) => snapshotRow(ACCOUNT, exampleSnapshot(atMs));

describe("ensureHistorySchema", () => {
  it("creates the tables once and reports the same version on every later call", async () => {
    const versions = await withStore((sql) => {
      appendHistory(sql, [logAt(T0)], T0);
      return [ensureHistorySchema(sql), ensureHistorySchema(sql), takeBatch(sql, 10).length];
    });
    expect(versions).toEqual([HISTORY_SCHEMA_VERSION, HISTORY_SCHEMA_VERSION, 1]);
  });

  it("reads the outbox's size and age from the unflushed rows, not by scanning the whole history", async () => {
    const plans = await withStore((sql) => {
      const plan = (q: string) =>
        sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`)
          .toArray()
          .map((r) => r.detail)
          .join("; ");
      return [
        plan(
          "SELECT count(*) AS n, count(rejected) AS rejected, min(written_ms) AS oldest FROM history WHERE flushed_ms IS NULL",
        ),
        plan("SELECT count(*) AS n FROM history WHERE flushed_ms IS NULL"),
      ];
    });
    for (const p of plans) expect(p).toMatch(/history_unflushed/);
  });

  it("refuses a store written by newer code instead of running on it", async () => {
    const err = await withStore((sql) => {
      sql.exec("UPDATE history_meta SET value = 99 WHERE name = 'schema_version'");
      try {
        ensureHistorySchema(sql);
        return null;
      } catch (e) {
        return String(e);
      }
    });
    expect(err).toMatch(/version 99 is newer/);
  });
});

describe("appendHistory and takeBatch", () => {
  it("hands out unflushed rows oldest first, up to the limit", async () => {
    const tables = await withStore((sql) => {
      appendHistory(sql, oneOfEach(T0), T0);
      return [takeBatch(sql, 3).map((i) => i.table), takeBatch(sql, 100).length];
    });
    expect(tables).toEqual([["markets", "orders", "fills"], 10]);
  });

  it("commits and rolls back with the caller's transaction", async () => {
    const counts = await withStore((sql, storage) => {
      storage.transactionSync(() => appendHistory(sql, [logAt(T0, "kept")], T0));
      try {
        storage.transactionSync(() => {
          appendHistory(sql, [logAt(T0, "rolled-back")], T0);
          throw new Error("the state change failed");
        });
      } catch {
        // the caller's state change failed: its history row must go with it
      }
      return takeBatch(sql, 10).map((i) => i.row.event_id);
    });
    expect(counts).toEqual(["kept"]);
  });

  it("replaces a row with the same natural key, moves it to the back and marks it unflushed again", async () => {
    const out = await withStore((sql) => {
      const order = exampleOrder();
      appendHistory(sql, [orderRow(ACCOUNT, order), logAt(T0)], T0);
      const first = takeBatch(sql, 10);
      markFlushed(
        sql,
        first.map((i) => i.id),
        T0,
      );
      appendHistory(sql, [orderRow(ACCOUNT, { ...order, state: "filled", filled: order.count })], T0 + MIN);
      const again = takeBatch(sql, 10);
      return { firstIds: first.map((i) => i.id), again: again.map((i) => [i.id, i.row.state]) };
    });
    expect(out.again).toHaveLength(1);
    expect(out.again[0]?.[1]).toBe("filled");
    expect(out.firstIds).not.toContain(out.again[0]?.[0]);
  });

  it("does not mark flushed a row replaced after its batch was taken (the newer version stays queued)", async () => {
    const left = await withStore((sql) => {
      const order = exampleOrder();
      appendHistory(sql, [orderRow(ACCOUNT, order)], T0);
      const taken = takeBatch(sql, 10);
      // the trading path updates the order while the flush is out on the network
      appendHistory(sql, [orderRow(ACCOUNT, { ...order, state: "cancelled" })], T0 + 1);
      const marked = markFlushed(
        sql,
        taken.map((i) => i.id),
        T0 + 2,
      );
      return { marked, queued: takeBatch(sql, 10).map((i) => i.row.state) };
    });
    expect(left).toEqual({ marked: 0, queued: ["cancelled"] });
  });

  it("sets rejected rows aside until they are requeued", async () => {
    const out = await withStore((sql) => {
      appendHistory(sql, [logAt(T0, "a"), logAt(T0, "b")], T0);
      const [a] = takeBatch(sql, 1);
      markRejected(sql, [{ id: a?.id ?? -1, error: "23514 check violation" }]);
      const whileRejected = takeBatch(sql, 10).map((i) => i.row.event_id);
      const state = outboxState(sql, 100);
      const requeued = requeueRejected(sql);
      return {
        whileRejected,
        rejected: state.rejected,
        unflushed: state.unflushed,
        requeued,
        after: takeBatch(sql, 10).length,
      };
    });
    expect(out).toEqual({ whileRejected: ["b"], rejected: 1, unflushed: 2, requeued: 1, after: 2 });
  });

  it("sets aside a stored row that can no longer be read instead of returning it", async () => {
    const out = await withStore((sql) => {
      appendHistory(sql, [logAt(T0, "good")], T0);
      sql.exec(
        "INSERT INTO history (tbl, key, at_ms, written_ms, row) VALUES ('dropped_table', 'k', ?, ?, '{}'), ('logs', 'k2', ?, ?, 'not json')",
        T0,
        T0,
        T0,
        T0,
      );
      return {
        batch: takeBatch(sql, 10).map((i) => i.row.event_id),
        rejected: outboxState(sql, 100).rejected,
      };
    });
    expect(out).toEqual({ batch: ["good"], rejected: 2 });
  });
});

describe("queryHistory", () => {
  it("pages a table newest first with a cursor that stays valid while newer rows arrive", async () => {
    const pages = await withStore((sql) => {
      appendHistory(
        sql,
        [0, 1, 2, 3, 4].map((i) => riskAt(T0 + i * MIN)),
        T0,
      );
      appendHistory(sql, [logAt(T0 + 10 * MIN)], T0);
      const p1 = queryHistory(sql, "risk_events", { limit: 2 });
      if (!p1.ok || p1.page.nextCursor === null) throw new Error("no first page");
      appendHistory(sql, [riskAt(T0 + 9 * MIN)], T0);
      const p2 = queryHistory(sql, "risk_events", { limit: 2, cursor: p1.page.nextCursor });
      if (!p2.ok || p2.page.nextCursor === null) throw new Error("no second page");
      const p3 = queryHistory(sql, "risk_events", { limit: 2, cursor: p2.page.nextCursor });
      if (!p3.ok) throw new Error("no third page");
      return [p1.page, p2.page, p3.page].map((p) => ({
        ids: p.items.map((i) => i.row.event_id),
        more: p.nextCursor !== null,
      }));
    });
    const id = (i: number) => `risk-${T0 + i * MIN}`;
    expect(pages).toEqual([
      { ids: [id(4), id(3)], more: true },
      { ids: [id(2), id(1)], more: true },
      { ids: [id(0)], more: false },
    ]);
  });

  it("orders rows about the same moment by natural key, so paging never skips or repeats one", async () => {
    const ids = await withStore((sql) => {
      appendHistory(
        sql,
        ["c", "a", "b"].map((k) => riskAt(T0, k)),
        T0,
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) {
        const r = queryHistory(sql, "risk_events", { limit: 1, ...(cursor ? { cursor } : {}) });
        if (!r.ok) throw new Error(r.error);
        seen.push(...r.page.items.map((x) => x.row.event_id));
        if (r.page.nextCursor === null) break;
        cursor = r.page.nextCursor;
      }
      return seen;
    });
    expect(ids).toEqual(["c", "b", "a"]);
  });

  it("keeps to [since, until) and says whether each row is flushed", async () => {
    const out = await withStore((sql) => {
      appendHistory(
        sql,
        [0, 1, 2, 3].map((i) => logAt(T0 + i * MIN)),
        T0,
      );
      const [oldest] = takeBatch(sql, 1);
      markFlushed(sql, [oldest?.id ?? -1], T0);
      const r = queryHistory(sql, "logs", { since: T0, until: T0 + 2 * MIN, limit: 10 });
      if (!r.ok) throw new Error(r.error);
      return r.page.items.map((i) => [i.atMs - T0, i.flushed]);
    });
    expect(out).toEqual([
      [MIN, false],
      [0, true],
    ]);
  });

  it("checks stored rows against their schema and counts the ones that fail", async () => {
    const out = await withStore((sql) => {
      appendHistory(sql, [fillRow(ACCOUNT, exampleFill())], T0);
      sql.exec(
        "INSERT INTO history (tbl, key, at_ms, written_ms, row) VALUES ('fills', 'bad', 1, 1, '{\"fill_id\": 7}')",
      );
      const r = queryHistory(sql, "fills", { limit: 10 });
      if (!r.ok) throw new Error(r.error);
      return { ids: r.page.items.map((i) => i.row.fill_id), invalid: r.page.invalid };
    });
    expect(out).toEqual({ ids: ["d91bc706-ee49-470d-82d8-11418bda6fed"], invalid: 1 });
  });

  const badQueries: [string, { limit: number; cursor?: string }, RegExp][] = [
    ["a limit of 0", { limit: 0 }, /limit/],
    ["a limit just above 500", { limit: 501 }, /limit/],
    ["a cursor it did not make", { limit: 10, cursor: "bm90LWEtY3Vyc29y" }, /cursor/],
  ];
  it.each(badQueries)("answers %s with an error, not a page", async (_name, q, message) => {
    const r = await withStore((sql) => queryHistory(sql, "orders", q));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it("accepts the limits just inside: 1 and 500", async () => {
    const r = await withStore((sql) => [1, 500].map((limit) => queryHistory(sql, "orders", { limit }).ok));
    expect(r).toEqual([true, true]);
  });
});

describe("applyRetention", () => {
  const RETENTION = 7 * DAY;
  /** Rows written at NOW - RETENTION - 1 (just old), NOW - RETENTION (just kept), flushed or not. */
  async function retained(supabaseConfigured: boolean): Promise<string[]> {
    const NOW = T0 + 30 * DAY;
    return withStore((sql) => {
      appendHistory(sql, [logAt(T0, "old-flushed")], NOW - RETENTION - 1);
      appendHistory(sql, [logAt(T0, "edge-flushed")], NOW - RETENTION);
      markFlushed(
        sql,
        takeBatch(sql, 10).map((i) => i.id),
        NOW - RETENTION,
      );
      appendHistory(
        sql,
        [tradeRow(ACCOUNT, exampleRoundTrip({ positionId: "old-unflushed" }))],
        NOW - RETENTION - 1,
      );
      appendHistory(sql, [logAt(T0, "edge-unflushed")], NOW - RETENTION);
      applyRetention(sql, NOW, { retentionMs: RETENTION, supabaseConfigured });
      return sql
        .exec<{ row: string }>("SELECT row FROM history ORDER BY id")
        .toArray()
        .map((r) => {
          const row = JSON.parse(r.row) as { event_id?: string; position_id?: string };
          return row.event_id ?? row.position_id ?? "?";
        });
    });
  }

  it("with Supabase, deletes flushed rows past retention and never an unflushed one", async () => {
    expect(await retained(true)).toEqual(["edge-flushed", "old-unflushed", "edge-unflushed"]);
  });

  it("without Supabase, deletes every row past retention, flushed or not", async () => {
    expect(await retained(false)).toEqual(["edge-flushed", "edge-unflushed"]);
  });

  it("deletes at most maxDelete rows per call and says when more remain", async () => {
    const out = await withStore((sql) => {
      appendHistory(
        sql,
        [0, 1, 2, 3, 4].map((i) => logAt(T0 + i)),
        T0,
      );
      const opts = { retentionMs: DAY, supabaseConfigured: false, maxDelete: 3 };
      return [applyRetention(sql, T0 + 2 * DAY, opts), applyRetention(sql, T0 + 2 * DAY, opts)];
    });
    expect(out).toEqual([
      { deleted: 3, more: true },
      { deleted: 2, more: false },
    ]);
  });
});

describe("the outbox bound", () => {
  const nearCases: [number, boolean, boolean][] = [
    [79, false, false],
    [80, true, false],
    [99, true, false],
    [100, true, true],
  ];
  it.each(nearCases)(
    "with %i of 100 unflushed reports nearBound %s and full %s",
    async (count, near, full) => {
      const s = await withStore((sql) => {
        appendHistory(
          sql,
          Array.from({ length: count }, (_, i) => riskAt(T0 + i)),
          T0 + 5 * MIN,
        );
        return outboxState(sql, 100);
      });
      expect(s).toMatchObject({
        unflushed: count,
        bound: 100,
        nearBound: near,
        full,
        oldestMs: T0 + 5 * MIN,
      });
    },
  );

  it("reports an empty outbox with no oldest time", async () => {
    const s = await withStore((sql) => outboxState(sql, 100));
    expect(s).toEqual({
      unflushed: 0,
      rejected: 0,
      oldestMs: null,
      bound: 100,
      nearBound: false,
      full: false,
      dropped: {},
    });
  });

  it("drops low-value rows oldest first at the bound, counts them, and keeps every trading record", async () => {
    const out = await withStore((sql) => {
      const rows: HistoryRow[] = [];
      for (let i = 0; i < 4; i++) rows.push(logAt(T0 + i), snapAt(T0 + i * MIN), riskAt(T0 + i));
      appendHistory(sql, rows, T0);
      const first = enforceBound(sql, 8);
      const again = enforceBound(sql, 8);
      const left = takeBatch(sql, 100).map((i) => `${i.table}:${i.key}`);
      return { first, again, left, state: outboxState(sql, 8) };
    });
    // 12 unflushed, bound 8: the 4 oldest low-value rows (log 0, snapshot 0, log 1, snapshot 1) go
    expect(out.first).toEqual({ dropped: { logs: 2, account_snapshots: 2 }, unflushed: 8 });
    expect(out.again).toEqual({ dropped: {}, unflushed: 8 });
    expect(out.left.filter((k) => k.startsWith("risk_events:"))).toHaveLength(4);
    expect(out.left.filter((k) => k.startsWith("logs:"))).toHaveLength(2);
    expect(out.state).toMatchObject({ unflushed: 8, full: true, dropped: { logs: 2, account_snapshots: 2 } });
  });

  it("stays above the bound rather than drop a trading record", async () => {
    const out = await withStore((sql) => {
      appendHistory(sql, [...[0, 1, 2].map((i) => riskAt(T0 + i)), logAt(T0)], T0);
      return { bound: enforceBound(sql, 2), state: outboxState(sql, 2) };
    });
    expect(out.bound).toEqual({ dropped: { logs: 1 }, unflushed: 3 });
    expect(out.state).toMatchObject({ unflushed: 3, full: true });
  });
});
