/**
 * The entry signal for one market, pure: which side is the favourite, whether every entry
 * criterion holds, the prices an entry would use (snapped to the market's grid), the fees it
 * would pay, a confidence score from named book components and the expected value after fees.
 * Every criterion is evaluated and reported with its value and threshold even when an earlier
 * one fails, so `GET /api/why/{ticker}` can say exactly why a market is or is not traded.
 *
 * Called by `decide.ts` on every changed book of a watched market. It supersedes the feed's
 * universe filter (`workers/feed/universe.ts`) as the entry rule; the universe filter only
 * chooses which books to watch. The model behind the score and p(win) is a heuristic prior,
 * documented in docs/strategy.md.
 */

import type {
  BookView,
  CountUnits,
  FeeParams,
  MarketInfo,
  MoneyMicros,
  Order,
  Position,
  PriceUnits,
  Side,
} from "../domain.ts";
import { askOf, askSizeOf, bidOf, bidSizeOf, isUnknown, openCount } from "../domain.ts";
import { type FeeQuote, type FeeRole, feeFor, flatFee } from "../fees.ts";
import { snapForBuy } from "../kalshi/tick-grid.ts";
import { COUNT_SCALE, formatPrice, notional, PRICE_SCALE } from "../kalshi/units.ts";
import type { FeeConfig, StrategyConfig } from "./config.ts";
import { stopPrice, takeProfitOffset, takeProfitPrice } from "./exits.ts";

/** One market as the decision sees it. `workingOrders` are this market's orders, any state. */
export interface MarketInput {
  market: MarketInfo;
  book: BookView;
  position: Position | null;
  workingOrders: readonly Order[];
  /** The order path holds an order in this market whose outcome is unknown. */
  hasUnknownOrder: boolean;
  nowMs: number;
}

/** The names of the entry criteria, in the order they are reported. */
export const CRITERIA = [
  "market_active",
  "multivariate_allowed",
  "fees_known",
  "book_fresh",
  "favourite_price",
  "entry_on_grid",
  "best_bid_depth",
  "volume_24h",
  "spread",
  "take_profit_room",
  "stop_room",
  "pre_close_window",
  "no_position",
  "no_working_order",
  "no_unknown_order",
  "expected_value",
  "confidence",
] as const;
export type CriterionName = (typeof CRITERIA)[number] | "size";

export type CriterionValue = number | string | boolean | null;

/** One criterion's verdict, its value and threshold (units in docs/strategy.md), and a readable note. */
export interface Criterion {
  name: CriterionName;
  pass: boolean;
  value: CriterionValue;
  threshold: CriterionValue;
  detail?: string;
}

/** The prices an entry would use, on the favourite's own leg. */
export interface EntryPrices {
  side: Side;
  bid: PriceUnits;
  ask: PriceUnits;
  bidSize: CountUnits;
  askSize: CountUnits;
  /** Limit of the entry IOC: best ask (+ entry slippage) snapped down; null when no tradable price. */
  entry: PriceUnits | null;
  /** entry + offset snapped up; null when none is tradable. */
  takeProfit: PriceUnits | null;
  /** entry - offset snapped up (the trigger fires no later than intended); null when none. */
  stop: PriceUnits | null;
}

/** Predicted fees per whole contract, micro-dollars. */
export interface FeeEstimate {
  entry: MoneyMicros;
  takeProfit: MoneyMicros;
  stop: MoneyMicros;
}

/** The expected value per whole contract after fees (micro-dollars except `pWin`). */
export interface EvBreakdown {
  pWin: number;
  /** (take-profit - entry) x 1 contract. */
  gain: MoneyMicros;
  /** (entry - stop + expected stop slippage) x 1 contract. */
  loss: MoneyMicros;
  entryFee: MoneyMicros;
  takeProfitFee: MoneyMicros;
  stopFee: MoneyMicros;
  /** gain - entry fee - take-profit fee. */
  winNet: MoneyMicros;
  /** loss + entry fee + stop fee. */
  lossNet: MoneyMicros;
  /** pWin x winNet - (1 - pWin) x lossNet, rounded to the micro-dollar. */
  ev: MoneyMicros;
  /** The pWin at which ev is zero: what the book must be worth for the trade to pay. */
  breakEvenPWin: number;
}

export interface ConfidenceBreakdown {
  score: number;
  /** Each component in [0, 1]; names as in `edge.weights`. */
  components: Record<string, number>;
}

export interface Signal {
  ticker: string;
  side: Side | null;
  /** Every criterion passed. */
  pass: boolean;
  criteria: Criterion[];
  prices: EntryPrices | null;
  fees: FeeEstimate | null;
  ev: EvBreakdown | null;
  confidence: ConfidenceBreakdown | null;
}

/** The favourite: the side with the higher best bid (YES on a tie); null when either ladder is empty. */
export function favouriteSide(top: BookView["top"]): Side | null {
  if (top.yesBid === null || top.noBid === null) return null;
  return top.yesBid >= top.noBid ? "yes" : "no";
}

/** `$1234.56`-style text for details (display only); `digits` 4 for per-contract amounts. */
function usd(m: MoneyMicros, digits = 2): string {
  return `${m < 0 ? "-" : ""}$${(Math.abs(m) / 1_000_000).toFixed(digits)}`;
}

function contracts(c: CountUnits): string {
  return `${c / COUNT_SCALE} contracts`;
}

function clamp01(x: number): number {
  return x <= 0 || Number.isNaN(x) ? 0 : Math.min(x, 1);
}

/**
 * The fee of one whole contract in `role` at `price` when the fill happens at `atMs`; flat
 * series use the configured flat fee when there is one.
 */
export function feePerContract(
  role: FeeRole,
  fee: FeeParams,
  price: PriceUnits,
  atMs: number,
  fees: FeeConfig,
): FeeQuote {
  const q = feeFor(role, fee, price, COUNT_SCALE, atMs);
  if (!q.ok && q.reason === "flat_fee_unknown" && fees.flatFeePerContract !== null) {
    return flatFee(fees.flatFeePerContract, COUNT_SCALE);
  }
  return q;
}

/** The fees of one round trip per contract, or why they are unknown. */
function estimateFees(
  fee: FeeParams | null,
  prices: EntryPrices | null,
  config: StrategyConfig,
  nowMs: number,
): { ok: true; fees: FeeEstimate | null } | { ok: false; reason: string } {
  if (fee === null) return { ok: false, reason: "the series' fee parameters are not loaded yet" };
  const probe = feePerContract("taker", fee, prices?.entry ?? 5_000, nowMs, config.fees);
  if (!probe.ok) return { ok: false, reason: probe.message };
  if (prices === null || prices.entry === null || prices.takeProfit === null || prices.stop === null) {
    return { ok: true, fees: null };
  }
  // Exits happen later: price them at the latest planned exit, so a waiver ending meanwhile counts.
  const exitAt = nowMs + (config.exits.holdTimeoutMs ?? 0);
  const stopFill = Math.max(1, prices.stop - config.edge.expectedStopSlippage);
  const tp = feePerContract(config.fees.takeProfitRole, fee, prices.takeProfit, exitAt, config.fees);
  const stop = feePerContract("taker", fee, stopFill, exitAt, config.fees);
  if (!tp.ok) return { ok: false, reason: tp.message };
  if (!stop.ok) return { ok: false, reason: stop.message };
  return { ok: true, fees: { entry: probe.fee, takeProfit: tp.fee, stop: stop.fee } };
}

/** The confidence components (each in [0, 1]) and their weighted mean. */
export function confidenceOf(
  market: MarketInfo,
  prices: EntryPrices,
  config: StrategyConfig,
  nowMs: number,
): ConfidenceBreakdown {
  const { entry: e, exits, edge } = config;
  const sizes = prices.bidSize + prices.askSize;
  // The spread as a share of the stop distance: the position is marked at the bid, so a spread
  // is loss already taken towards the stop.
  const entry = prices.entry ?? prices.ask;
  const stopRoom =
    prices.stop !== null && entry > prices.stop
      ? clamp01((prices.bid - prices.stop) / (entry - prices.stop))
      : 0;
  const highestEntry = exits.maxTakeProfitPrice - takeProfitOffset(prices.ask, exits);
  const favourite =
    highestEntry > e.favouriteFloor
      ? clamp01((prices.ask - e.favouriteFloor) / (highestEntry - e.favouriteFloor))
      : prices.ask >= e.favouriteFloor
        ? 1
        : 0;
  const beforeWindow = market.closeTimeMs - exits.preCloseWindowMs - nowMs;
  const hold = exits.holdTimeoutMs;
  const components = {
    imbalance: sizes > 0 ? prices.bidSize / sizes : 0,
    spread: stopRoom,
    depth: clamp01(notional(prices.bid, prices.bidSize) / edge.depthFullMoney),
    volume: clamp01(notional(prices.ask, market.volume24h) / edge.volumeFullMoney),
    favourite,
    timeToClose: hold === null ? (beforeWindow > 0 ? 1 : 0) : clamp01(beforeWindow / hold),
  };
  const w = edge.weights;
  const totalWeight = w.imbalance + w.spread + w.depth + w.volume + w.favourite + w.timeToClose;
  const weighted =
    w.imbalance * components.imbalance +
    w.spread * components.spread +
    w.depth * components.depth +
    w.volume * components.volume +
    w.favourite * components.favourite +
    w.timeToClose * components.timeToClose;
  return { score: totalWeight > 0 ? weighted / totalWeight : 0, components };
}

/** p(win) from the score, then the expected value of one contract after fees. */
export function expectedValue(
  prices: { entry: PriceUnits; takeProfit: PriceUnits; stop: PriceUnits },
  fees: FeeEstimate,
  score: number,
  config: StrategyConfig,
): EvBreakdown {
  const edge = config.edge;
  const pWin = edge.pWinAtZero + (edge.pWinAtOne - edge.pWinAtZero) * clamp01(score);
  const gain = (prices.takeProfit - prices.entry) * COUNT_SCALE;
  const loss = (prices.entry - prices.stop + edge.expectedStopSlippage) * COUNT_SCALE;
  const winNet = gain - fees.entry - fees.takeProfit;
  const lossNet = loss + fees.entry + fees.stop;
  const ev = Math.round(pWin * winNet - (1 - pWin) * lossNet);
  const breakEvenPWin = winNet + lossNet > 0 ? lossNet / (winNet + lossNet) : 1;
  return {
    pWin,
    gain,
    loss,
    entryFee: fees.entry,
    takeProfitFee: fees.takeProfit,
    stopFee: fees.stop,
    winNet,
    lossNet,
    ev,
    breakEvenPWin,
  };
}

function pricesOf(
  book: BookView,
  side: Side | null,
  market: MarketInfo,
  config: StrategyConfig,
): EntryPrices | null {
  if (side === null) return null;
  const bid = bidOf(book.top, side);
  const ask = askOf(book.top, side);
  if (bid === null || ask === null) return null;
  const entry = snapForBuy(market.grid, Math.min(ask + config.entry.entrySlippage, PRICE_SCALE));
  return {
    side,
    bid,
    ask,
    bidSize: bidSizeOf(book.top, side),
    askSize: askSizeOf(book.top, side),
    entry,
    takeProfit: entry === null ? null : takeProfitPrice(entry, market.grid, config.exits),
    stop: entry === null ? null : stopPrice(entry, market.grid, config.exits),
  };
}

const fmt = (p: PriceUnits | null): string => (p === null ? "none" : formatPrice(p));

/** Evaluates every entry criterion for one market. */
export function entrySignal(input: MarketInput, config: StrategyConfig): Signal {
  const { market, book, position, workingOrders, hasUnknownOrder, nowMs } = input;
  const { entry: ec, exits } = config;
  const side = favouriteSide(book.top);
  const px = pricesOf(book, side, market, config);
  const noBook = side === null ? "one side of the book is empty: no favourite" : undefined;
  const criteria: Criterion[] = [];
  const add = (c: Criterion) => {
    const { detail, ...rest } = c;
    criteria.push(detail === undefined ? rest : c);
  };

  add({
    name: "market_active",
    pass: market.status === "active",
    value: market.status,
    threshold: "active",
    detail: market.status === "active" ? undefined : `market is ${market.status}, not active`,
  });
  add({
    name: "multivariate_allowed",
    pass: !market.multivariate || ec.allowMultivariate,
    value: market.multivariate,
    threshold: ec.allowMultivariate,
    detail: market.multivariate && !ec.allowMultivariate ? "multivariate markets are not traded" : undefined,
  });
  const feeEst = estimateFees(market.fee, px, config, nowMs);
  add({
    name: "fees_known",
    pass: feeEst.ok,
    value: market.fee?.feeType ?? null,
    threshold: "known",
    detail: feeEst.ok ? undefined : feeEst.reason,
  });
  add({
    name: "book_fresh",
    pass: book.fresh,
    value: book.fresh,
    threshold: true,
    detail: book.fresh ? undefined : `book is stale (${book.staleReason ?? "unknown reason"})`,
  });
  add({
    name: "favourite_price",
    pass: px !== null && px.ask >= ec.favouriteFloor,
    value: px?.ask ?? null,
    threshold: ec.favouriteFloor,
    detail:
      px === null
        ? (noBook ?? "no ask on the favourite side")
        : px.ask >= ec.favouriteFloor
          ? `${px.side.toUpperCase()} is the favourite at ${fmt(px.ask)}`
          : `${px.side.toUpperCase()} ask ${fmt(px.ask)} is below the floor ${fmt(ec.favouriteFloor)}`,
  });
  add({
    name: "entry_on_grid",
    pass: px?.entry != null,
    value: px?.entry ?? null,
    threshold: px?.ask ?? null,
    detail:
      px === null
        ? noBook
        : px.entry === null
          ? `no tradable price at or below ${fmt(px.ask)} on this market's grid`
          : undefined,
  });
  const depth = px === null ? null : notional(px.bid, px.bidSize);
  add({
    name: "best_bid_depth",
    pass: depth !== null && depth >= ec.minBestBidMoney,
    value: depth,
    threshold: ec.minBestBidMoney,
    detail:
      px === null || depth === null
        ? noBook
        : `${usd(depth)} resting at the best bid ${fmt(px.bid)} (${contracts(px.bidSize)}); need ${usd(ec.minBestBidMoney)}`,
  });
  const volume = px === null ? null : notional(px.ask, market.volume24h);
  add({
    name: "volume_24h",
    pass: volume !== null && volume >= ec.minVolume24hMoney,
    value: volume,
    threshold: ec.minVolume24hMoney,
    detail:
      volume === null
        ? noBook
        : `${contracts(market.volume24h)} in 24 h = ${usd(volume)} at ${fmt(px?.ask ?? null)}; need ${usd(ec.minVolume24hMoney)}`,
  });
  const spread = px === null ? null : px.ask - px.bid;
  add({
    name: "spread",
    pass: spread !== null && spread <= ec.maxSpread,
    value: spread,
    threshold: ec.maxSpread,
    detail:
      px === null || spread === null
        ? noBook
        : `ask ${fmt(px.ask)} - bid ${fmt(px.bid)} = ${fmt(spread)}; at most ${fmt(ec.maxSpread)}`,
  });
  add({
    name: "take_profit_room",
    pass: px?.takeProfit != null && px.takeProfit <= exits.maxTakeProfitPrice,
    value: px?.takeProfit ?? null,
    threshold: exits.maxTakeProfitPrice,
    detail:
      px === null
        ? noBook
        : `take-profit ${fmt(px.takeProfit)} for entry ${fmt(px.entry)}; at most ${fmt(exits.maxTakeProfitPrice)}`,
  });
  add({
    name: "stop_room",
    pass: px !== null && px.stop !== null && px.bid > px.stop,
    value: px?.bid ?? null,
    threshold: px?.stop ?? null,
    detail:
      px === null
        ? noBook
        : px.stop === null
          ? "no tradable stop price below the entry"
          : `bid ${fmt(px.bid)} must be above the stop ${fmt(px.stop)}, or the stop fires at once`,
  });
  const toClose = market.closeTimeMs - nowMs;
  add({
    name: "pre_close_window",
    pass: toClose > exits.preCloseWindowMs,
    value: toClose,
    threshold: exits.preCloseWindowMs,
    detail: `closes in ${Math.round(toClose / 60_000)} min; no entry within ${Math.round(exits.preCloseWindowMs / 60_000)} min of close`,
  });
  add({
    name: "no_position",
    pass: position === null,
    value: position?.contracts ?? 0,
    threshold: 0,
    detail:
      position === null
        ? undefined
        : `already holding ${contracts(position.contracts)} ${position.side.toUpperCase()}`,
  });
  const working = workingOrders.filter((o) => openCount(o) > 0).length;
  add({
    name: "no_working_order",
    pass: working === 0,
    value: working,
    threshold: 0,
    detail: working === 0 ? undefined : `${working} order(s) still working in this market`,
  });
  const unknown = hasUnknownOrder || workingOrders.some(isUnknown);
  add({
    name: "no_unknown_order",
    pass: !unknown,
    value: unknown,
    threshold: false,
    detail: unknown ? "an order in this market has an unknown outcome" : undefined,
  });

  let ev: EvBreakdown | null = null;
  let confidence: ConfidenceBreakdown | null = null;
  if (px !== null) confidence = confidenceOf(market, px, config, nowMs);
  if (
    px !== null &&
    feeEst.ok &&
    feeEst.fees !== null &&
    px.entry !== null &&
    px.takeProfit !== null &&
    px.stop !== null
  ) {
    ev = expectedValue(
      { entry: px.entry, takeProfit: px.takeProfit, stop: px.stop },
      feeEst.fees,
      confidence?.score ?? 0,
      config,
    );
  }
  add({
    name: "expected_value",
    pass: ev !== null && ev.ev > config.edge.minEvPerContract,
    value: ev?.ev ?? null,
    threshold: config.edge.minEvPerContract,
    detail:
      ev === null
        ? "not computable: no prices or no fees"
        : `p(win) ${ev.pWin.toFixed(3)} x ${usd(ev.winNet, 4)} - ${(1 - ev.pWin).toFixed(3)} x ${usd(ev.lossNet, 4)} = ${usd(ev.ev, 4)} per contract after fees (break-even p(win) ${ev.breakEvenPWin.toFixed(3)})`,
  });
  add({
    name: "confidence",
    pass: confidence !== null && confidence.score >= config.edge.minConfidence,
    value: confidence?.score ?? null,
    threshold: config.edge.minConfidence,
    detail: confidence === null ? noBook : undefined,
  });

  return {
    ticker: market.ticker,
    side,
    pass: criteria.every((c) => c.pass),
    criteria,
    prices: px,
    fees: feeEst.ok ? feeEst.fees : null,
    ev,
    confidence,
  };
}
