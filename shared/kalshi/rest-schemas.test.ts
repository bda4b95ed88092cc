import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  AmendOrderV2Response,
  BatchCancelOrdersV2Response,
  BatchCreateOrdersV2Response,
  CancelOrderV2Response,
  CreateOrderGroupResponse,
  CreateOrderV2Request,
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
} from "./rest-schemas.ts";

function load<T extends z.ZodType>(name: string, schema: T): z.infer<T> {
  const raw: unknown = JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
  return schema.parse(raw);
}

const FIXTURES: [string, z.ZodType][] = [
  ["http_get_markets.json", GetMarketsResponse],
  ["http_get_markets_page2.json", GetMarketsResponse],
  ["http_get_market.json", GetMarketResponse],
  ["http_get_market_orderbook.json", GetMarketOrderbookResponse],
  ["http_get_series.json", GetSeriesResponse],
  ["http_create_order_v2.json", CreateOrderV2Response],
  ["http_cancel_order_v2.json", CancelOrderV2Response],
  ["http_decrease_order_v2.json", DecreaseOrderV2Response],
  ["http_amend_order_v2.json", AmendOrderV2Response],
  ["http_batch_create_orders_v2.json", BatchCreateOrdersV2Response],
  ["http_batch_cancel_orders_v2.json", BatchCancelOrdersV2Response],
  ["http_get_orders.json", GetOrdersResponse],
  ["http_get_order.json", GetOrderResponse],
  ["http_get_fills.json", GetFillsResponse],
  ["http_get_positions.json", GetPositionsResponse],
  ["http_get_balance.json", GetBalanceResponse],
  ["http_get_settlements.json", GetSettlementsResponse],
  ["http_get_exchange_status.json", ExchangeStatus],
  ["http_get_exchange_schedule.json", GetExchangeScheduleResponse],
  ["http_get_account_limits.json", GetAccountApiLimitsResponse],
  ["http_get_account_endpoint_costs.json", GetAccountEndpointCostsResponse],
  ["http_create_order_group.json", CreateOrderGroupResponse],
  ["http_get_order_groups.json", GetOrderGroupsResponse],
  ["http_get_order_group.json", GetOrderGroupResponse],
  ["http_get_event.json", GetEventResponse],
  ["http_get_event_fee_changes.json", GetEventFeeChangesResponse],
];

describe("wire schemas", () => {
  for (const [name, schema] of FIXTURES) {
    it(`parses ${name}`, () => {
      expect(() => load(name, schema)).not.toThrow();
    });
  }

  it("reads order groups: the limit in count units, an absent list as empty", () => {
    const groups = load("http_get_order_groups.json", GetOrderGroupsResponse).order_groups;
    const info = groups.map((g) => toOrderGroupInfo(g));
    expect(info).toEqual([
      {
        ok: true,
        value: { id: "og_123", contractsLimit: 1_000, autoCancelEnabled: true, exchangeIndex: 0 },
      },
    ]);
    expect(GetOrderGroupsResponse.parse({}).order_groups).toEqual([]);
    const one = load("http_get_order_group.json", GetOrderGroupResponse);
    expect(one.orders).toEqual(["ee587a1c-8b87-4dcf-b721-9f6f790619fa"]);
  });

  // Shapes from Kalshi's EventData / EventFeeChange schemas, values from its event_fee_update example.
  it("takes an event's fee override over its series' fee, and the series' fee once it is cleared", () => {
    const { event } = load("http_get_event.json", GetEventResponse);
    const series = { ticker: "KXBTCD", feeType: "quadratic_with_maker_fees", feeMultiplier: 0.5 };
    expect(eventFees(event, series)).toEqual({ feeType: "quadratic", feeMultiplier: 1 });
    const cleared = { ...event, fee_type_override: null, fee_multiplier_override: null };
    expect(eventFees(cleared, series)).toEqual({ feeType: "quadratic_with_maker_fees", feeMultiplier: 0.5 });
    const changes = load("http_get_event_fee_changes.json", GetEventFeeChangesResponse).event_fee_changes;
    expect(changes.map((c) => c.fee_type_override)).toEqual(["quadratic", null]);
  });

  it("reads a null list as empty (Go nil slice)", () => {
    const r = GetMarketOrderbookResponse.parse({ orderbook_fp: { yes_dollars: null, no_dollars: [] } });
    expect(r.orderbook_fp.yes_dollars).toEqual([]);
  });

  it("rejects a count sent as a number", () => {
    expect(
      CreateOrderV2Response.safeParse({ order_id: "x", fill_count: 0, remaining_count: "1.00", ts_ms: 1 })
        .success,
    ).toBe(false);
  });

  it("validates the documented V2 create body example", () => {
    const body = {
      ticker: "HIGHNY-24JAN01-T60",
      client_order_id: "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
      side: "bid",
      count: "10.00",
      price: "0.5600",
      time_in_force: "good_till_canceled",
      self_trade_prevention_type: "taker_at_cross",
      post_only: false,
      cancel_order_on_pause: false,
      reduce_only: false,
      subaccount: 0,
      exchange_index: 0,
    };
    expect(CreateOrderV2Request.parse(body)).toEqual(body);
    expect(CreateOrderV2Request.safeParse({ ...body, side: "yes" }).success).toBe(false);
  });
});

describe("converters", () => {
  it("turns a market into integer units with its tick grid", () => {
    const { market } = load("http_get_market.json", GetMarketResponse);
    const r = toMarketInfo(market);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      ticker: "INXD-23SEP14-B4487",
      yesBid: 5600,
      yesAsk: 5800,
      volume: 1000,
      exchangeIndex: 0,
      closeTimeMs: Date.parse("2023-11-08T05:31:56Z"),
    });
    expect(r.value.grid.bands).toEqual([{ start: 0, end: 10_000, step: 100 }]);
  });

  it("reports a market with an invalid grid instead of throwing", () => {
    const { market } = load("http_get_market.json", GetMarketResponse);
    const r = toMarketInfo({ ...market, price_ranges: [] });
    expect(r.ok).toBe(false);
  });

  it("sorts orderbook bids best first whatever order Kalshi sends", () => {
    const { orderbook_fp } = load("http_get_market_orderbook.json", GetMarketOrderbookResponse);
    const r = toOrderbookLevels(orderbook_fp);
    expect(r.ok && r.value.yesBids).toEqual([
      [2200, 33_300],
      [800, 30_000],
    ]);
    expect(r.ok && r.value.noBids[0]).toEqual([5600, 14_600]);
  });

  it("prefers the exact balance_dollars over cents, and reads portfolio_value as cents", () => {
    const r = toBalance(load("http_get_balance.json", GetBalanceResponse));
    expect(r.ok && r.value).toMatchObject({ balance: 100_005_000, portfolioValue: 25_000_000 });
    const cents = toBalance({ balance: 10_000, portfolio_value: 0, updated_ts: 1 });
    expect(cents.ok && cents.value.balance).toBe(100_000_000);
  });

  it("reads settlement revenue as cents and fees as dollars", () => {
    const [s] = load("http_get_settlements.json", GetSettlementsResponse).settlements;
    const r = s ? toSettlement(s) : null;
    expect(r?.ok && r.value).toMatchObject({ revenue: 10_000_000, fee: 340_000, noCount: 1000 });
  });

  it("keeps a NO position negative", () => {
    const [p] = load("http_get_positions.json", GetPositionsResponse).market_positions;
    const r = p ? toPosition(p) : null;
    expect(r?.ok && r.value).toMatchObject({ position: -1000, exposure: 6_500_000, feesPaid: 70_000 });
  });

  // regression: Order dropped `last_update_reason`, so a cancel's cause never reached the bot
  it("carries last_update_reason (Kalshi's AsyncAPI lastUpdateReason) into the domain order", () => {
    const wire = load("http_get_order.json", GetOrderResponse).order;
    // the published example with the remainder cancelled for crossing as post-only (§8.1)
    const raw = { order: { ...wire, status: "canceled", last_update_reason: "PostOnlyCrossCancel" } };
    const parsed = GetOrderResponse.parse(raw).order;
    expect(parsed.last_update_reason).toBe("PostOnlyCrossCancel");
    const order = toOrderInfo(parsed);
    expect(order.ok && order.value).toMatchObject({
      status: "canceled",
      lastUpdateReason: "PostOnlyCrossCancel",
    });
    expect(GetOrderResponse.safeParse({ order: { ...wire, last_update_reason: 7 } }).success).toBe(false);
  });

  it("converts fills, orders, creates and series fees", () => {
    const [f] = load("http_get_fills.json", GetFillsResponse).fills;
    const fill = f ? toFill(f) : null;
    expect(fill?.ok && fill.value).toMatchObject({
      count: 27_800,
      yesPrice: 7500,
      fee: 10_000,
      isTaker: true,
    });
    const order = toOrderInfo(load("http_get_order.json", GetOrderResponse).order);
    expect(order.ok && order.value).toMatchObject({
      clientOrderId: "my-order-1",
      yesPrice: 3500,
      remainingCount: 1000,
    });
    expect(order.ok && order.value.lastUpdateReason).toBeNull();
    const [, second] = load("http_batch_create_orders_v2.json", BatchCreateOrdersV2Response).orders;
    const created = toCreateOrderResult(load("http_create_order_v2.json", CreateOrderV2Response));
    expect(created.ok && created.value).toMatchObject({
      fillCount: 0,
      remainingCount: 1000,
      averageFillPrice: null,
    });
    expect(second?.average_fee_paid).toBe("0.0012");
    expect(toSeriesFees(load("http_get_series.json", GetSeriesResponse).series)).toEqual({
      ticker: "HIGHNY",
      feeType: "quadratic",
      feeMultiplier: 1,
    });
  });
});
