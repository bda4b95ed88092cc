/**
 * Fuzzing of the order path's journal reads (`workers/executor/journal.ts`) over real SQLite
 * (Node's, through bench/node-sql.ts's `SqlStorage` stand-in): one valid row in every table, then
 * one column of one row corrupted by hand with a value of another type (text, a fraction, a
 * blob, NULL, a huge double, a flag other than 0/1, a word no enum has). SQLite keeps what it is
 * given (a column's type is only an affinity), so the journal must notice: a reader either
 * returns rows of the right types or throws a `RowError` naming the table; it never casts a
 * wrong value into the domain objects and never fails with another exception. Integers past
 * 2^53 are left to journal-rows.worker.test.ts: Node's SQLite refuses to read them at all, while
 * workerd's returns the nearest double, which only the journal's schema catches.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeSqlStorage } from "../../bench/node-sql.ts";
import { applySchema, RowError } from "../../workers/account/sql-schema.ts";
import { EXECUTOR_SCHEMA, Journal } from "../../workers/executor/journal.ts";
import { journalOrder } from "../../workers/executor/test-support.ts";
import { runs } from "./support.ts";

const T0 = 1_795_000_000_000;

/** A journal holding one row in each table, every row visible to the reader below. */
function filledJournal() {
  const { sql } = nodeSqlStorage();
  applySchema(sql, EXECUTOR_SCHEMA);
  const j = new Journal(sql);
  j.insertOrder(
    journalOrder({ intentId: "i-1", clientOrderId: "c-1", orderId: "o-1", createdMs: T0, updatedMs: T0 }),
  );
  // A take-profit the exchange reported filled beyond the fills seen (what unsettledSells sums).
  j.insertOrder(
    journalOrder({
      intentId: "i-2",
      clientOrderId: "c-2",
      orderId: "o-2",
      action: "sell",
      purpose: "take_profit",
      reportedFilled: 60,
      fillSum: 20,
      filled: 60,
      state: "partially_filled",
      createdMs: T0 + 1,
      updatedMs: T0 + 1,
    }),
  );
  j.insertFill(
    {
      fillId: "f-1",
      orderId: "o-1",
      ticker: "KXTEST",
      yesPrice: 5_000,
      count: 100,
      yesDelta: 100,
      fee: 7_000,
      isTaker: true,
      tsMs: T0,
    },
    "i-1",
    "ws",
  );
  j.putPosition(
    {
      position: {
        positionId: "p-1",
        ticker: "KXTEST",
        side: "yes",
        contracts: 100,
        cost: 500_000,
        fees: 7_000,
        realizedGross: 0,
        maxContracts: 100,
        entered: 100,
        enteredCost: 500_000,
        exited: 0,
        exitProceeds: 0,
        bestBid: 5_000,
        worstBid: 5_000,
        openedMs: T0,
        exits: { takeProfit: 5_200, stop: 4_900, deadlineMs: T0 + 60_000 },
      },
      exit: { mode: "protect", reason: null, sinceMs: null, attempts: 0 },
      exitRequest: null,
    },
    T0,
  );
  j.insertRoundTrip({
    positionId: "p-0",
    ticker: "KXTEST",
    side: "no",
    contracts: 100,
    avgEntry: 9_000,
    avgExit: 9_100,
    openedMs: T0 - 10_000,
    closedMs: T0 - 5_000,
    reason: "take_profit",
    fees: 2_000,
    pnl: 8_000,
  });
  j.insertDiff({
    id: "d-1",
    atMs: T0,
    kind: "missed_fill",
    ticker: "KXTEST",
    detail: "x",
    blocking: true,
    reviewedMs: null,
  });
  j.putOrderGroup({
    exchange_index: 0,
    group_id: "g-1",
    contracts_limit: 100_000,
    triggered_ms: null,
    updated_ms: T0,
  });
  j.setState({ reconciled_ms: T0, balance: 1_000_000, balance_ms: T0 });
  return { sql, j };
}

/** The reader of each table, and the columns its WHERE clause filters on (a corrupted one may hide the row). */
const READERS: Record<string, { read: (j: Journal) => unknown; filters: string[] }> = {
  orders: { read: (j) => j.order("i-1"), filters: ["intent_id"] },
  fills: { read: (j) => j.fillsSince(0, 100), filters: ["ts_ms"] },
  positions: { read: (j) => j.positions(), filters: [] },
  round_trips: { read: (j) => j.roundTrips(100, 0), filters: ["closed_ms"] },
  recon_diffs: { read: (j) => j.diffs(100), filters: [] },
  order_groups: { read: (j) => j.orderGroups(), filters: [] },
  executor_state: { read: (j) => j.state(), filters: ["id"] },
};

/**
 * Readers that sum columns in SQL instead of reading rows: the columns they add up, and the
 * columns their WHERE clause filters on.
 */
const AGGREGATES: Record<string, { read: (j: Journal) => unknown; sums: string[]; filters: string[] }> = {
  orders: {
    read: (j) => j.unsettledSells("KXTEST-26MAY01-T50", "yes", 0),
    sums: ["reported_filled", "fill_sum"],
    filters: ["ticker", "side", "action", "created_ms"],
  },
  fills: { read: (j) => j.fillSums(), sums: ["yes_delta", "ticker"], filters: [] },
};

/** 0/1 columns read as booleans. */
const FLAGS = new Set(["post_only", "reduce_only", "is_taker", "blocking"]);

type Column = {
  name: string;
  type: string;
  notnull: number;
};

function columns(sql: SqlStorage, table: string): Column[] {
  return sql.exec<Column>(`PRAGMA table_info(${table})`).toArray();
}

type Corruption = { kind: "value"; value: string | number | null } | { kind: "blob" };

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom<string | number | null>(
        "abc",
        "",
        "12",
        "1.5",
        "yes",
        "filled",
        1.5,
        -1,
        2,
        7,
        1e300,
        -0.5,
        null,
      )
      .map((value) => ({ kind: "value" as const, value })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "blob" as const }) },
);

function attempt(fn: () => unknown): { value: unknown } | { thrown: unknown } {
  try {
    return { value: fn() };
  } catch (thrown) {
    return { thrown };
  }
}

/** Is what SQLite now holds of another type than the column declares (a cast would be needed)? */
function typeWrong(declared: string, stored: string, value: unknown, column: string): boolean {
  if (stored === "null") return false; // NULL in a nullable column: the row schema decides
  if (declared === "INTEGER")
    return stored !== "integer" || (FLAGS.has(column) && value !== 0 && value !== 1);
  return stored !== "text";
}

describe("journal rows corrupted by hand", () => {
  // Regression: 0/1 columns were read as any integer and compared with 1, so a 7 became `false`.
  it.each([
    ["orders", "post_only", (j: Journal) => j.order("i-1")],
    ["fills", "is_taker", (j: Journal) => j.fillsSince(0, 10)],
    ["recon_diffs", "blocking", (j: Journal) => j.diffs(10)],
  ])("reports a %s row whose %s flag is 7 instead of reading it as false", (table, column, read) => {
    const { sql, j } = filledJournal();
    sql.exec(`UPDATE ${table} SET ${column} = 7`);
    expect(() => read(j)).toThrow(RowError);
  });

  // Regression: sums computed in SQL were read without a schema; SQLite adds text as 0, so a
  // corrupted count vanished into the sum (fillSums: 'abc' summed as 0, unsettledSells likewise).
  it.each([
    ["fills", "yes_delta", (j: Journal) => j.fillSums()],
    ["orders", "reported_filled", (j: Journal) => j.unsettledSells("KXTEST-26MAY01-T50", "yes", 0)],
  ])("reports a %s row whose %s is text instead of summing it as 0", (table, column, read) => {
    expect(read(filledJournal().j)).toEqual(table === "fills" ? new Map([["KXTEST", 100]]) : 40);
    const { sql, j } = filledJournal();
    sql.exec(`UPDATE ${table} SET ${column} = 'abc'`);
    expect(() => read(j)).toThrow(RowError);
  });

  it("are reported as a RowError naming the table, never cast into the journal's objects", () => {
    const tables = Object.keys(READERS);
    fc.assert(
      fc.property(fc.constantFrom(...tables), fc.nat(), corruption, (table, at, c) => {
        const { sql, j } = filledJournal();
        const reader = READERS[table] as (typeof READERS)[string];
        const col = columns(sql, table)[at % columns(sql, table).length] as Column;
        const value = c.kind === "blob" ? (new Uint8Array([1, 2, 3]) as unknown as ArrayBuffer) : c.value;
        try {
          sql.exec(`UPDATE ${table} SET ${col.name} = ?`, value);
        } catch {
          return; // a constraint (NOT NULL, CHECK, UNIQUE) refused it: nothing to read back
        }
        const [stored] = sql
          .exec<{ t: string; v: SqlStorageValue }>(
            `SELECT typeof(${col.name}) AS t, ${col.name} AS v FROM ${table}`,
          )
          .toArray();
        const wrong = typeWrong(col.type, stored?.t ?? "null", stored?.v, col.name);
        const where = `${table}.${col.name} = ${String(stored?.v)} (${stored?.t})`;
        const aggregate = AGGREGATES[table];
        if (aggregate !== undefined && !aggregate.filters.includes(col.name)) {
          const r = attempt(() => aggregate.read(j));
          if ("thrown" in r) expect(r.thrown, String(r.thrown)).toBeInstanceOf(RowError);
          else if (aggregate.sums.includes(col.name))
            expect(wrong, `${where} summed as ${JSON.stringify(r.value)}`).toBe(false);
        }
        const r = attempt(() => reader.read(j));
        if ("thrown" in r) {
          expect(r.thrown, String(r.thrown)).toBeInstanceOf(RowError);
          expect(String(r.thrown)).toContain(table);
          return;
        }
        const read = r.value;
        const hidden =
          reader.filters.includes(col.name) &&
          (read === undefined || (Array.isArray(read) && read.length === 0));
        expect(wrong && !hidden, `${where} read as ${JSON.stringify(read)}`).toBe(false);
      }),
      runs(200, 601),
    );
  });
});
