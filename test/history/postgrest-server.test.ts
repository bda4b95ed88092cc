/**
 * The PostgREST-compatible test server, driven by the real supabase-js client in Node: it
 * upserts on natural keys as PostgREST does, answers selects, maps Postgres errors to
 * PostgREST's statuses and codes, checks keys, and plays the outages the flush tests need.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHistoryClient } from "../../workers/history/flush.ts";
import { onConflictOf, orderRow, tradeRow } from "../../workers/history/rows.ts";
import { ACCOUNT, exampleOrder, exampleRoundTrip } from "../../workers/history/testing/fixtures.ts";
import { openHistoryDb, truncateHistory } from "../support/history-db.ts";
import type { PostgrestServer } from "../support/postgrest-server.ts";
import { startPostgrestServer, statusForSqlState } from "../support/postgrest-server.ts";

const SERVICE_KEY = "node-test-service-key";
const ANON_KEY = "node-test-anon-key";

let db: PGlite;
let server: PostgrestServer;
let client: SupabaseClient;

beforeAll(async () => {
  db = await openHistoryDb();
  server = await startPostgrestServer({ db, serviceKey: SERVICE_KEY, anonKey: ANON_KEY });
  client = createHistoryClient(server.url, SERVICE_KEY, fetch, 2_000);
}, 60_000);

afterAll(async () => {
  await server.close();
  await db.close();
});

beforeEach(async () => {
  server.setFault("none");
  await truncateHistory(db);
});

const order = () => orderRow(ACCOUNT, exampleOrder()).row;
const trade = () => tradeRow(ACCOUNT, exampleRoundTrip()).row;

describe("upsert", () => {
  it("inserts, then merges a replay on the conflict columns without adding a row", async () => {
    const first = await client.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(first.error).toBeNull();
    expect(first.status).toBe(201);
    const updated = { ...order(), state: "filled", filled: "10.00", updated_at: "2024-12-01T10:01:00.000Z" };
    const second = await client.from("orders").upsert([updated], { onConflict: onConflictOf("orders") });
    expect(second.error).toBeNull();
    const { data } = await client.from("orders").select("client_order_id,state,filled,price");
    expect(data).toEqual([{ client_order_id: "my-order-1", state: "filled", filled: 10, price: 0.35 }]);
  });

  it("keeps the stored row when told to ignore duplicates", async () => {
    await client.from("trades").upsert([trade()], { onConflict: onConflictOf("trades") });
    const r = await client.from("trades").upsert([{ ...trade(), pnl: "1.000000" }], {
      onConflict: onConflictOf("trades"),
      ignoreDuplicates: true,
    });
    expect(r.error).toBeNull();
    const { data } = await client.from("trades").select("pnl");
    expect(data).toEqual([{ pnl: 13.88 }]);
  });

  it("returns the stored rows, generated columns included, when asked to", async () => {
    const { data, error } = await client
      .from("trades")
      .upsert([trade()], { onConflict: onConflictOf("trades") })
      .select("position_id,gross_pnl");
    expect(error).toBeNull();
    expect(data).toEqual([{ position_id: "pos-highny-1", gross_pnl: 13.9 }]);
  });

  it("refuses a row a check constraint refuses, with PostgREST's status and the Postgres code", async () => {
    const r = await client
      .from("orders")
      .upsert([{ ...order(), price: "1.5000" }], { onConflict: onConflictOf("orders") });
    expect(r.status).toBe(400);
    expect(r.error?.code).toBe("23514");
    const { data } = await client.from("orders").select("*");
    expect(data).toEqual([]);
  });

  it("answers 404 PGRST205 for a table that does not exist", async () => {
    const r = await client.from("no_such_table").upsert([{ a: 1 }]);
    expect(r.status).toBe(404);
    expect(r.error?.code).toBe("PGRST205");
  });
});

describe("select", () => {
  it("filters, orders and limits", async () => {
    const rows = ["a", "b", "c"].map((id, i) => ({
      ...trade(),
      position_id: id,
      pnl: `${i}.000000`,
    }));
    await client.from("trades").upsert(rows, { onConflict: onConflictOf("trades") });
    const { data } = await client
      .from("trades")
      .select("position_id,pnl")
      .eq("account", ACCOUNT)
      .gte("pnl", 1)
      .order("pnl", { ascending: false })
      .limit(1);
    expect(data).toEqual([{ position_id: "c", pnl: 2 }]);
  });
});

describe("keys", () => {
  it("refuses a wrong service key with 401", async () => {
    const wrong = createHistoryClient(server.url, "not-the-key", fetch, 2_000);
    const r = await wrong.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(r.status).toBe(401);
    expect(await db.query("select 1 from orders")).toMatchObject({ rows: [] });
  });

  it("runs the anon key as anon, which the migrations leave without privileges", async () => {
    const anon = createHistoryClient(server.url, ANON_KEY, fetch, 2_000);
    const r = await anon.from("orders").select("*");
    expect(r.status).toBe(401);
    expect(r.error?.code).toBe("42501");
  });
});

describe("faults", () => {
  it("answers 503 while unavailable and nothing reaches the database", async () => {
    server.setFault("unavailable");
    const r = await client.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(r.status).toBe(503);
    server.setFault("none");
    expect((await client.from("orders").select("*")).data).toEqual([]);
  });

  it("drops connections in reset mode (supabase-js reports status 0)", async () => {
    server.setFault("reset");
    const r = await client.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(r.status).toBe(0);
    expect(r.error).not.toBeNull();
  });

  it("refuses connections while suspended and serves again after resuming", async () => {
    await server.suspend();
    const refused = await client.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(refused.status).toBe(0);
    await server.resume();
    const ok = await client.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(ok.error).toBeNull();
  });

  it("hangs in hang mode until the client's timeout aborts the request", async () => {
    const quick = createHistoryClient(server.url, SERVICE_KEY, fetch, 200);
    server.setFault("hang");
    const r = await quick.from("orders").upsert([order()], { onConflict: onConflictOf("orders") });
    expect(r.status).toBe(0);
    expect(r.error?.message).toMatch(/abort|timeout/i);
  });
});

describe("status mapping", () => {
  const cases: [string, boolean, number][] = [
    ["23505", false, 409],
    ["23503", false, 409],
    ["23514", false, 400],
    ["22003", false, 400],
    ["42501", true, 401],
    ["42501", false, 403],
    ["42P01", false, 404],
    ["53300", false, 503],
    ["40001", false, 500],
  ];
  it.each(cases)("maps SQLSTATE %s (anonymous %s) to %i", (code, anonymous, status) => {
    expect(statusForSqlState(code, anonymous)).toBe(status);
  });
});
