/**
 * Fuzzing of REST bodies on their way in: the error classification (`shared/kalshi/errors.ts`),
 * the connect-refusal code the feed reads from an upgrade's error body (`feed-adapters.ts`), every
 * wire schema of `rest-schemas.ts` with the converter behind it, and the catalogue's market
 * conversion (`workers/feed/catalogue.ts`). Bodies are Kalshi's published examples
 * (`shared/kalshi/fixtures/http_*.json`) damaged by support.ts's edits, arbitrary JSON and text.
 * Nothing may throw; a status always maps to a reason; a raw body never reaches a message past
 * `MAX_BODY_IN_MESSAGE`; whatever a schema accepts converts into integers in their units' ranges
 * or into a stated reason, never an exception.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { z } from "zod";
import { MARKET_STATUSES } from "../../shared/domain.ts";
import {
  classifyHttp,
  FAILURE_REASONS,
  type FailureReason,
  MAX_BODY_IN_MESSAGE,
  parseKalshiErrorBody,
  writeOutcome,
} from "../../shared/kalshi/errors.ts";
import {
  AmendOrderV2Response,
  BatchCancelOrdersV2Response,
  BatchCreateOrdersV2Response,
  CancelOrderV2Response,
  CreateOrderGroupResponse,
  CreateOrderV2Response,
  DecreaseOrderV2Response,
  ExchangeStatus,
  eventFees,
  GetAccountApiLimitsResponse,
  GetAccountEndpointCostsResponse,
  GetBalanceResponse,
  GetEventFeeChangesResponse,
  GetEventResponse,
  GetExchangeScheduleResponse,
  GetFillsResponse,
  GetMarketOrderbookResponse,
  GetMarketResponse,
  GetMarketsResponse,
  GetOrderGroupResponse,
  GetOrderGroupsResponse,
  GetOrderResponse,
  GetOrdersResponse,
  GetPositionsResponse,
  GetSeriesResponse,
  GetSettlementsResponse,
  Market,
  toBalance,
  toCreateOrderResult,
  toFill,
  toMarketInfo,
  toOrderbookLevels,
  toOrderGroupInfo,
  toOrderInfo,
  toPosition,
  toSeriesFees,
  toSettlement,
} from "../../shared/kalshi/rest-schemas.ts";
import { MAX_COUNT, MAX_MONEY, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { marketInfoOf, topOfRestBook } from "../../workers/feed/catalogue.ts";
import { openKalshiSocket, refusalCode } from "../../workers/feed/feed-adapters.ts";
import type { Json } from "./support.ts";
import { damagedText, hostileValue, randomJsonText, runs } from "./support.ts";

const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../shared/kalshi/fixtures/${name}`, import.meta.url), "utf8")) as Json;

const REASONS: readonly FailureReason[] = FAILURE_REASONS;
const RETRYABLE: readonly FailureReason[] = ["rate_limited", "server_error", "timeout", "network"];

/** Error bodies: Kalshi's three shapes (wrapped, flat, the 429 string) damaged, plus anything. */
const ERROR_BASES: Json[] = [
  fixture("http_error_order_already_exists.json"),
  { code: "invalid_order", message: "invalid order", details: "price out of range" },
  { error: "too many requests" },
  { error: { code: "service_unavailable", message: "try later", details: "desc = UNAVAILABLE" } },
];
const longText = fc
  .tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 200, max: 3_000 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));
const errorBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: damagedText(ERROR_BASES) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        code: fc.oneof(longText, fc.string()),
        message: fc.oneof(longText, fc.string()),
        details: longText,
      })
      .chain((e) => fc.constantFrom(JSON.stringify({ error: e }), JSON.stringify(e))),
  },
  { weight: 1, arbitrary: randomJsonText },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string({ unit: "binary" }), longText, fc.constant("<html>502 Bad Gateway</html>")),
  },
);
const status: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 100, max: 599 }),
  fc.integer({ min: -1_000, max: 10_000 }),
  fc.constantFrom(0, 200, 204, 301, 400, 401, 403, 404, 408, 409, 429, 500, 503, Number.NaN, 1e300, 200.5),
);

describe("error bodies", () => {
  it("parseKalshiErrorBody never throws and reads only string fields", () => {
    fc.assert(
      fc.property(errorBody, (body) => {
        const p = parseKalshiErrorBody(body);
        if (p === null) return;
        expect(typeof p.code).toBe("string");
        expect(typeof p.message).toBe("string");
        if (p.details !== undefined) expect(p.details).not.toBe("");
      }),
      runs(400, 301),
    );
  });

  it("classifyHttp maps every status to a reason, retryable exactly when worth retrying, with the body bounded", () => {
    fc.assert(
      fc.property(status, errorBody, (s, body) => {
        const f = classifyHttp(s, body);
        expect(REASONS).toContain(f.reason);
        expect(f.retryable).toBe(RETRYABLE.includes(f.reason));
        expect(f.status).toBe(s);
        // "HTTP <status>: " + at most MAX_BODY_IN_MESSAGE characters + "...(<n> chars)".
        const bound = `HTTP ${s}: `.length + MAX_BODY_IN_MESSAGE + `...(${body.length * 2} chars)`.length;
        expect(f.message.length, f.message).toBeLessThanOrEqual(bound);
        if (s >= 200 && s < 300) expect(f.reason).toBe("bad_response");
        if (s >= 500) expect(f.reason).toBe("server_error");
        if (s === 429) expect(f.reason).toBe("rate_limited");
        // What a failed write means follows from the failure alone, for every kind of write.
        for (const kind of ["create", "batch_create", "other"] as const)
          expect(["rejected", "unknown", "exists"]).toContain(writeOutcome(f, kind));
        if (f.retryable) expect(writeOutcome(f, "create")).toBe("unknown");
      }),
      runs(400, 302),
    );
  });

  // Regression: the refusal code was whatever the body's `code` (or a long upper-case run in its
  // details) held, and went into the connect failure's message: up to 2 000 characters of body.
  it("keeps a refused upgrade's message short when the body's code is not a code", async () => {
    const body = JSON.stringify({ code: "X".repeat(1_500), message: "m" });
    vi.stubGlobal("fetch", async () => new Response(body, { status: 401 }));
    const r = await openKalshiSocket("https://example.invalid/ws", {}).finally(() => vi.unstubAllGlobals());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure).toEqual({ kind: "refused", status: 401, message: "upgrade refused: HTTP 401" });
    }
  });

  it("reads a refused upgrade's code only when it is shaped like a code, never a slice of the body", () => {
    const upgradeBody = fc.oneof(
      errorBody,
      longText.map((t) =>
        JSON.stringify({
          error: {
            code: "authentication_error",
            message: "x",
            details: `rpc error: code = Unauthenticated desc = ${t}`,
          },
        }),
      ),
      longText.map((t) => JSON.stringify({ code: t, message: "m" })),
    );
    fc.assert(
      fc.property(upgradeBody, (body) => {
        const code = refusalCode(body.slice(0, 2_000));
        if (code === undefined) return;
        expect(code.length, code).toBeLessThanOrEqual(64);
        expect(code).toMatch(/^[A-Za-z0-9_.-]+$/);
      }),
      runs(300, 303),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Wire schemas and converters

const isPrice = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= PRICE_SCALE;
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_COUNT;
const isSignedCount = (v: unknown) => Number.isSafeInteger(v) && Math.abs(v as number) <= MAX_COUNT;
const isMoney = (v: unknown, n = 1) => Number.isSafeInteger(v) && Math.abs(v as number) <= n * MAX_MONEY;
const isTime = (v: unknown) => v === null || Number.isFinite(v);

interface Case {
  name: string;
  schema: z.ZodType;
  /** Converts what the schema accepted and checks the result; throws only through `expect`. */
  check?: (parsed: never) => void;
}

function expectConverted<T>(c: { ok: true; value: T } | { ok: false; error: string }, check: (v: T) => void) {
  if (c.ok) check(c.value);
  else expect(c.error.length).toBeGreaterThan(0);
}

const CASES: Case[] = [
  {
    name: "http_get_markets.json",
    schema: GetMarketsResponse,
    check: (r: z.infer<typeof GetMarketsResponse>) => {
      for (const m of r.markets)
        expectConverted(toMarketInfo(m), (v) => {
          for (const p of [v.yesBid, v.yesAsk, v.noBid, v.noAsk, v.lastPrice]) expect(isPrice(p)).toBe(true);
          for (const c of [v.yesBidSize, v.yesAskSize, v.volume, v.volume24h, v.openInterest])
            expect(isCount(c)).toBe(true);
          for (const t of [v.openTimeMs, v.closeTimeMs, v.feeWaiverExpirationMs])
            expect(isTime(t)).toBe(true);
          expect(v.grid.bands.length).toBeGreaterThan(0);
          expect(Number.isSafeInteger(v.exchangeIndex)).toBe(true);
        });
    },
  },
  { name: "http_get_markets_page2.json", schema: GetMarketsResponse },
  { name: "http_get_market.json", schema: GetMarketResponse },
  {
    name: "http_get_market_orderbook.json",
    schema: GetMarketOrderbookResponse,
    check: (r: z.infer<typeof GetMarketOrderbookResponse>) => {
      expectConverted(toOrderbookLevels(r.orderbook_fp), (v) => {
        for (const side of [v.yesBids, v.noBids]) {
          for (const [p, c] of side) expect(isPrice(p) && isCount(c)).toBe(true);
          for (let i = 1; i < side.length; i++)
            expect((side[i - 1] as number[])[0]).toBeGreaterThanOrEqual((side[i] as number[])[0] as number);
        }
      });
      const top = topOfRestBook(r.orderbook_fp);
      if (top !== null) {
        for (const p of [top.yesBid, top.noBid]) if (p !== null) expect(p > 0 && p < PRICE_SCALE).toBe(true);
        for (const c of [top.yesBidSize, top.noBidSize]) expect(isCount(c)).toBe(true);
      }
    },
  },
  {
    name: "http_get_series.json",
    schema: GetSeriesResponse,
    check: (r: z.infer<typeof GetSeriesResponse>) => {
      expect(toSeriesFees(r.series).feeMultiplier).toBe(r.series.fee_multiplier);
    },
  },
  {
    name: "http_create_order_v2.json",
    schema: CreateOrderV2Response,
    check: (r: z.infer<typeof CreateOrderV2Response>) =>
      expectConverted(toCreateOrderResult(r), (v) => {
        expect(isCount(v.fillCount) && isCount(v.remainingCount)).toBe(true);
        for (const m of [v.averageFillPrice, v.averageFeePaid]) if (m !== null) expect(isMoney(m)).toBe(true);
      }),
  },
  { name: "http_cancel_order_v2.json", schema: CancelOrderV2Response },
  { name: "http_decrease_order_v2.json", schema: DecreaseOrderV2Response },
  { name: "http_amend_order_v2.json", schema: AmendOrderV2Response },
  { name: "http_batch_create_orders_v2.json", schema: BatchCreateOrdersV2Response },
  { name: "http_batch_cancel_orders_v2.json", schema: BatchCancelOrdersV2Response },
  {
    name: "http_get_orders.json",
    schema: GetOrdersResponse,
    check: (r: z.infer<typeof GetOrdersResponse>) => {
      for (const o of r.orders)
        expectConverted(toOrderInfo(o), (v) => {
          expect(isPrice(v.yesPrice)).toBe(true);
          for (const c of [v.fillCount, v.remainingCount, v.initialCount]) expect(isCount(c)).toBe(true);
          expect(isMoney(v.fees, 2)).toBe(true);
          expect(isTime(v.lastUpdateMs)).toBe(true);
        });
    },
  },
  { name: "http_get_order.json", schema: GetOrderResponse },
  {
    name: "http_get_fills.json",
    schema: GetFillsResponse,
    check: (r: z.infer<typeof GetFillsResponse>) => {
      for (const f of r.fills)
        expectConverted(toFill(f), (v) => {
          expect(isPrice(v.yesPrice) && isPrice(v.noPrice) && isCount(v.count) && isMoney(v.fee)).toBe(true);
          expect(isTime(v.createdTimeMs)).toBe(true);
        });
    },
  },
  {
    name: "http_get_positions.json",
    schema: GetPositionsResponse,
    check: (r: z.infer<typeof GetPositionsResponse>) => {
      for (const p of r.market_positions)
        expectConverted(toPosition(p), (v) => {
          expect(isSignedCount(v.position)).toBe(true);
          for (const m of [v.exposure, v.realizedPnl, v.feesPaid, v.totalTraded])
            expect(isMoney(m)).toBe(true);
        });
    },
  },
  {
    name: "http_get_balance.json",
    schema: GetBalanceResponse,
    check: (r: z.infer<typeof GetBalanceResponse>) =>
      expectConverted(toBalance(r), (v) => {
        expect(isMoney(v.balance) && isMoney(v.portfolioValue)).toBe(true);
        for (const b of v.byExchangeIndex) expect(isMoney(b.balance)).toBe(true);
      }),
  },
  {
    name: "http_get_settlements.json",
    schema: GetSettlementsResponse,
    check: (r: z.infer<typeof GetSettlementsResponse>) => {
      for (const s of r.settlements)
        expectConverted(toSettlement(s), (v) => {
          expect(isCount(v.yesCount) && isCount(v.noCount)).toBe(true);
          for (const m of [v.yesCost, v.noCost, v.revenue, v.fee]) expect(isMoney(m)).toBe(true);
          expect(Number.isFinite(v.settledTimeMs)).toBe(true);
        });
    },
  },
  { name: "http_get_exchange_status.json", schema: ExchangeStatus },
  { name: "http_get_exchange_schedule.json", schema: GetExchangeScheduleResponse },
  { name: "http_get_account_limits.json", schema: GetAccountApiLimitsResponse },
  { name: "http_get_account_endpoint_costs.json", schema: GetAccountEndpointCostsResponse },
  { name: "http_create_order_group.json", schema: CreateOrderGroupResponse },
  {
    name: "http_get_order_groups.json",
    schema: GetOrderGroupsResponse,
    check: (r: z.infer<typeof GetOrderGroupsResponse>) => {
      for (const g of r.order_groups)
        expectConverted(toOrderGroupInfo(g), (v) => {
          if (v.contractsLimit !== null) expect(isCount(v.contractsLimit)).toBe(true);
        });
    },
  },
  { name: "http_get_order_group.json", schema: GetOrderGroupResponse },
  {
    name: "http_get_event.json",
    schema: GetEventResponse,
    check: (r: z.infer<typeof GetEventResponse>) => {
      const fee = eventFees(r.event, { ticker: "S", feeType: "quadratic", feeMultiplier: 1 });
      expect(typeof fee.feeType).toBe("string");
      expect(typeof fee.feeMultiplier).toBe("number");
    },
  },
  { name: "http_get_event_fee_changes.json", schema: GetEventFeeChangesResponse },
];

describe("wire schemas and their converters", () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: damaged, it parses or is refused, and what parses converts in range or says why",
    (name, c) => {
      const base = fixture(name);
      fc.assert(
        fc.property(
          fc.oneof({ weight: 5, arbitrary: damagedText([base]) }, { weight: 1, arbitrary: randomJsonText }),
          (text) => {
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch {
              return; // the client refuses a body that is not JSON before any schema sees it
            }
            const r = c.schema.safeParse(value);
            if (r.success) c.check?.(r.data as never);
            else expect(r.error.issues.length).toBeGreaterThan(0);
          },
        ),
        runs(100, 310),
      );
    },
  );
});

describe("the catalogue's market conversion", () => {
  const MARKETS = fixture("http_get_markets.json") as { markets: Json[] };
  const PUBLISHED = Market.parse(MARKETS.markets[0]);

  // Regression: only a $0 bid counted as none, so a $1.00 YES bid on the REST quote became the
  // market's top (and passed the universe's favourite-price filter).
  it("reads a $1 YES bid on the REST quote as no bid", () => {
    const c = marketInfoOf({ ...PUBLISHED, yes_bid_dollars: "1.0000" });
    expect(typeof c === "string" ? c : c.info.top).toMatchObject({ yesBid: null, yesBidSize: 0 });
  });

  // Regression: a REST book listing a bid at $1 (or $0) gave that as the best bid.
  it.each([
    ["a YES bid at $1", [["1.0000", "5.00"]], []],
    ["a NO bid at $0", [["0.5000", "1.00"]], [["0.0000", "3.00"]]],
  ])("does not trust a REST book with %s", (_name, yes, no) => {
    expect(
      topOfRestBook({ yes_dollars: yes as [string, string][], no_dollars: no as [string, string][] }),
    ).toBeNull();
  });

  it("takes a REST book's best bids only from prices a bid can rest at", () => {
    const price = fc.oneof(
      fc.constantFrom("0.0000", "1.0000", "0.0001", "0.9999", "0.5", "1", "0"),
      fc.integer({ min: 0, max: PRICE_SCALE }).map((p) => (p / PRICE_SCALE).toFixed(4)),
    );
    const count = fc.oneof(
      fc.constantFrom("0.00", "0", "1.00"),
      fc.integer({ min: 0, max: 10_000 }).map((c) => (c / 100).toFixed(2)),
    );
    const levels = fc.array(fc.tuple(price, count), { maxLength: 5 });
    fc.assert(
      fc.property(levels, levels, (yes, no) => {
        const top = topOfRestBook({ yes_dollars: yes, no_dollars: no });
        if (top === null) return;
        for (const p of [top.yesBid, top.noBid]) if (p !== null) expect(p > 0 && p < PRICE_SCALE).toBe(true);
        if (top.yesBid === null) expect(top.yesBidSize).toBe(0);
        if (top.noBid === null) expect(top.noBidSize).toBe(0);
      }),
      runs(300, 321),
    );
  });
  it("turns any market the schema accepts into a usable MarketInfo or a reason, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          damagedText(MARKETS.markets),
          fc
            .record({
              field: fc.constantFrom(
                "yes_bid_dollars",
                "yes_ask_dollars",
                "status",
                "ticker",
                "price_ranges",
                "exchange_index",
                "close_time",
              ),
              value: hostileValue,
            })
            .map(({ field, value }) => JSON.stringify({ ...(MARKETS.markets[0] as object), [field]: value })),
        ),
        (text) => {
          let raw: unknown;
          try {
            raw = JSON.parse(text);
          } catch {
            return;
          }
          const m = Market.safeParse(raw);
          if (!m.success) return; // listMarkets leaves it out and reports it
          let c: ReturnType<typeof marketInfoOf> | undefined;
          expect(() => {
            c = marketInfoOf(m.data);
          }).not.toThrow();
          if (c === undefined) return;
          if (typeof c === "string") {
            expect(c.length).toBeGreaterThan(0);
            return;
          }
          const { info } = c;
          expect(MARKET_STATUSES).toContain(info.status);
          expect(info.grid.bands.length).toBeGreaterThan(0);
          const { yesBid, noBid, yesBidSize, noBidSize } = info.top;
          // A quote is a price strictly inside (0, 1) or none at all, with a size only when present.
          for (const p of [yesBid, noBid])
            if (p !== null) expect(p > 0 && p < PRICE_SCALE && Number.isSafeInteger(p)).toBe(true);
          if (yesBid === null) expect(yesBidSize).toBe(0);
          if (noBid === null) expect(noBidSize).toBe(0);
          for (const s of [yesBidSize, noBidSize]) expect(isCount(s)).toBe(true);
          expect(isCount(info.volume24h)).toBe(true);
          expect(Number.isFinite(info.openTimeMs) && Number.isFinite(info.closeTimeMs)).toBe(true);
          expect(info.multivariate).toBe(info.ticker.startsWith("KXMVE"));
          expect(info.fee).toBeNull();
        },
      ),
      runs(300, 320),
    );
  });
});
