/**
 * The simulator's REST face, over real sockets on 127.0.0.1: signature checks with Kalshi's
 * 401 body, the legacy-endpoint error, redirects, pagination and filters, V2 order round trips,
 * and the token buckets (429 with Kalshi's bare-string body).
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestSim } from "./test-support.ts";
import { api, KEY_ID, signedHeaders, startTestSim, T0 } from "./test-support.ts";

let t: TestSim;
let ticker: string;

beforeEach(async () => {
  t = await startTestSim();
  const st = await t.control.state();
  ticker = (st.markets.find((m) => m.status === "active") ?? st.markets[0])?.ticker as string;
});
afterEach(async () => {
  await t.close();
});

const AUTH_401 = (desc: string) => ({
  error: {
    code: "authentication_error",
    message: "authentication_error",
    details: `rpc error: code = Unauthenticated desc = ${desc}`,
  },
});

describe("auth", () => {
  it("accepts a correctly signed request and answers the balance in cents and dollars", async () => {
    const r = await api(t, "GET", "/portfolio/balance");
    expect(r.status).toBe(200);
    const b = r.body as Record<string, unknown>;
    expect(Number.isInteger(b.balance)).toBe(true);
    expect(b.balance_dollars).toMatch(/^\d+\.\d{4}$/);
    expect(b.balance).toBe(Math.trunc(Number(b.balance_dollars) * 100));
  });

  it("accepts a signature over the path without its query string", async () => {
    const r = await api(t, "GET", "/portfolio/orders?limit=5&status=resting");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ orders: [], cursor: "" });
  });

  it("refuses a tampered signature with Kalshi's 401 body", async () => {
    const path = "/trade-api/v2/portfolio/balance";
    const h = signedHeaders("GET", path, T0);
    const sig = Buffer.from(h["KALSHI-ACCESS-SIGNATURE"] as string, "base64");
    sig[10] = (sig[10] as number) ^ 0xff;
    h["KALSHI-ACCESS-SIGNATURE"] = sig.toString("base64");
    const res = await fetch(`${t.sim.url}${path}`, { headers: h });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(AUTH_401("INCORRECT_API_KEY_SIGNATURE"));
  });

  it("refuses a signature made for another path", async () => {
    const h = signedHeaders("GET", "/trade-api/v2/portfolio/positions", T0);
    const res = await fetch(`${t.sim.url}/trade-api/v2/portfolio/balance`, { headers: h });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(AUTH_401("INCORRECT_API_KEY_SIGNATURE"));
  });

  it("refuses a signature that leaves out the /trade-api/v2 prefix", async () => {
    const h = signedHeaders("GET", "/portfolio/balance", T0);
    const res = await fetch(`${t.sim.url}/trade-api/v2/portfolio/balance`, { headers: h });
    expect(res.status).toBe(401);
  });

  it("refuses a stale timestamp even when the signature is valid", async () => {
    const path = "/trade-api/v2/portfolio/balance";
    const h = signedHeaders("GET", path, T0 - 60_000);
    const res = await fetch(`${t.sim.url}${path}`, { headers: h });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(AUTH_401("TIMESTAMP_EXPIRED"));
  });

  it("refuses an unknown key id and a private endpoint without headers", async () => {
    const path = "/trade-api/v2/portfolio/balance";
    const h = { ...signedHeaders("GET", path, T0), "KALSHI-ACCESS-KEY": "nobody" };
    expect((await fetch(`${t.sim.url}${path}`, { headers: h })).status).toBe(401);
    const bare = await fetch(`${t.sim.url}${path}`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { code: string } }).error.code).toBe("authentication_error");
  });

  it("serves public market data without signature", async () => {
    const res = await fetch(`${t.sim.url}/trade-api/v2/markets?limit=1`);
    expect(res.status).toBe(200);
    expect(KEY_ID).toBeTruthy();
  });
});

describe("routing", () => {
  it("answers the legacy /portfolio/orders writes with the switch-to-V2 error", async () => {
    // no `details` when there is nothing to add (Kalshi's Order Errors page)
    const expected = {
      error: {
        code: "deprecated_v1_order_endpoint",
        message: "Please switch to the V2 endpoints",
      },
    };
    for (const [method, path] of [
      ["POST", "/portfolio/orders"],
      ["DELETE", "/portfolio/orders/abc"],
      ["POST", "/portfolio/orders/abc/amend"],
      ["POST", "/portfolio/orders/abc/decrease"],
      ["POST", "/portfolio/orders/batched"],
      ["DELETE", "/portfolio/orders/batched"],
    ] as const) {
      await t.control.step(1000); // legacy writes cost 100 tokens, a whole Basic write bucket: refill between them
      const r = await api(
        t,
        method,
        path,
        method === "POST" ? { ticker, action: "buy", side: "yes", count: 1 } : undefined,
      );
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body).toEqual(expected);
    }
  });

  it("answers a trailing-slash path with a 301 to the path without it", async () => {
    const res = await fetch(`${t.sim.url}/trade-api/v2/markets/?limit=2`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/trade-api/v2/markets?limit=2");
  });

  it("answers an unknown market with a wrapped 404", async () => {
    const r = await api(t, "GET", "/markets/NOPE-1");
    expect(r.status).toBe(404);
    expect((r.body as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answers a body that is not JSON with Kalshi's flat 400 bad_request, not under error", async () => {
    const path = "/trade-api/v2/portfolio/events/orders";
    const res = await fetch(`${t.sim.url}${path}`, {
      method: "POST",
      headers: { ...signedHeaders("POST", path, t.authNow.ms), "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "bad_request",
      message: "bad request",
      details: "invalid JSON body",
    });
  });
});

describe("market data", () => {
  it("pages markets with a cursor until the cursor is empty", async () => {
    const seen: string[] = [];
    let cursor = "";
    for (let i = 0; i < 10; i++) {
      const r = await api(t, "GET", `/markets?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      const b = r.body as { markets: { ticker: string }[]; cursor: string };
      seen.push(...b.markets.map((m) => m.ticker));
      cursor = b.cursor;
      if (cursor === "") break;
    }
    const st = await t.control.state();
    expect(seen).toEqual(st.markets.map((m) => m.ticker));
  });

  it("maps the status filter vocabulary onto response statuses", async () => {
    const open = (await api(t, "GET", "/markets?status=open")).body as { markets: { status: string }[] };
    expect(open.markets.length).toBeGreaterThan(0);
    expect(open.markets.every((m) => m.status === "active")).toBe(true);
    await t.control.closeMarket(ticker);
    const closed = (await api(t, "GET", "/markets?status=closed")).body as {
      markets: { ticker: string; status: string }[];
    };
    expect(closed.markets.map((m) => m.ticker)).toContain(ticker);
    expect(closed.markets.every((m) => m.status === "closed")).toBe(true);
    expect((await api(t, "GET", "/markets?status=active")).status).toBe(400);
  });

  it("renders a market with dollar-string prices, fp counts and its tick grid", async () => {
    const r = await api(t, "GET", `/markets/${ticker}`);
    const m = (r.body as { market: Record<string, unknown> }).market;
    expect(m.ticker).toBe(ticker);
    expect(m.last_price_dollars).toMatch(/^\d\.\d{4}$/);
    expect(m.volume_fp).toMatch(/^\d+\.\d{2}$/);
    expect(Array.isArray(m.price_ranges)).toBe(true);
    expect(m).not.toHaveProperty("yes_bid"); // integer-cent fields are gone since 2026-03-12
  });

  it("serves the orderbook as bids only: YES bids and NO bids at NO-leg prices", async () => {
    await t.control.placeLiquidity(ticker, "bid", 4500, 1000);
    await t.control.placeLiquidity(ticker, "ask", 5500, 700); // a YES ask at 0.55 is a NO bid at 0.45
    const r = await api(t, "GET", `/markets/${ticker}/orderbook`);
    expect(r.body).toEqual({
      orderbook_fp: { yes_dollars: [["0.4500", "10.00"]], no_dollars: [["0.4500", "7.00"]] },
    });
    const many = await api(t, "GET", `/markets/orderbooks?tickers=${ticker}`);
    expect(many.body).toEqual({
      orderbooks: [
        { ticker, orderbook_fp: { yes_dollars: [["0.4500", "10.00"]], no_dollars: [["0.4500", "7.00"]] } },
      ],
    });
  });

  it("answers exchange status, schedule, limits and endpoint costs", async () => {
    expect((await api(t, "GET", "/exchange/status")).body).toEqual({
      exchange_active: true,
      trading_active: true,
      exchange_estimated_resume_time: null,
    });
    expect((await api(t, "GET", "/account/limits")).body).toEqual({
      usage_tier: "basic",
      read: { refill_rate: 200, bucket_capacity: 400 },
      write: { refill_rate: 100, bucket_capacity: 100 },
      grants: [],
    });
    const costs = (await api(t, "GET", "/account/endpoint_costs")).body as {
      default_cost: number;
      endpoint_costs: { method: string; path: string; cost: number }[];
    };
    expect(costs.default_cost).toBe(10);
    expect(costs.endpoint_costs).toContainEqual({
      method: "DELETE",
      path: "/portfolio/events/orders/{order_id}",
      cost: 2,
    });
    const sched = (await api(t, "GET", "/exchange/schedule")).body as {
      schedule: { standard_hours: unknown[] };
    };
    expect(sched.schedule.standard_hours.length).toBe(1);
    expect((await api(t, "GET", "/exchange/user_data_timestamp")).body).toEqual({
      as_of_time: "2026-11-23T15:00:00Z",
    });
  });
});

describe("V2 orders", () => {
  const order = (over: Record<string, unknown> = {}) => ({
    ticker,
    side: "bid",
    price: "0.4000",
    count: "5",
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    client_order_id: "c-1",
    ...over,
  });

  it("creates, reads, lists and cancels an order", async () => {
    const c = await api(t, "POST", "/portfolio/events/orders", order());
    expect(c.status).toBe(201);
    const cb = c.body as Record<string, unknown>;
    expect(cb).toMatchObject({
      client_order_id: "c-1",
      fill_count: "0.00",
      remaining_count: "5.00",
      ts_ms: T0,
    });
    const id = cb.order_id as string;
    const one = (await api(t, "GET", `/portfolio/orders/${id}`)).body as { order: Record<string, unknown> };
    expect(one.order).toMatchObject({
      order_id: id,
      ticker,
      book_side: "bid",
      outcome_side: "yes",
      status: "resting",
      yes_price_dollars: "0.4000",
      no_price_dollars: "0.6000",
      remaining_count_fp: "5.00",
    });
    const list = (await api(t, "GET", `/portfolio/orders?ticker=${ticker}`)).body as {
      orders: { order_id: string }[];
    };
    expect(list.orders.map((o) => o.order_id)).toEqual([id]);
    const book = (await api(t, "GET", `/markets/${ticker}/orderbook`)).body;
    expect(book).toEqual({ orderbook_fp: { yes_dollars: [["0.4000", "5.00"]], no_dollars: [] } });
    const d = await api(t, "DELETE", `/portfolio/events/orders/${id}`);
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ order_id: id, client_order_id: "c-1", reduced_by: "5.00", ts_ms: T0 });
  });

  it("rejects a repeated client_order_id with 409 order_already_exists", async () => {
    expect((await api(t, "POST", "/portfolio/events/orders", order())).status).toBe(201);
    const again = await api(t, "POST", "/portfolio/events/orders", order());
    expect(again.status).toBe(409);
    expect((again.body as { error: { code: string } }).error.code).toBe("order_already_exists");
  });

  it("rejects a request missing self_trade_prevention_type", async () => {
    const r = await api(
      t,
      "POST",
      "/portfolio/events/orders",
      order({ self_trade_prevention_type: undefined }),
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: "invalid_order" } });
  });

  it("fills against resting liquidity and reports fills and positions", async () => {
    await t.control.placeLiquidity(ticker, "ask", 4200, 300);
    const c = await api(
      t,
      "POST",
      "/portfolio/events/orders",
      order({ price: "0.4500", count: "3", time_in_force: "immediate_or_cancel" }),
    );
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      fill_count: "3.00",
      remaining_count: "0.00",
      average_fill_price: "0.4200",
    });
    const fills = (await api(t, "GET", "/portfolio/fills")).body as { fills: Record<string, unknown>[] };
    expect(fills.fills).toHaveLength(1);
    expect(fills.fills[0]).toMatchObject({
      ticker,
      book_side: "bid",
      count_fp: "3.00",
      yes_price_dollars: "0.4200",
      is_taker: true,
    });
    const pos = (await api(t, "GET", "/portfolio/positions")).body as {
      market_positions: Record<string, unknown>[];
    };
    expect(pos.market_positions[0]).toMatchObject({ ticker, position_fp: "3.00" });
  });

  it("amends and decreases a resting order", async () => {
    const id = ((await api(t, "POST", "/portfolio/events/orders", order())).body as { order_id: string })
      .order_id;
    const a = await api(t, "POST", `/portfolio/events/orders/${id}/amend`, {
      ticker,
      side: "bid",
      price: "0.4100",
      count: "8",
    });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ order_id: id, remaining_count: "8.00" });
    const d = await api(t, "POST", `/portfolio/events/orders/${id}/decrease`, { reduce_by: "2" });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ order_id: id, remaining_count: "6.00" });
  });

  it("batch creates and batch cancels with per-item results", async () => {
    const b = await api(t, "POST", "/portfolio/events/orders/batched", {
      orders: [order({ client_order_id: "b-1" }), order({ client_order_id: "b-2", price: "0.3333" })],
    });
    expect(b.status).toBe(201);
    const items = (b.body as { orders: Record<string, unknown>[] }).orders;
    expect(items[0]).toMatchObject({ client_order_id: "b-1", remaining_count: "5.00" });
    expect(items[1]).toHaveProperty("error");
    const id = items[0]?.order_id as string;
    const c = await api(t, "DELETE", "/portfolio/events/orders/batched", {
      orders: [{ order_id: id }, { order_id: "nope" }],
    });
    const citems = (c.body as { orders: Record<string, unknown>[] }).orders;
    expect(citems[0]).toMatchObject({ order_id: id, reduced_by: "5.00" });
    expect(citems[1]).toHaveProperty("error");
  });
});

describe("rate limits", () => {
  it("answers 429 with Kalshi's bare body and no Retry-After once the read bucket is spent", async () => {
    // Basic read: 400 tokens, 10 per request -> 40 requests, then 429 (the clock is stepped: no refill).
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await api(t, "GET", "/exchange/status")).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    const r = await api(t, "GET", "/exchange/status");
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ error: "too many requests" });
    expect(r.headers.get("retry-after")).toBeNull();
    expect(statuses[40]).toBe(429);
    await t.control.step(100); // 100 ms refills 20 tokens: two more requests
    expect((await api(t, "GET", "/exchange/status")).status).toBe(200);
    expect((await api(t, "GET", "/exchange/status")).status).toBe(200);
    expect((await api(t, "GET", "/exchange/status")).status).toBe(429);
    expect((await t.control.counters()).rate_limited).toBe(3);
  });

  it("bills an explicit shard's write bucket only, and auto-routed orders every shard", async () => {
    // Basic write: 100 tokens per shard bucket; a create costs 10.
    for (let i = 0; i < 10; i++) {
      const r = await api(t, "POST", "/portfolio/events/orders/nope/decrease", {
        reduce_by: "1",
        exchange_index: 2,
      });
      expect(r.status).not.toBe(429);
    }
    expect(
      (await api(t, "POST", "/portfolio/events/orders/nope/decrease", { reduce_by: "1", exchange_index: 2 }))
        .status,
    ).toBe(429);
    // shard 0 is untouched ...
    expect(
      (await api(t, "POST", "/portfolio/events/orders/nope/decrease", { reduce_by: "1", exchange_index: 0 }))
        .status,
    ).not.toBe(429);
    // ... but an auto-routed request needs every shard's bucket, and shard 2 is empty.
    expect(
      (
        await api(t, "POST", "/portfolio/events/orders/nope/decrease", {
          reduce_by: "1",
          market_ticker: ticker,
        })
      ).status,
    ).toBe(429);
  });
});
