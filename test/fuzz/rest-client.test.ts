/**
 * Fuzzing of the REST client (`shared/kalshi/rest-client.ts`) against a fake `fetch` that answers
 * every request from a random script: any status (including ones no `Response` can carry), bodies
 * that are damaged published examples, random JSON, text or nothing, and `fetch` or the body read
 * throwing anything (errors, strings, null, a prototype-less object). Every method returns a
 * result and never rejects; a write is sent exactly once whatever happens (resending is the
 * caller's decision); a 2xx whose JSON does not fit the schema is `bad_response`; messages stay
 * bounded; reads retry at most `maxReadRetries` times per page.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAILURE_REASONS, type FailureReason, writeOutcome } from "../../shared/kalshi/errors.ts";
import { RateLimiter } from "../../shared/kalshi/rate-limiter.ts";
import { KalshiRestClient, type Result, type WriteResult } from "../../shared/kalshi/rest-client.ts";
import { CreateOrderV2Response, GetBalanceResponse } from "../../shared/kalshi/rest-schemas.ts";
import type { Json } from "./support.ts";
import { damagedText, randomJsonText, runs } from "./support.ts";

const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../shared/kalshi/fixtures/${name}`, import.meta.url), "utf8")) as Json;

const BODIES: Json[] = [
  "http_get_balance.json",
  "http_get_orders.json",
  "http_get_markets.json",
  "http_create_order_v2.json",
  "http_cancel_order_v2.json",
  "http_error_order_already_exists.json",
  "http_get_exchange_status.json",
].map(fixture);

const REASONS: readonly FailureReason[] = FAILURE_REASONS;

type Thrown = "type-error" | "timeout" | "abort" | "string" | "null" | "prototype-less object" | "number";

function thrownValue(t: Thrown): unknown {
  switch (t) {
    case "type-error":
      return new TypeError("fetch failed");
    case "timeout":
      return new DOMException("no answer", "TimeoutError");
    case "abort":
      return new DOMException("aborted", "AbortError");
    case "string":
      return "socket hang up";
    case "null":
      return null;
    case "prototype-less object":
      return Object.create(null);
    case "number":
      return 42;
  }
}

type Reply =
  | { status: number; body: string }
  | { throws: Thrown }
  /** the response comes, reading its body fails */
  | { status: number; bodyThrows: Thrown };

const thrown = fc.constantFrom<Thrown>(
  "type-error",
  "timeout",
  "abort",
  "string",
  "null",
  "prototype-less object",
  "number",
);
const status = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(200, 201, 204, 301, 400, 401, 404, 408, 409, 429, 500, 502, 503) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 1_000 }) },
);
const body = fc.oneof(
  { weight: 4, arbitrary: damagedText(BODIES) },
  { weight: 1, arbitrary: randomJsonText },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "<html>502</html>", "null", "[]", '{"cursor":"c"}') },
);
const reply: fc.Arbitrary<Reply> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ status, body }) },
  { weight: 1, arbitrary: fc.record({ throws: thrown }) },
  { weight: 1, arbitrary: fc.record({ status, bodyThrows: thrown }) },
);

/** A client whose fetch plays `script` (the last reply repeats), with a test clock. */
function clientFor(script: readonly Reply[]) {
  let t = 1_700_000_000_000;
  let calls = 0;
  const fakeFetch = async (): Promise<Response> => {
    const r = script[Math.min(calls, script.length - 1)] as Reply;
    calls++;
    if ("throws" in r) throw thrownValue(r.throws);
    const text =
      "bodyThrows" in r
        ? async () => {
            throw thrownValue(r.bodyThrows);
          }
        : async () => r.body;
    // A plain object: a real Response refuses statuses outside 200-599.
    return { status: r.status, text } as unknown as Response;
  };
  const now = () => t;
  const sleep = async (ms: number) => {
    t += Math.max(1, ms);
  };
  const client = new KalshiRestClient({
    baseUrl: "https://external-api.kalshi.com/trade-api/v2",
    signer: { headers: async () => ({ "KALSHI-ACCESS-KEY": "k" }) },
    limiter: new RateLimiter({ now, sleep, initial: "full" }),
    fetch: fakeFetch as typeof fetch,
    nowMs: now,
    sleep,
    random: () => 0.5,
    maxReadRetries: 2,
    maxPages: 3,
    onInvalidItem: () => {},
  });
  return { client, calls: () => calls };
}

const ORDER = {
  ticker: "HIGHNY-24JAN01-T60",
  client_order_id: "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
  side: "bid",
  count: "10.00",
  price: "0.5600",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
} as const;

/** Every write the executor makes, with the kind of write `writeOutcome` needs. */
const WRITES: [string, "create" | "other", (c: KalshiRestClient) => Promise<WriteResult<unknown>>][] = [
  ["createOrder", "create", (c) => c.createOrder(ORDER, "open")],
  ["cancelOrder", "other", (c) => c.cancelOrder("ee587a1c", { exchange_index: 1 })],
  [
    "amendOrder",
    "other",
    (c) => c.amendOrder("ee587a1c", { ticker: "A", side: "bid", price: "0.5", count: "2.00" }, "reduce"),
  ],
  ["decreaseOrder", "other", (c) => c.decreaseOrder("ee587a1c", { reduce_to: "1.00" })],
  ["batchCancelOrders", "other", (c) => c.batchCancelOrders([{ order_id: "a" }, { order_id: "b" }])],
  ["createOrderGroup", "other", (c) => c.createOrderGroup({ contracts_limit_fp: "10.00" })],
  ["resetOrderGroup", "other", (c) => c.resetOrderGroup("og_1")],
];

const READS: [string, (c: KalshiRestClient) => Promise<Result<unknown>>][] = [
  ["getBalance", (c) => c.getBalance()],
  ["getMarket", (c) => c.getMarket("A")],
  ["getOrderbook", (c) => c.getOrderbook("A", 1)],
  ["listOrders", (c) => c.listOrders({ ticker: "A" })],
  ["listMarkets", (c) => c.listMarkets({ status: "open" })],
  ["getExchangeStatus", (c) => c.getExchangeStatus()],
  ["getUserDataTimestamp", (c) => c.getUserDataTimestamp()],
];

function expectFailureShape(r: Result<unknown>): void {
  if (r.ok) return;
  expect(REASONS).toContain(r.failure.reason);
  expect(typeof r.failure.message).toBe("string");
  expect(r.failure.message.length, r.failure.message).toBeLessThanOrEqual(500);
}

describe("KalshiRestClient against a fake fetch", () => {
  // Regression: classifyThrown turned what fetch threw into text with String(), which throws for
  // a prototype-less object, so the client rejected instead of returning a network failure.
  it("returns a retryable network failure, outcome unknown, when fetch throws a prototype-less object", async () => {
    const { client } = clientFor([{ throws: "prototype-less object" }]);
    const r = await client.createOrder(ORDER, "open");
    expect(r.ok ? null : [r.failure.reason, r.failure.retryable, r.outcome]).toEqual([
      "network",
      true,
      "unknown",
    ]);
  });

  it("sends every write once, whatever comes back, and says what the failure means for the order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WRITES),
        fc.array(reply, { minLength: 1, maxLength: 3 }),
        async ([, kind, call], script) => {
          const { client, calls } = clientFor(script);
          const r = await call(client);
          expect(calls()).toBe(1);
          expectFailureShape(r);
          if (!r.ok) expect(r.outcome).toBe(writeOutcome(r.failure, kind));
          const first = script[0] as Reply;
          if ("throws" in first || "bodyThrows" in first) {
            expect(r.ok).toBe(false);
            if (!r.ok) expect([r.failure.retryable, r.outcome]).toEqual([true, "unknown"]);
          }
        },
      ),
      runs(200, 401),
    );
  });

  it("returns a result for every read, retrying a page at most maxReadRetries times", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...READS),
        fc.array(reply, { minLength: 1, maxLength: 6 }),
        async ([, call], script) => {
          const { client, calls } = clientFor(script);
          const r = await call(client);
          expectFailureShape(r);
          // Three pages at most, each tried at most 1 + 2 times.
          expect(calls()).toBeLessThanOrEqual(9);
        },
      ),
      runs(200, 402),
    );
  });

  it("answers a 2xx whose JSON does not fit the schema with bad_response, not retried, not sent again", async () => {
    const twoXX = fc.integer({ min: 200, max: 299 });
    await fc.assert(
      fc.asyncProperty(twoXX, damagedText(BODIES), fc.boolean(), async (s, text, write) => {
        let json: unknown;
        try {
          json = text.trim() === "" ? {} : JSON.parse(text);
        } catch {
          return;
        }
        const schema = write ? CreateOrderV2Response : GetBalanceResponse;
        if (schema.safeParse(json).success) return;
        const { client, calls } = clientFor([{ status: s, body: text }]);
        const r = write ? await client.createOrder(ORDER, "open") : await client.getBalance();
        expect(r.ok).toBe(false);
        if (!r.ok)
          expect([r.failure.reason, r.failure.retryable, r.failure.status]).toEqual([
            "bad_response",
            false,
            s,
          ]);
        expect(calls()).toBe(1);
      }),
      runs(150, 403),
    );
  });
});
