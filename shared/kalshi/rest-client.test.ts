import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter.ts";
import {
  baseUrlsFor,
  buildQuery,
  KalshiRestClient,
  type KalshiRestClientOptions,
  type RequestSigner,
} from "./rest-client.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  redirect: RequestInit["redirect"];
  hasSignal: boolean;
}

type Reply = { status: number; body: string } | { throw: unknown };

/** Serves queued replies per "METHOD /path" (query ignored) and records every request. */
class FakeKalshi {
  requests: Recorded[] = [];
  private replies = new Map<string, Reply[]>();

  on(method: string, path: string, ...replies: Reply[]): this {
    const key = `${method} /trade-api/v2${path}`;
    this.replies.set(key, [...(this.replies.get(key) ?? []), ...replies]);
    return this;
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    this.requests.push({
      method,
      url,
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : undefined,
      redirect: init?.redirect,
      hasSignal: init?.signal instanceof AbortSignal,
    });
    const queue = this.replies.get(`${method} ${url.pathname}`);
    const reply = queue?.shift();
    if (reply === undefined)
      return new Response('{"error":{"code":"not_found","message":"no fixture"}}', { status: 404 });
    if ("throw" in reply) throw reply.throw;
    const status = reply.status;
    // The Response constructor refuses a body on 204 and opaque statuses; 3xx bodies are fine.
    return new Response(reply.body, { status, headers: { "content-type": "application/json" } });
  };
}

const ok = (name: string, status = 200): Reply => ({ status, body: fixture(name) });

function setup(opts: Partial<KalshiRestClientOptions> = {}) {
  let t = 1_700_000_000_000;
  const signed: { method: string; path: string; nowMs: number }[] = [];
  const signer: RequestSigner = {
    headers: async (method, path, nowMs) => {
      signed.push({ method, path, nowMs });
      return {
        "KALSHI-ACCESS-KEY": "key-id",
        "KALSHI-ACCESS-TIMESTAMP": String(nowMs),
        "KALSHI-ACCESS-SIGNATURE": "sig",
      };
    },
  };
  const now = () => t;
  const limiterSleeps: number[] = [];
  const limiter = new RateLimiter({
    now,
    sleep: async (ms) => {
      limiterSleeps.push(ms);
      t += ms;
    },
    initial: "full",
  });
  const backoffs: number[] = [];
  const server = new FakeKalshi();
  const client = new KalshiRestClient({
    baseUrl: baseUrlsFor("prod").rest,
    signer,
    limiter,
    fetch: server.fetch,
    nowMs: now,
    sleep: async (ms) => {
      backoffs.push(ms);
      t += ms;
    },
    random: () => 0.5,
    ...opts,
  });
  return { client, server, signed, backoffs, limiter, limiterSleeps };
}

const ORDER = {
  ticker: "HIGHNY-24JAN01-T60",
  client_order_id: "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
  side: "bid",
  count: "10.00",
  price: "0.5600",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
  post_only: true,
} as const;

describe("baseUrlsFor", () => {
  it("gives the recommended production, demo and loopback simulator hosts", () => {
    expect(baseUrlsFor("prod")).toEqual({
      rest: "https://external-api.kalshi.com/trade-api/v2",
      ws: "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
    });
    expect(baseUrlsFor("demo")).toEqual({
      rest: "https://external-api.demo.kalshi.co/trade-api/v2",
      ws: "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
    });
    expect(baseUrlsFor("sim", "http://127.0.0.1:9001/")).toEqual({
      rest: "http://127.0.0.1:9001/trade-api/v2",
      ws: "ws://127.0.0.1:9001/trade-api/ws/v2",
    });
  });
});

describe("buildQuery", () => {
  it("repeats keys for arrays and skips undefined", () => {
    expect(buildQuery({ tickers: ["A", "B"], depth: 0, cursor: undefined, x: null })).toBe(
      "?tickers=A&tickers=B&depth=0",
    );
    expect(buildQuery({})).toBe("");
  });
});

describe("reads", () => {
  it("follows the cursor to the last page and signs the path with the prefix and without the query", async () => {
    const { client, server, signed } = setup();
    server.on("GET", "/markets", ok("http_get_markets.json"), ok("http_get_markets_page2.json"));
    const r = await client.listMarkets({
      tickers: ["INXD-23SEP14-B4487", "HIGHNY-24JAN01-T60"],
      status: "open",
    });
    expect(r.ok && r.value.map((m) => m.ticker)).toEqual(["INXD-23SEP14-B4487", "HIGHNY-24JAN01-T60"]);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first?.url.searchParams.get("tickers")).toBe("INXD-23SEP14-B4487,HIGHNY-24JAN01-T60");
    expect(first?.url.searchParams.get("status")).toBe("open");
    expect(first?.url.searchParams.get("limit")).toBe("1000");
    expect(first?.url.searchParams.has("cursor")).toBe(false);
    expect(second?.url.searchParams.get("cursor")).toBe("CgwIhZSX");
    expect(signed.map((s) => `${s.method} ${s.path}`)).toEqual([
      "GET /trade-api/v2/markets",
      "GET /trade-api/v2/markets",
    ]);
    expect(first?.headers["KALSHI-ACCESS-KEY"]).toBe("key-id");
    expect(first?.redirect).toBe("manual");
    expect(first?.hasSignal).toBe(true);
  });

  it("sends repeated tickers keys for many orderbooks and a comma list for order event tickers", async () => {
    const { client, server } = setup();
    server.on("GET", "/markets/orderbooks", { status: 200, body: '{"orderbooks":[]}' });
    server.on("GET", "/portfolio/orders", ok("http_get_orders.json"));
    await client.getOrderbooks(["A", "B"]);
    await client.listOrders({ event_ticker: ["E1", "E2"], status: "resting" });
    expect(server.requests[0]?.url.searchParams.getAll("tickers")).toEqual(["A", "B"]);
    expect(server.requests[1]?.url.searchParams.get("event_ticker")).toBe("E1,E2");
  });

  it("leaves out a market that fails its schema, reports it, and keeps the rest of the page", async () => {
    const invalid: { ticker: string | null; issues: string }[] = [];
    const { client, server } = setup({ onInvalidItem: (i) => invalid.push(i) });
    const page = JSON.parse(fixture("http_get_markets.json")) as { markets: Record<string, unknown>[] };
    const good = page.markets[0] as Record<string, unknown>;
    const bad = { ...good, ticker: "BAD-MARKET", yes_bid_dollars: 0.56 }; // a number where Kalshi sends a string
    server.on("GET", "/markets", {
      status: 200,
      body: JSON.stringify({ markets: [bad, good], cursor: "" }),
    });
    const r = await client.listMarkets();
    expect(r.ok && r.value.map((m) => m.ticker)).toEqual([good.ticker]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.ticker).toBe("BAD-MARKET");
    expect(invalid[0]?.issues).toContain("yes_bid_dollars");
  });

  it("fails instead of looping when the server repeats a cursor", async () => {
    const { client, server } = setup();
    server.on("GET", "/markets", ...[0, 1, 2].map(() => ok("http_get_markets.json")));
    const r = await client.listMarkets();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.reason).toBe("bad_response");
    expect(server.requests).toHaveLength(2);
  });

  it("stops at the page cap with a failure", async () => {
    const { client, server } = setup({ maxPages: 3 });
    server.on(
      "GET",
      "/markets",
      ...[1, 2, 3, 4].map((i) => ({ status: 200, body: `{"markets":[],"cursor":"c${i}"}` })),
    );
    const r = await client.listMarkets();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.message).toContain("more than 3 pages");
    expect(server.requests).toHaveLength(3);
  });

  it("retries a 5xx with exponential backoff and jitter, then succeeds", async () => {
    const { client, server, backoffs } = setup();
    server.on(
      "GET",
      "/portfolio/balance",
      { status: 503, body: "<html>503</html>" },
      { throw: new DOMException("timed out", "TimeoutError") },
      ok("http_get_balance.json"),
    );
    const r = await client.getBalance();
    expect(r.ok && r.value.balance_dollars).toBe("100.0050");
    expect(server.requests).toHaveLength(3);
    // random 0.5: half the ceiling plus a quarter -> 150 (ceiling 200), 300 (ceiling 400)
    expect(backoffs).toEqual([150, 300]);
  });

  it("gives up after maxReadRetries and reports the last failure", async () => {
    const { client, server } = setup({ maxReadRetries: 2 });
    server.on("GET", "/exchange/status", ...[0, 1, 2, 3].map(() => ({ status: 500, body: "" })));
    const r = await client.getExchangeStatus();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ reason: "server_error", retryable: true, status: 500 });
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a final 4xx", async () => {
    const { client, server } = setup();
    server.on("GET", "/markets/NOPE", {
      status: 404,
      body: '{"error":{"code":"not_found","message":"market not found"}}',
    });
    const r = await client.getMarket("NOPE");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ reason: "not_found", code: "not_found", retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it("drains the read bucket after a 429 so the next read waits for a refill", async () => {
    const { client, server, limiter, limiterSleeps } = setup({ maxReadRetries: 0 });
    server.on("GET", "/exchange/schedule", { status: 429, body: '{"error": "too many requests"}' });
    server.on("GET", "/exchange/schedule", ok("http_get_exchange_schedule.json"));
    const first = await client.getExchangeSchedule();
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.failure).toMatchObject({ reason: "rate_limited", retryable: true });
    expect(limiter.available("read", 1_700_000_000_000)).toBe(0);
    const second = await client.getExchangeSchedule();
    expect(second.ok).toBe(true);
    expect(limiterSleeps).toEqual([50]); // 10 tokens at 200/s
  });

  it("surfaces a wrong type in a 2xx body as bad_response, without retrying", async () => {
    const { client, server } = setup();
    const market = JSON.parse(fixture("http_get_market.json")) as { market: Record<string, unknown> };
    market.market.yes_bid_dollars = 0.56; // a number where Kalshi sends a string
    server.on("GET", "/markets/INXD-23SEP14-B4487", { status: 200, body: JSON.stringify(market) });
    const r = await client.getMarket("INXD-23SEP14-B4487");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.reason).toBe("bad_response");
      expect(r.failure.message).toContain("yes_bid_dollars");
    }
    expect(server.requests).toHaveLength(1);
  });

  it("tolerates fields Kalshi adds", async () => {
    const { client, server } = setup();
    server.on("GET", "/series/HIGHNY", {
      status: 200,
      body: JSON.stringify({
        series: { ...JSON.parse(fixture("http_get_series.json")).series, brand_new_field: [1] },
      }),
    });
    const r = await client.getSeries("HIGHNY");
    expect(r.ok && [r.value.fee_type, r.value.fee_multiplier]).toEqual(["quadratic", 1]);
  });

  it("sizes the limiter from the account endpoints", async () => {
    const { client, server, limiter } = setup();
    server.on("GET", "/account/limits", {
      status: 200,
      body: JSON.stringify({
        ...JSON.parse(fixture("http_get_account_limits.json")),
        write: { refill_rate: 300, bucket_capacity: 600 },
      }),
    });
    server.on("GET", "/account/endpoint_costs", ok("http_get_account_endpoint_costs.json"));
    const r = await client.configureLimiter();
    expect(r).toEqual({ limits: true, costs: true, failures: [] });
    expect(limiter.capacity("write")).toBe(600);
    expect(limiter.costOf("DELETE", "/portfolio/events/orders/x")).toBe(2);
  });
});

describe("writes", () => {
  it("creates an order once, signed, with redirects off and the exact body", async () => {
    const { client, server, signed } = setup();
    server.on("POST", "/portfolio/events/orders", ok("http_create_order_v2.json", 201));
    const r = await client.createOrder(ORDER, "open");
    expect(r.ok && r.value.order_id).toBe("3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d");
    expect(signed[0]).toMatchObject({ method: "POST", path: "/trade-api/v2/portfolio/events/orders" });
    expect(server.requests[0]?.redirect).toBe("manual");
    expect(server.requests[0]?.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual(ORDER);
  });

  it("sends before createOrder returns when the budget and a prepared signature are at hand", async () => {
    const prepared = {
      "KALSHI-ACCESS-KEY": "key-id",
      "KALSHI-ACCESS-TIMESTAMP": "1",
      "KALSHI-ACCESS-SIGNATURE": "pre",
    };
    const fast = setup({
      signer: {
        headers: async () => ({ ...prepared, "KALSHI-ACCESS-SIGNATURE": "late" }),
        headersNow: () => prepared,
      },
    });
    fast.server.on("POST", "/portfolio/events/orders", ok("http_create_order_v2.json", 201));
    const pending = fast.client.createOrder(ORDER, "open");
    // Nothing was awaited yet: the request is already out, with the prepared signature.
    expect(fast.server.requests.map((r) => r.headers["KALSHI-ACCESS-SIGNATURE"])).toEqual(["pre"]);
    expect((await pending).ok).toBe(true);

    // Without a prepared signature it signs first, so the request is not out yet at the return.
    const slow = setup();
    slow.server.on("POST", "/portfolio/events/orders", ok("http_create_order_v2.json", 201));
    const later = slow.client.createOrder(ORDER, "open");
    expect(slow.server.requests).toEqual([]);
    expect((await later).ok).toBe(true);
    expect(slow.server.requests).toHaveLength(1);
  });

  it("never retries a write on 5xx: the outcome is unknown, and retryWrite resends the same client_order_id", async () => {
    const { client, server, backoffs } = setup();
    server.on(
      "POST",
      "/portfolio/events/orders",
      { status: 500, body: "" },
      { status: 409, body: '{"error":{"code":"order_already_exists"}}' },
    );
    const first = await client.createOrder(ORDER, "open");
    expect(server.requests).toHaveLength(1);
    expect(backoffs).toEqual([]);
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first).toMatchObject({ outcome: "unknown", failure: { retryable: true, reason: "server_error" } });
    const again = await client.retryWrite(first.request);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
    expect(again.ok).toBe(false);
    if (again.ok) return;
    // the resend found the first attempt: the order exists
    expect(again).toMatchObject({
      outcome: "exists",
      failure: { reason: "already_exists", code: "order_already_exists" },
    });
  });

  it("reports a create refused with a bare 409 as unknown, not rejected", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders", { status: 409, body: "" });
    const r = await client.createOrder(ORDER, "open");
    expect(r).toMatchObject({ ok: false, outcome: "unknown", failure: { reason: "conflict", status: 409 } });
  });

  it("reports an amend refused with 409 order_already_exists as rejected (the new client id is taken)", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders/ord-1/amend", {
      status: 409,
      body: fixture("http_error_order_already_exists.json"),
    });
    const r = await client.amendOrder(
      "ord-1",
      { ticker: ORDER.ticker, side: "bid", price: "0.5700", count: "8.00", updated_client_order_id: "taken" },
      "open",
    );
    expect(r).toMatchObject({ ok: false, outcome: "rejected", failure: { reason: "already_exists" } });
  });

  it("reports a timed-out write as unknown, not rejected", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders", { throw: new DOMException("timed out", "TimeoutError") });
    const r = await client.createOrder(ORDER, "reduce");
    expect(r).toMatchObject({ ok: false, outcome: "unknown", failure: { reason: "timeout" } });
    expect(server.requests).toHaveLength(1);
  });

  it("does not follow a 3xx on a write", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders", { status: 301, body: "" });
    const r = await client.createOrder(ORDER, "open");
    expect(r).toMatchObject({ ok: false, outcome: "rejected", failure: { reason: "redirect", status: 301 } });
    expect(server.requests).toHaveLength(1);
  });

  it("refuses to send a create without a client_order_id", async () => {
    const { client, server } = setup();
    const r = await client.createOrder({ ...ORDER, client_order_id: "" }, "open");
    expect(r).toMatchObject({ ok: false, outcome: "rejected" });
    expect(server.requests).toHaveLength(0);
  });

  it("cancels with DELETE, the shard in the query, and cancel priority", async () => {
    const { client, server, signed } = setup();
    server.on(
      "DELETE",
      "/portfolio/events/orders/3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d",
      ok("http_cancel_order_v2.json"),
    );
    const r = await client.cancelOrder("3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d", { exchange_index: 2 });
    expect(r.ok && r.value.reduced_by).toBe("10.00");
    expect(server.requests[0]?.url.searchParams.get("exchange_index")).toBe("2");
    expect(signed[0]?.path).toBe(
      "/trade-api/v2/portfolio/events/orders/3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d",
    );
  });

  it("batch-cancels with a JSON body on DELETE and reads per-order results", async () => {
    const { client, server } = setup();
    server.on("DELETE", "/portfolio/events/orders/batched", ok("http_batch_cancel_orders_v2.json"));
    const r = await client.batchCancelOrders([
      { order_id: "3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d" },
      { order_id: "a6d6010d-6d5f-40a1-a7e7-5501386bb621" },
    ]);
    expect(r.ok && r.value.orders.map((o) => o.reduced_by)).toEqual(["10.00", "5.00"]);
    expect(JSON.parse(server.requests[0]?.body ?? "").orders).toHaveLength(2);
  });

  it("refuses, without sending, a batch the write bucket can never afford", async () => {
    const { client, server } = setup();
    const orders = Array.from({ length: 11 }, (_, i) => ({ ...ORDER, client_order_id: `coid-${i}` }));
    const r = await client.batchCreateOrders(orders, "open"); // 11 x 10 tokens > Basic's 100
    expect(r).toMatchObject({
      ok: false,
      outcome: "rejected",
      failure: { reason: "rate_limited", retryable: false },
    });
    expect(server.requests).toHaveLength(0);
  });

  it("parses batch create results with fills", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders/batched", ok("http_batch_create_orders_v2.json", 201));
    const r = await client.batchCreateOrders([ORDER, { ...ORDER, client_order_id: "2a0e3fc9" }], "open");
    expect(r.ok && r.value.orders[1]?.average_fee_paid).toBe("0.0012");
  });

  it("amends and decreases; a reduce_by decrease is never resent", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/events/orders/o1/amend", ok("http_amend_order_v2.json"));
    server.on(
      "POST",
      "/portfolio/events/orders/o1/decrease",
      { status: 502, body: "" },
      ok("http_decrease_order_v2.json"),
    );
    const amend = await client.amendOrder(
      "o1",
      { ticker: ORDER.ticker, side: "bid", price: "0.5700", count: "8.00" },
      "open",
    );
    expect(amend.ok && amend.value.remaining_count).toBe("8.00");
    const dec = await client.decreaseOrder("o1", { reduce_by: "2.00" });
    expect(dec).toMatchObject({ ok: false, outcome: "unknown" });
    if (dec.ok) return;
    const again = await client.retryWrite(dec.request);
    expect(again).toMatchObject({ ok: false, failure: { reason: "rejected" } });
    expect(server.requests).toHaveLength(2); // amend + the one decrease
    const to = await client.decreaseOrder("o1", { reduce_to: "8.00" });
    expect(to.ok && to.value.remaining_count).toBe("8.00");
  });

  it("accepts cancel-all's empty body", async () => {
    const { client, server } = setup();
    server.on("DELETE", "/portfolio/events/orders", { status: 200, body: "" });
    const r = await client.cancelAllOrders();
    expect(r.ok).toBe(true);
  });
});

describe("order groups", () => {
  it("creates, reads, lists, resets, triggers, re-limits and deletes a group with Kalshi's methods and paths", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/order_groups/create", ok("http_create_order_group.json", 201));
    server.on("GET", "/portfolio/order_groups", ok("http_get_order_groups.json"));
    server.on("GET", "/portfolio/order_groups/og_123", ok("http_get_order_group.json"));
    for (const action of ["reset", "trigger", "limit"])
      server.on("PUT", `/portfolio/order_groups/og_123/${action}`, { status: 200, body: "{}" });
    server.on("DELETE", "/portfolio/order_groups/og_123", { status: 200, body: "{}" });

    const created = await client.createOrderGroup({ contracts_limit_fp: "10.00", exchange_index: 0 });
    expect(created.ok && created.value.order_group_id).toBe("og_123");
    const list = await client.listOrderGroups({ subaccount: 0 });
    expect(list.ok && list.value.map((g) => g.id)).toEqual(["og_123"]);
    const one = await client.getOrderGroup("og_123");
    expect(one.ok && one.value.orders).toHaveLength(1);
    expect((await client.resetOrderGroup("og_123")).ok).toBe(true);
    expect((await client.triggerOrderGroup("og_123", { exchange_index: 0 })).ok).toBe(true);
    expect((await client.updateOrderGroupLimit("og_123", { contracts_limit_fp: "5.00" })).ok).toBe(true);
    expect((await client.deleteOrderGroup("og_123", { exchange_index: 0 })).ok).toBe(true);

    expect(server.requests.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      "POST /trade-api/v2/portfolio/order_groups/create",
      "GET /trade-api/v2/portfolio/order_groups?subaccount=0",
      "GET /trade-api/v2/portfolio/order_groups/og_123",
      "PUT /trade-api/v2/portfolio/order_groups/og_123/reset",
      "PUT /trade-api/v2/portfolio/order_groups/og_123/trigger?exchange_index=0",
      "PUT /trade-api/v2/portfolio/order_groups/og_123/limit",
      "DELETE /trade-api/v2/portfolio/order_groups/og_123?exchange_index=0",
    ]);
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual({
      contracts_limit_fp: "10.00",
      exchange_index: 0,
    });
    expect(JSON.parse(server.requests[5]?.body ?? "")).toEqual({ contracts_limit_fp: "5.00" });
  });

  it("never resends a group create (the server picks the id) and refuses one without a limit", async () => {
    const { client, server } = setup();
    server.on("POST", "/portfolio/order_groups/create", { status: 503, body: "" });
    const r = await client.createOrderGroup({ contracts_limit: 10 });
    expect(r).toMatchObject({ ok: false, outcome: "unknown" });
    if (r.ok) return;
    expect((await client.retryWrite(r.request)).ok).toBe(false);
    const none = await client.createOrderGroup({});
    expect(none).toMatchObject({ ok: false, outcome: "rejected" });
    expect(server.requests).toHaveLength(1);
  });
});
