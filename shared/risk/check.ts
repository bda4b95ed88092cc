/**
 * The risk gate, pure: every intent (entries and exits alike) is checked here before the order
 * path may send it. Returns `{ ok: true }` or a denial with a stable code, a readable message
 * and the numbers behind it (for the journal, alerts and the admin API).
 *
 * All intents: the market matches, the count is a positive integer no larger than the largest
 * order, the price lies inside the price band and on the market's grid, and an expiration is
 * only on a resting order and in the future.
 * Exits (`take_profit`, `stop`, `exit`): always allowed whatever the trading state, but they
 * must sell the side held, and together with the exits already working never exceed the
 * position.
 * Entries (everything else): only a buy, only while trading is `active` and nothing blocks
 * entries (feed, reconciliation, exchange pause, unknown order, ...), only in an active market
 * with a fresh book, no further above the live ask than the allowed slippage, and within the
 * per-position, total-exposure and open-position limits (positions at cost plus working entry
 * orders, unknown ones included).
 *
 * Called by the account object between the strategy (or the exit keeper, or the admin API)
 * and the order path.
 */

import type { BookView, Intent, MarketInfo, MoneyMicros, Order, Position, TradingState } from "../domain.ts";
import { askOf, isExitPurpose, openCount } from "../domain.ts";
import { tradablePrice } from "../kalshi/tick-grid.ts";
import type { RiskConfig } from "./config.ts";

/** Stable denial codes, in the order the checks run. */
export const DENY_CODES = [
  "market_mismatch",
  "invalid_count",
  "count_over_max",
  "price_outside_band",
  "price_off_grid",
  "expiration_with_ioc",
  "expiration_past",
  "exit_without_position",
  "exit_wrong_side",
  "exit_must_sell",
  "exit_exceeds_position",
  "entry_must_buy",
  "trading_halted",
  "trading_reducing",
  "entries_blocked",
  "market_not_active",
  "book_stale",
  "no_ask",
  "slippage",
  "no_equity",
  "position_limit",
  "total_exposure",
  "open_positions",
] as const;
export type DenyCode = (typeof DENY_CODES)[number];

export type RiskVerdict =
  | { ok: true }
  | { ok: false; code: DenyCode; message: string; numbers: Record<string, number> };

/** What the gate knows when it checks an intent. */
export interface RiskContext {
  tradingState: TradingState;
  /** Why entries are blocked right now, e.g. `feed_loss`, `reconciliation`, `exchange_paused`, `unknown_order`. */
  entriesBlockedBy: readonly string[];
  /** The intent's market. */
  market: MarketInfo;
  /** Its live book. */
  book: BookView;
  /** Every open position of the account. */
  positions: readonly Position[];
  /** Every non-terminal order of the account (terminal ones are ignored). */
  workingOrders: readonly Order[];
  /** Balance plus positions marked at the best bid. */
  equity: MoneyMicros;
  nowMs: number;
}

const ALLOW: RiskVerdict = Object.freeze({ ok: true });

function deny(code: DenyCode, message: string, numbers: Record<string, number> = {}): RiskVerdict {
  return { ok: false, code, message, numbers };
}

const pctOf = (equity: MoneyMicros, pct: number): MoneyMicros => Math.floor((equity * pct) / 100);

/** An order that adds risk: a working entry (anything that is not an exit), counted at its limit price. */
function isWorkingEntry(o: Order): boolean {
  return !isExitPurpose(o.purpose) && openCount(o) > 0;
}

function checkCommon(intent: Intent, ctx: RiskContext, limits: RiskConfig): RiskVerdict | null {
  if (intent.ticker !== ctx.market.ticker) {
    return deny("market_mismatch", `intent for ${intent.ticker} checked against market ${ctx.market.ticker}`);
  }
  if (!Number.isInteger(intent.count) || intent.count <= 0) {
    return deny(
      "invalid_count",
      `count ${intent.count} is not a positive integer number of 1/100 contracts`,
      {
        count: intent.count,
      },
    );
  }
  // A fat-finger bound on what adds risk. An exit is bounded by the position it closes
  // (exit_exceeds_position): refusing it here would leave a position larger than one order
  // (adopted, or built by several entries) without its exits.
  if (!isExitPurpose(intent.purpose) && intent.count > limits.maxOrderCount) {
    return deny("count_over_max", `count ${intent.count} exceeds the largest order ${limits.maxOrderCount}`, {
      count: intent.count,
      maxOrderCount: limits.maxOrderCount,
    });
  }
  const band = limits.priceBand;
  if (!Number.isInteger(intent.price) || intent.price < band.min || intent.price > band.max) {
    return deny("price_outside_band", `price ${intent.price} is outside the band ${band.min}-${band.max}`, {
      price: intent.price,
      min: band.min,
      max: band.max,
    });
  }
  if (!tradablePrice(ctx.market.grid, intent.price)) {
    return deny("price_off_grid", `price ${intent.price} is not on ${intent.ticker}'s tick grid`, {
      price: intent.price,
    });
  }
  if (intent.expirationMs !== null) {
    // Kalshi refuses both: "Cannot specify both immediate_or_cancel and expiration_ts" and
    // "Expiration timestamp must be in the future".
    if (intent.tif === "immediate_or_cancel" || intent.tif === "fill_or_kill") {
      return deny("expiration_with_ioc", `an ${intent.tif} order cannot carry an expiration`);
    }
    if (intent.expirationMs <= ctx.nowMs) {
      return deny("expiration_past", `expiration ${intent.expirationMs} is not after now ${ctx.nowMs}`, {
        expirationMs: intent.expirationMs,
        nowMs: ctx.nowMs,
      });
    }
  }
  return null;
}

function checkExit(intent: Intent, ctx: RiskContext): RiskVerdict {
  const pos = ctx.positions.find((p) => p.ticker === intent.ticker && p.contracts > 0);
  if (pos === undefined) {
    return deny("exit_without_position", `no open position in ${intent.ticker} to exit`);
  }
  if (intent.side !== pos.side) {
    return deny(
      "exit_wrong_side",
      `the position holds ${pos.side.toUpperCase()}, the exit trades ${intent.side.toUpperCase()}`,
    );
  }
  if (intent.action !== "sell") return deny("exit_must_sell", "an exit sells the side held");
  let working = 0;
  for (const o of ctx.workingOrders) {
    if (
      o.ticker === intent.ticker &&
      isExitPurpose(o.purpose) &&
      o.side === pos.side &&
      o.action === "sell"
    ) {
      working += openCount(o);
    }
  }
  if (intent.count + working > pos.contracts) {
    return deny(
      "exit_exceeds_position",
      `exit of ${intent.count} with ${working} already working exceeds the position of ${pos.contracts}`,
      { count: intent.count, workingExits: working, positionContracts: pos.contracts },
    );
  }
  return ALLOW;
}

function checkEntryGates(intent: Intent, ctx: RiskContext, limits: RiskConfig): RiskVerdict | null {
  if (intent.action !== "buy")
    return deny("entry_must_buy", "an entry buys; sells are exits of a held position");
  if (ctx.tradingState === "halted") return deny("trading_halted", "trading is halted: entries are refused");
  if (ctx.tradingState === "reducing") return deny("trading_reducing", "trading is reducing: exits only");
  if (ctx.entriesBlockedBy.length > 0) {
    return deny("entries_blocked", `entries are blocked by ${ctx.entriesBlockedBy.join(", ")}`);
  }
  if (ctx.market.status !== "active") {
    return deny("market_not_active", `market ${intent.ticker} is ${ctx.market.status}, not active`);
  }
  if (!ctx.book.fresh || ctx.book.ticker !== intent.ticker) {
    return deny(
      "book_stale",
      `the book of ${intent.ticker} is not fresh (${ctx.book.staleReason ?? "other market"})`,
    );
  }
  const ask = askOf(ctx.book.top, intent.side);
  if (ask === null) return deny("no_ask", `nothing offered on ${intent.side.toUpperCase()} to buy`);
  if (intent.price - ask > limits.maxEntrySlippage) {
    return deny(
      "slippage",
      `limit ${intent.price} is ${intent.price - ask} above the live ask ${ask}; at most ${limits.maxEntrySlippage}`,
      { price: intent.price, ask, slippage: intent.price - ask, maxEntrySlippage: limits.maxEntrySlippage },
    );
  }
  return null;
}

function checkEntryLimits(intent: Intent, ctx: RiskContext, limits: RiskConfig): RiskVerdict {
  if (ctx.equity <= 0) return deny("no_equity", "no equity to size against", { equity: ctx.equity });
  const adding = intent.price * intent.count;
  let inMarket = 0;
  let total = 0;
  const open = new Set<string>();
  for (const p of ctx.positions) {
    if (p.contracts <= 0) continue;
    total += p.cost;
    open.add(p.ticker);
    if (p.ticker === intent.ticker) inMarket += p.cost;
  }
  for (const o of ctx.workingOrders) {
    if (!isWorkingEntry(o)) continue;
    const money = o.price * openCount(o);
    total += money;
    open.add(o.ticker);
    if (o.ticker === intent.ticker) inMarket += money;
  }
  const ex = limits.exposure;
  const positionLimit = pctOf(ctx.equity, ex.maxPositionPct);
  if (inMarket + adding > positionLimit) {
    return deny(
      "position_limit",
      `${inMarket + adding} micro-dollars in ${intent.ticker} would exceed ${ex.maxPositionPct} % of equity (${positionLimit})`,
      { inMarket, adding, limit: positionLimit, equity: ctx.equity },
    );
  }
  const totalLimit = pctOf(ctx.equity, ex.maxTotalExposurePct);
  if (total + adding > totalLimit) {
    return deny(
      "total_exposure",
      `total exposure ${total + adding} micro-dollars would exceed ${ex.maxTotalExposurePct} % of equity (${totalLimit})`,
      { exposure: total, adding, limit: totalLimit, equity: ctx.equity },
    );
  }
  if (!open.has(intent.ticker) && open.size >= ex.maxOpenPositions) {
    return deny("open_positions", `${open.size} markets already open; at most ${ex.maxOpenPositions}`, {
      open: open.size,
      limit: ex.maxOpenPositions,
    });
  }
  return ALLOW;
}

/** Checks one intent against the limits. */
export function checkIntent(intent: Intent, ctx: RiskContext, limits: RiskConfig): RiskVerdict {
  const common = checkCommon(intent, ctx, limits);
  if (common !== null) return common;
  if (isExitPurpose(intent.purpose)) return checkExit(intent, ctx);
  return checkEntryGates(intent, ctx, limits) ?? checkEntryLimits(intent, ctx, limits);
}
