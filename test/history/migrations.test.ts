/**
 * The Supabase migrations against a real Postgres (PGlite): they apply cleanly and in order, every
 * builder's row is accepted and read back exactly, the checks refuse bad rows, natural keys make
 * upserts idempotent, the views' numbers match hand-computed P&L and win rates, and row-level
 * security leaves the Data API's anon and authenticated roles with nothing.
 */
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HistoryTable } from "../../workers/history/rows.ts";
import { CONFLICT_COLUMNS, HISTORY_TABLES, tradeRow } from "../../workers/history/rows.ts";
import { ACCOUNT, exampleRoundTrip, oneOfEach } from "../../workers/history/testing/fixtures.ts";
import {
  applyMigrations,
  historyTableNames,
  MIGRATION_NAME,
  migrationFiles,
  SUPABASE_STUB,
  truncateHistory,
} from "../support/history-db.ts";

const T0 = Date.parse("2026-11-23T15:00:00Z");

let db: PGlite;
/** The files the setup applied, in the order it applied them. */
let applied: string[];

beforeAll(async () => {
  const { PGlite } = await import("@electric-sql/pglite");
  db = await PGlite.create();
  await db.exec(SUPABASE_STUB);
  applied = await applyMigrations(db);
}, 60_000);

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await truncateHistory(db);
});

/** Inserts (or with `upsert`, merges) rows as the bot's service role would, through json_populate_recordset. */
async function write(table: string, rows: Record<string, unknown>[], upsert = false): Promise<void> {
  const cols = Object.keys(rows[0] ?? {})
    .map((c) => `"${c}"`)
    .join(", ");
  const conflict = upsert
    ? ` on conflict (${CONFLICT_COLUMNS[table as HistoryTable].join(", ")}) do update set ${Object.keys(
        rows[0] ?? {},
      )
        .map((c) => `"${c}" = excluded."${c}"`)
        .join(", ")}`
    : "";
  await db.transaction(async (tx) => {
    await tx.exec("set local role service_role");
    await tx.query(
      `insert into public.${table} (${cols}) select ${cols} from json_populate_recordset(null::public.${table}, $1::json)${conflict}`,
      [JSON.stringify(rows)],
    );
  });
}

async function rowsOf(table: string, order = "1"): Promise<Record<string, unknown>[]> {
  const r = await db.query<{ j: Record<string, unknown> }>(
    `select to_jsonb(t) as j from public.${table} t order by ${order}`,
  );
  return r.rows.map((x) => x.j);
}

describe("the migrations", () => {
  it("are named as the Supabase CLI expects and apply in timestamp order", () => {
    const files = migrationFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(f).toMatch(MIGRATION_NAME);
    expect([...files].sort()).toEqual(files);
  });

  it("apply cleanly to a fresh database, and a second run fails rather than silently diverging", async () => {
    expect(applied).toEqual(migrationFiles());
    // each file runs in its own transaction: the failed re-run leaves the schema as it was
    await expect(applyMigrations(db)).rejects.toThrow(/migration 2026\d{10}_\w+\.sql failed/);
    expect(await historyTableNames(db)).toEqual([...HISTORY_TABLES].sort());
  });

  it("create exactly the tables the row builders write, each keyed by its conflict columns", async () => {
    expect(await historyTableNames(db)).toEqual([...HISTORY_TABLES].sort());
    for (const table of HISTORY_TABLES) {
      const pk = await db.query<{ attname: string }>(
        `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
         where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`,
        [`public.${table}`],
      );
      expect(
        pk.rows.map((r) => r.attname),
        table,
      ).toEqual([...CONFLICT_COLUMNS[table]]);
    }
  });

  it("store money, prices and counts in exact numeric types and times as timestamptz", async () => {
    const r = await db.query<{ table_name: string; column_name: string; t: string }>(
      `select c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) as t
       from information_schema.columns c
       join pg_attribute a on a.attrelid = ('public.' || c.table_name)::regclass and a.attname = c.column_name
       where c.table_schema = 'public' and c.table_name = any($1)`,
      [[...HISTORY_TABLES]],
    );
    const typeOf = (t: string, c: string) => r.rows.find((x) => x.table_name === t && x.column_name === c)?.t;
    expect(typeOf("trades", "pnl")).toBe("usd");
    expect(typeOf("orders", "price")).toBe("price_usd");
    expect(typeOf("fills", "count")).toBe("contracts");
    const domains = await db.query<{ typname: string; t: string }>(
      `select typname, format_type(typbasetype, typtypmod) as t from pg_type where typname in ('usd', 'price_usd', 'contracts') order by 1`,
    );
    expect(domains.rows).toEqual([
      { typname: "contracts", t: "numeric(12,2)" },
      { typname: "price_usd", t: "numeric(6,4)" },
      { typname: "usd", t: "numeric(20,6)" },
    ]);
    const times = r.rows.filter((x) => /(_at|_time|_until)$/.test(x.column_name));
    expect(times.length).toBeGreaterThan(10);
    for (const x of times)
      expect(`${x.table_name}.${x.column_name} ${x.t}`).toMatch(/timestamp with time zone$/);
  });
});

describe("rows built by the builders", () => {
  it("are accepted by every table and read back exactly", async () => {
    for (const r of oneOfEach(T0)) await write(r.table, [r.row as Record<string, unknown>]);
    for (const r of oneOfEach(T0)) {
      const [stored] = await rowsOf(r.table);
      expect(stored, r.table).toBeDefined();
      const sent = r.row as Record<string, unknown>;
      for (const [col, value] of Object.entries(sent)) {
        const got = stored?.[col];
        if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
          expect(Date.parse(String(got)), `${r.table}.${col}`).toBe(Date.parse(value));
        } else if (typeof value === "string" && /^-?\d+\.\d+$/.test(value)) {
          // numeric comes back as a JSON number; compare its exact decimal text
          expect(String(got), `${r.table}.${col}`).toBe(String(Number(value)));
        } else {
          expect(got, `${r.table}.${col}`).toEqual(value);
        }
      }
    }
  });

  it("merge on their natural key: a replay updates the row and adds none", async () => {
    const trade = tradeRow(ACCOUNT, exampleRoundTrip()).row as Record<string, unknown>;
    await write("trades", [trade], true);
    await write("trades", [{ ...trade, pnl: "12.000000", reason: "timeout" }], true);
    const stored = await rowsOf("trades");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ pnl: 12, reason: "timeout", gross_pnl: 12.02 });
  });

  it("keep an order's newest state when an older one is replayed after it", async () => {
    const order = oneOfEach(T0)[1]?.row as Record<string, unknown>;
    const newer = { ...order, state: "filled", filled: "10.00", updated_at: "2024-12-01T10:05:00.000Z" };
    await write("orders", [newer], true);
    await write("orders", [order], true);
    expect((await rowsOf("orders"))[0]).toMatchObject({ state: "filled", filled: 10 });
  });

  it("keep a market's first sighting while later sightings update it", async () => {
    const market = oneOfEach(T0)[0]?.row as Record<string, unknown>;
    const later = {
      ...market,
      status: "closed",
      first_seen_at: "2026-11-24T15:00:00.000Z",
      last_seen_at: "2026-11-24T15:00:00.000Z",
    };
    await write("markets", [market], true);
    await write("markets", [later], true);
    const [stored] = await rowsOf("markets");
    expect(stored).toMatchObject({ status: "closed" });
    expect(Date.parse(String(stored?.first_seen_at))).toBe(T0);
    expect(Date.parse(String(stored?.last_seen_at))).toBe(T0 + 86_400_000);
  });
});

describe("check constraints refuse bad rows the builders would never make", () => {
  const base = () =>
    Object.fromEntries(oneOfEach(T0).map((r) => [r.table, r.row as Record<string, unknown>]));
  const cases: [string, string, (b: Record<string, Record<string, unknown>>) => Record<string, unknown>][] = [
    ["a price just above $1", "orders", (b) => ({ ...b.orders, price: "1.0001" })],
    ["a negative price", "fills", (b) => ({ ...b.fills, yes_price: "-0.0001" })],
    ["a zero count", "orders", (b) => ({ ...b.orders, count: "0.00" })],
    ["filled above count", "orders", (b) => ({ ...b.orders, filled: "10.01" })],
    ["an unknown order state", "orders", (b) => ({ ...b.orders, state: "open" })],
    ["a yes delta that is not +-count", "fills", (b) => ({ ...b.fills, yes_delta: "1.00" })],
    [
      "a trade closed before it opened",
      "trades",
      (b) => ({ ...b.trades, closed_at: "2020-01-01T00:00:00Z" }),
    ],
    ["an unknown exit reason", "trades", (b) => ({ ...b.trades, reason: "luck" })],
    ["more wins and losses than trades", "daily_reports", (b) => ({ ...b.daily_reports, wins: 2 })],
    ["an account key with a space", "logs", (b) => ({ ...b.logs, account: "sim default" })],
    ["an empty account key", "alerts", (b) => ({ ...b.alerts, account: "" })],
    ["a kind that is not snake_case", "risk_events", (b) => ({ ...b.risk_events, kind: "Deny" })],
    ["a severity outside the list", "alerts", (b) => ({ ...b.alerts, severity: "panic" })],
    ["a negative exposure", "account_snapshots", (b) => ({ ...b.account_snapshots, exposure: "-0.000001" })],
    ["a missing natural key", "fills", (b) => ({ ...b.fills, fill_id: null })],
    ["details that are not an object", "alerts", (b) => ({ ...b.alerts, details: [1, 2] })],
  ];
  it.each(cases)("%s (%s)", async (_name, table, make) => {
    await expect(write(table, [make(base())])).rejects.toThrow();
    expect(await rowsOf(table)).toHaveLength(0);
  });

  it("accept the edges just inside: $1 and $0 prices, filled equal to count", async () => {
    const b = base();
    await write("orders", [{ ...b.orders, price: "1.0000", filled: "10.00" }]);
    await write("fills", [{ ...b.fills, yes_price: "0.0000" }]);
    expect(await rowsOf("orders")).toHaveLength(1);
    expect(await rowsOf("fills")).toHaveLength(1);
  });
});

describe("the daily views", () => {
  /** Round trips around New York midnight (EST in November, EDT in July), with hand-computed results. */
  const trips = [
    // 2026-11-23 in New York: 14:00 EST, 23:30 EST (04:30 UTC the next day), a scratch
    { id: "a", closed: "2026-11-23T19:00:00Z", pnl: 13_880_000, fees: 20_000 },
    { id: "b", closed: "2026-11-24T04:30:00Z", pnl: -5_250_000, fees: 70_000 },
    { id: "c", closed: "2026-11-23T20:00:00Z", pnl: 0, fees: 10_000 },
    // 2026-11-24 in New York: 00:30 EST is 05:30 UTC
    { id: "d", closed: "2026-11-24T05:30:00Z", pnl: 1_000_001, fees: 5_000 },
    // 2026-06-30 in New York: 23:30 EDT is 03:30 UTC on July 1
    { id: "e", closed: "2026-07-01T03:30:00Z", pnl: 2_000_000, fees: 0 },
  ];

  beforeEach(async () => {
    const rows = trips.map(
      (t) =>
        tradeRow(
          ACCOUNT,
          exampleRoundTrip({
            positionId: t.id,
            closedMs: Date.parse(t.closed),
            openedMs: Date.parse(t.closed) - 60_000,
            pnl: t.pnl,
            fees: t.fees,
          }),
        ).row as Record<string, unknown>,
    );
    await write("trades", rows);
    // Another account's trade never mixes in.
    await write("trades", [{ ...(rows[0] as Record<string, unknown>), account: "demo:default" }]);
  });

  it("sum P&L per account and New York trading day", async () => {
    const r = await db.query<Record<string, unknown>>(
      `select trading_day::text as day, trades, gross_pnl::text as gross, fees::text as fees, net_pnl::text as net,
              best_trade::text as best, worst_trade::text as worst
       from daily_pnl where account = $1 order by trading_day`,
      [ACCOUNT],
    );
    expect(r.rows).toEqual([
      {
        day: "2026-06-30",
        trades: 1,
        gross: "2.000000",
        fees: "0.000000",
        net: "2.000000",
        best: "2.000000",
        worst: "2.000000",
      },
      // 13.88 - 5.25 + 0 = 8.63 net; fees 0.02 + 0.07 + 0.01 = 0.10; gross 8.73
      {
        day: "2026-11-23",
        trades: 3,
        gross: "8.730000",
        fees: "0.100000",
        net: "8.630000",
        best: "13.880000",
        worst: "-5.250000",
      },
      {
        day: "2026-11-24",
        trades: 1,
        gross: "1.005001",
        fees: "0.005000",
        net: "1.000001",
        best: "1.000001",
        worst: "1.000001",
      },
    ]);
  });

  it("count wins, losses and scratches and give the win rate per trading day", async () => {
    const r = await db.query<Record<string, unknown>>(
      `select trading_day::text as day, trades, wins, losses, scratches, win_rate::text as rate
       from daily_win_rate where account = $1 order by trading_day`,
      [ACCOUNT],
    );
    expect(r.rows).toEqual([
      { day: "2026-06-30", trades: 1, wins: 1, losses: 0, scratches: 0, rate: "1.0000" },
      { day: "2026-11-23", trades: 3, wins: 1, losses: 1, scratches: 1, rate: "0.3333" },
      { day: "2026-11-24", trades: 1, wins: 1, losses: 0, scratches: 0, rate: "1.0000" },
    ]);
    const other = await db.query("select * from daily_win_rate where account = 'demo:default'");
    expect(other.rows).toHaveLength(1);
  });
});

describe("row-level security", () => {
  beforeEach(async () => {
    for (const r of oneOfEach(T0)) await write(r.table, [r.row as Record<string, unknown>]);
  });

  it("is enabled on every table with no policy at all", async () => {
    const r = await db.query<{ relname: string; relrowsecurity: boolean }>(
      "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1",
    );
    expect(r.rows.map((x) => x.relname)).toEqual([...HISTORY_TABLES].sort());
    for (const x of r.rows) expect(x.relrowsecurity, x.relname).toBe(true);
    const policies = await db.query("select * from pg_policies where schemaname = 'public'");
    expect(policies.rows).toEqual([]);
  });

  it.each(["anon", "authenticated"])("leaves %s no privilege on any table or view", async (role) => {
    for (const rel of [...HISTORY_TABLES, "daily_pnl", "daily_win_rate"]) {
      await expect(
        db.transaction(async (tx) => {
          await tx.exec(`set local role ${role}`);
          await tx.query(`select count(*) from public.${rel}`);
        }),
        rel,
      ).rejects.toThrow(/permission denied/);
    }
  });

  it("shows anon no row even if a privilege is granted by mistake", async () => {
    await db.exec(
      "grant select, insert on public.orders to anon; grant select on public.trades, public.daily_pnl to anon;",
    );
    try {
      const seen = await db.transaction(async (tx) => {
        await tx.exec("set local role anon");
        const orders = await tx.query<{ n: number }>("select count(*)::int as n from public.orders");
        const daily = await tx.query<{ n: number }>("select count(*)::int as n from public.daily_pnl");
        return [orders.rows[0]?.n, daily.rows[0]?.n];
      });
      expect(seen).toEqual([0, 0]);
      await expect(
        db.transaction(async (tx) => {
          await tx.exec("set local role anon");
          const order = { ...(oneOfEach(T0)[1]?.row as Record<string, unknown>), client_order_id: "anon-1" };
          await tx.query(
            "insert into public.orders select * from json_populate_record(null::public.orders, $1::json)",
            [JSON.stringify(order)],
          );
        }),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await db.exec("revoke all on public.orders, public.trades, public.daily_pnl from anon;");
    }
  });

  it("lets the service role read every table and view", async () => {
    const counts = await db.transaction(async (tx) => {
      await tx.exec("set local role service_role");
      const out: number[] = [];
      for (const rel of [...HISTORY_TABLES, "daily_pnl", "daily_win_rate"]) {
        const r = await tx.query<{ n: number }>(`select count(*)::int as n from public.${rel}`);
        out.push(r.rows[0]?.n ?? -1);
      }
      return out;
    });
    expect(counts).toEqual([...HISTORY_TABLES.map(() => 1), 1, 1]);
  });
});
