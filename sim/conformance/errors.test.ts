/**
 * Error-path conformance: what the bot's REST client makes of the simulator's refusals and
 * faults. An explicit refusal is `rejected`; 5xx, 429 and lost answers are `unknown` for a
 * write and retried for a read; a resent create whose first attempt went through is `exists`
 * (Kalshi's 409 `order_already_exists`, pinned to the fixture); resending the same body never
 * doubles an order (counted in the simulator), and reconciliation through `listOrders` finds a
 * lost order exactly once.
 */

import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyHttp, parseKalshiErrorBody } from "../../shared/kalshi/errors.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance } from "./harness.ts";

let c: Conformance;
/** linear_cent, shard 0. */
let A: string;

beforeEach(async () => {
  c = await startConformance();
  A = (await c.control.state()).markets.find((m) => m.ticker.startsWith("KXHIGHNY-"))?.ticker as string;
});
afterEach(async () => {
  await c.close();
});

async function ordersWithCid(cid: string): Promise<Record<string, unknown>[]> {
  return (await c.control.orders()).filter((o) => o.client_order_id === cid);
}

describe("explicit refusals", () => {
  it("an off-grid price is rejected with invalid_price and creates nothing", async () => {
    const r = await c.client.createOrder(orderBody(A, "bid", "0.4550", "1.00"), "open");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toBe("rejected");
    expect(r.failure).toMatchObject({
      retryable: false,
      reason: "rejected",
      status: 400,
      code: "invalid_price",
    });
    expect(await c.control.orders()).toEqual([]);
  });

  // Regression: every 409 used to be `rejected`, and the simulator and the classifier shared that
  // reading, so a resend that found its first attempt wrote off an order resting on the book.
  it("a resent create answers Kalshi's 409 order_already_exists body: outcome exists, one order, found by its client id", async () => {
    const body = orderBody(A, "bid", "0.4000", "3.00");
    const first = await c.client.createOrder(body, "open");
    expect(first.ok).toBe(true);
    if (!first.ok) return;

    const again = await c.client.retryWrite(first.request);
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.outcome).toBe("exists");
    expect(again.failure).toMatchObject({
      retryable: false,
      reason: "already_exists",
      status: 409,
      code: "order_already_exists",
    });

    // the raw answer has the shape and code of the fixture
    const raw = await fetch(`${c.sim.apiUrl}/portfolio/events/orders`, {
      method: "POST",
      headers: {
        ...(await c.signer.headers("POST", "/trade-api/v2/portfolio/events/orders", c.clock.ms)),
        "content-type": "application/json",
      },
      body: first.request.bodyText ?? "",
    });
    const text = await raw.text();
    const fixture = readFileSync(
      new URL("../../shared/kalshi/fixtures/http_error_order_already_exists.json", import.meta.url),
      "utf8",
    );
    expect(raw.status).toBe(409);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(JSON.parse(fixture) as object));
    expect(parseKalshiErrorBody(text)).toEqual(parseKalshiErrorBody(fixture));
    expect(classifyHttp(409, text)).toMatchObject({ reason: "already_exists", code: "order_already_exists" });

    // the resends sent the byte-identical body and left exactly one order, which the client finds
    const received = (await c.control.ordersReceived()).filter(
      (x) => x.clientOrderId === body.client_order_id,
    );
    expect(received.map((x) => x.status)).toEqual([201, 409, 409]);
    expect(received[1]?.body).toEqual(received[0]?.body);
    expect(await ordersWithCid(body.client_order_id)).toHaveLength(1);
    const found = must(await c.client.findOrderByClientOrderId(A, body.client_order_id));
    expect(found?.order_id).toBe(first.value.order_id);
    expect(must(await c.client.findOrderByClientOrderId(A, "conf-never-sent"))).toBeNull();
  });

  it("refuses to resend a reduce_by decrease, which is not idempotent", async () => {
    const id = must(await c.client.createOrder(orderBody(A, "bid", "0.4000", "3.00"), "open")).order_id;
    const by = await c.client.decreaseOrder(id, { reduce_by: "1.00" });
    expect(by.ok).toBe(true);
    const again = await c.client.retryWrite(by.request);
    expect(again.ok).toBe(false);
    expect((await c.control.orders())[0]?.remaining_count_fp).toBe("2.00");
  });
});

describe("rate limits (the client's own limiter sized above the server's)", () => {
  it("reads past the 400-token read bucket get 429 rate_limited, retryable, until the clock refills it", async () => {
    // Basic read bucket: 400 tokens at 10 a request = 40 reads, then Kalshi's bare-string 429
    for (let i = 0; i < 40; i++) must(await c.client.getExchangeStatus());
    const r = await c.client.getExchangeStatus();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toMatchObject({
      retryable: true,
      reason: "rate_limited",
      status: 429,
      code: "too_many_requests",
    });
    // the client retried the read (maxReadRetries = 3) before giving up
    expect((await c.control.counters()).rate_limited).toBe(4);
    await c.control.step(1000);
    expect((await c.client.getExchangeStatus()).ok).toBe(true);
  });

  it("a write past the 100-token write bucket is 429, outcome unknown, and created nothing", async () => {
    const bodies = Array.from({ length: 11 }, (_, i) => orderBody(A, "bid", `0.${10 + i}00`, "1.00"));
    for (const b of bodies.slice(0, 10)) must(await c.client.createOrder(b, "open"));
    const last = bodies[10] as (typeof bodies)[number];
    const r = await c.client.createOrder(last, "open");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toBe("unknown");
    expect(r.failure).toMatchObject({ retryable: true, reason: "rate_limited", status: 429 });
    expect(await c.control.orders()).toHaveLength(10);
    // after a refill the same body goes through once
    await c.control.step(1000);
    expect((await c.client.retryWrite(r.request)).ok).toBe(true);
    expect(await ordersWithCid(last.client_order_id)).toHaveLength(1);
  });
});

describe("faults", () => {
  it("a 5xx on a read is retried and the read succeeds", async () => {
    await c.control.addFailure({ kind: "5xx", next: 1, pathPrefix: "/markets/", method: "GET" });
    const m = await c.client.getMarket(A);
    expect(m.ok).toBe(true);
    const counters = await c.control.counters();
    expect(counters.fault_5xx).toBe(1);
    expect(counters[`rest GET /markets/${A}`]).toBe(2);
  });

  it("a 5xx on a create is reported unknown; retryWrite then creates the order once", async () => {
    await c.control.addFailure({
      kind: "5xx",
      next: 1,
      pathPrefix: "/portfolio/events/orders",
      method: "POST",
    });
    const body = orderBody(A, "bid", "0.4000", "2.00");
    const r = await c.client.createOrder(body, "open");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toBe("unknown");
    expect(r.failure).toMatchObject({ retryable: true, reason: "server_error", status: 503 });
    expect(await ordersWithCid(body.client_order_id)).toHaveLength(0);
    expect((await c.client.retryWrite(r.request)).ok).toBe(true);
    expect(await ordersWithCid(body.client_order_id)).toHaveLength(1);
  });

  it("an accepted create whose answer is dropped is unknown; reconciliation finds it exactly once and a resend says it exists", async () => {
    await c.control.loseResponses(1, "drop");
    const body = orderBody(A, "bid", "0.3500", "2.00");
    const r = await c.client.createOrder(body, "open");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toBe("unknown");
    expect(r.failure).toMatchObject({ retryable: true, reason: "network" });

    const listed = must(await c.client.listOrders({ ticker: A }));
    expect(listed.filter((o) => o.client_order_id === body.client_order_id)).toHaveLength(1);

    const resent = await c.client.retryWrite(r.request);
    expect(resent.ok).toBe(false);
    if (resent.ok) return;
    expect(resent.outcome).toBe("exists");
    expect(resent.failure).toMatchObject({ reason: "already_exists", code: "order_already_exists" });
    expect(await ordersWithCid(body.client_order_id)).toHaveLength(1);
    const received = (await c.control.ordersReceived()).map((x) => x.outcome);
    expect(received).toEqual(["lost", "rejected"]);
  });

  it("an accepted create whose answer never comes times out as unknown; the order exists once", async () => {
    await c.control.loseResponses(1, "timeout");
    // the client's own per-request timeout is the only wait here (the server holds the answer)
    const client = c.makeClient({ timeoutMs: 200 });
    const body = orderBody(A, "ask", "0.6500", "1.00");
    const r = await client.createOrder(body, "open");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toBe("unknown");
    expect(r.failure).toMatchObject({ retryable: true, reason: "timeout" });
    const listed = must(await client.listOrders({ ticker: A, status: "resting" }));
    expect(listed.filter((o) => o.client_order_id === body.client_order_id)).toHaveLength(1);
  });
});
