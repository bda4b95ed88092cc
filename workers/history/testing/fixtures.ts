/**
 * Domain objects for the history tests, built from Kalshi's published examples
 * (shared/kalshi/fixtures: GET /markets/{ticker}, GET /portfolio/orders/{order_id},
 * GET /portfolio/fills, GET /series/{ticker}, GET /portfolio/balance) through the bot's own unit
 * parsers, plus the bot-side records that have no Kalshi example (round trips, snapshots,
 * events), derived from those. Runs in Node and in workerd.
 */
import type { Fill, MarketInfo, Order, RoundTrip } from "../../../shared/domain.ts";
import { multiplierToPpm } from "../../../shared/domain.ts";
import fillsExample from "../../../shared/kalshi/fixtures/http_get_fills.json" with { type: "json" };
import marketExample from "../../../shared/kalshi/fixtures/http_get_market.json" with { type: "json" };
import orderExample from "../../../shared/kalshi/fixtures/http_get_order.json" with { type: "json" };
import seriesExample from "../../../shared/kalshi/fixtures/http_get_series.json" with { type: "json" };
import { parseTickGrid } from "../../../shared/kalshi/tick-grid.ts";
import { centsToMoney, parseCount, parseMoney, parsePrice } from "../../../shared/kalshi/units.ts";
import type {
  AccountSnapshot,
  AlertRecord,
  DailyReportRecord,
  HistoryRow,
  LogRecord,
  ReconDiffRecord,
  RiskEventRecord,
} from "../rows.ts";
import {
  alertRow,
  fillRow,
  logRow,
  marketRow,
  orderRow,
  reconDiffRow,
  reportRow,
  riskEventRow,
  snapshotRow,
  tradeRow,
} from "../rows.ts";

export const ACCOUNT = "sim:default";

const ms = (iso: string) => Date.parse(iso);

/** GET /markets/{ticker}'s example market, with the example series' fees. */
export function exampleMarket(): MarketInfo {
  const m = marketExample.market;
  const top = {
    yesBid: parsePrice(m.yes_bid_dollars),
    yesBidSize: parseCount(m.yes_bid_size_fp),
    noBid: parsePrice(m.no_bid_dollars),
    noBidSize: parseCount(m.yes_ask_size_fp),
  };
  return {
    ticker: m.ticker,
    eventTicker: m.event_ticker,
    // The example market's event belongs to the INXD series (the event example names it).
    seriesTicker: "INXD",
    status: "active",
    openTimeMs: ms(m.open_time),
    closeTimeMs: ms(m.close_time),
    grid: parseTickGrid(m.price_ranges),
    exchangeIndex: m.exchange_index,
    volume24h: parseCount(m.volume_24h_fp),
    top,
    fee: {
      feeType: "quadratic",
      multiplierPpm: multiplierToPpm(seriesExample.series.fee_multiplier),
      waiverUntilMs: null,
    },
    canCloseEarly: m.can_close_early,
    multivariate: false,
  };
}

/** GET /portfolio/orders/{order_id}'s example order, as the bot's journal holds it. */
export function exampleOrder(): Order {
  const o = orderExample.order;
  return {
    intentId: "intent-1",
    clientOrderId: o.client_order_id,
    orderId: o.order_id,
    ticker: o.ticker,
    side: "yes",
    action: "buy",
    price: parsePrice(o.yes_price_dollars),
    count: parseCount(o.initial_count_fp),
    purpose: "entry",
    tif: "good_till_canceled",
    postOnly: true,
    reduceOnly: false,
    expirationMs: ms(o.expiration_time),
    positionId: "pos-1",
    exchangeIndex: o.exchange_index,
    orderGroupId: o.order_group_id,
    state: "resting",
    ack: "accepted",
    filled: parseCount(o.fill_count_fp),
    fees: parseMoney(o.taker_fees_dollars),
    fillCost: parseMoney(o.taker_fill_cost_dollars),
    createdMs: ms(o.created_time),
    updatedMs: ms(o.last_update_time),
    reason: "signal",
    error: null,
  };
}

/** GET /portfolio/fills' example fill (a YES bid: +count YES contracts). */
export function exampleFill(): Fill {
  const f = fillsExample.fills[0];
  if (f === undefined) throw new Error("the fills example has no fill");
  const count = parseCount(f.count_fp);
  return {
    fillId: f.fill_id,
    orderId: f.order_id,
    ticker: f.ticker,
    yesPrice: parsePrice(f.yes_price_dollars),
    count,
    yesDelta: f.book_side === "bid" ? count : -count,
    fee: parseMoney(f.fee_cost),
    isTaker: f.is_taker,
    tsMs: f.ts * 1000,
  };
}

/**
 * A round trip opened by the example fill (278 YES at $0.75, fee $0.01) and closed an hour
 * later at $0.80 with a $0.01 exit fee: gross 278 x $0.05 = $13.90, net $13.88.
 */
export function exampleRoundTrip(overrides: Partial<RoundTrip> = {}): RoundTrip {
  const f = exampleFill();
  return {
    positionId: "pos-highny-1",
    ticker: f.ticker,
    side: "yes",
    contracts: f.count,
    avgEntry: f.yesPrice,
    avgExit: 8_000,
    openedMs: f.tsMs,
    closedMs: f.tsMs + 3_600_000,
    reason: "take_profit",
    fees: 20_000,
    pnl: 13_880_000,
    ...overrides,
  };
}

/** A snapshot with GET /portfolio/balance's example balance and portfolio value (cents). */
export function exampleSnapshot(takenMs: number): AccountSnapshot {
  return {
    takenMs,
    cash: centsToMoney(10_000),
    portfolioValue: centsToMoney(2_500),
    exposure: 20_850_000,
    realizedToday: 13_880_000,
    unrealized: -1_250_000,
    openPositions: 1,
    openOrders: 2,
    tradingState: "active",
  };
}

export function exampleRiskEvent(atMs: number, eventId = `deny/${atMs}`): RiskEventRecord {
  return {
    eventId,
    atMs,
    kind: "deny",
    code: "max_open_positions",
    message: "3 positions open, limit 3",
    ticker: exampleMarket().ticker,
    tradingState: null,
    numbers: { open: 3, limit: 3 },
  };
}

export function exampleAlert(atMs: number, eventId = `alert/${atMs}`): AlertRecord {
  return {
    eventId,
    atMs,
    kind: "halted",
    severity: "critical",
    message: "Trading halted: daily loss limit reached",
    details: { dayPnl: "-50.000000", limit: "-50.000000" },
    deliveredMs: null,
  };
}

export function exampleReconDiff(foundMs: number, eventId = `recon/${foundMs}`): ReconDiffRecord {
  const o = exampleOrder();
  return {
    eventId,
    foundMs,
    kind: "order_state",
    ticker: o.ticker,
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    ours: { state: "resting", filled: "0.00" },
    exchange: { status: "executed", fill_count_fp: "10.00" },
    explained: true,
    resolution: "adopted the exchange's state",
    acknowledgedMs: null,
  };
}

export function exampleReport(day: string, generatedMs: number): DailyReportRecord {
  return {
    day,
    generatedMs,
    subject: `Kalshi bot ${day}: +$13.88 on 1 trade`,
    trades: 1,
    wins: 1,
    losses: 0,
    netPnl: 13_880_000,
    fees: 20_000,
    startEquity: 125_000_000,
    endEquity: 138_880_000,
    sentMs: null,
    emailId: null,
    data: { trades: [{ ticker: exampleFill().ticker, pnl: "13.880000" }] },
  };
}

export function exampleLog(atMs: number, eventId = `log/${atMs}`): LogRecord {
  return {
    eventId,
    atMs,
    level: "warn",
    event: "feed.reconnect",
    message: "socket closed 1006, reconnecting in 1 s",
    data: { code: 1006, attempt: 1 },
  };
}

/** One row of every table, in HISTORY_TABLES order, built from the examples above. */
export function oneOfEach(atMs: number): HistoryRow[] {
  return [
    marketRow(ACCOUNT, exampleMarket(), atMs),
    orderRow(ACCOUNT, exampleOrder()),
    fillRow(ACCOUNT, exampleFill()),
    tradeRow(ACCOUNT, exampleRoundTrip()),
    snapshotRow(ACCOUNT, exampleSnapshot(atMs)),
    reportRow(ACCOUNT, exampleReport("2026-11-23", atMs)),
    alertRow(ACCOUNT, exampleAlert(atMs)),
    riskEventRow(ACCOUNT, exampleRiskEvent(atMs)),
    reconDiffRow(ACCOUNT, exampleReconDiff(atMs)),
    logRow(ACCOUNT, exampleLog(atMs)),
  ];
}
