/**
 * Positions, built from fills, pure. Kalshi nets a market's contracts (one side at a time), so a
 * position is the running sum of its fills' signed YES deltas: a YES-leg bid adds YES contracts,
 * an ask adds NO contracts (or sells YES). Each position tracks, on its own side's leg: what the
 * contracts held cost (average-cost method), fees, realised P&L of what was sold, the exit
 * proceeds, the largest size held and the best and worst bid seen (excursions). When the
 * contracts return to zero the round trip closes; a fill that would carry the position through
 * zero closes it and opens the other side with the remainder (never intended: the exit keeper
 * sizes exits not to, and the exchange's `reduce_only` caps them, but the fold stays exact).
 *
 * Called by the order path for every new fill (de-duplicated by fill id before it gets here) and
 * by tests that fold random fill sequences.
 */
import type {
  CountUnits,
  ExitReason,
  Fill,
  MoneyMicros,
  Position,
  PriceUnits,
  RoundTrip,
  Side,
} from "../../shared/domain.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";

export interface FillContext {
  nowMs: number;
  /** a fresh id for a position this fill opens */
  newPositionId: () => string;
  /** why contracts are being sold, when the fill reduces the position (the order's purpose) */
  exitReason: ExitReason;
}

export interface FillOutcome {
  /** the position after the fill (null when flat) */
  position: Position | null;
  /** a round trip this fill closed */
  closed: RoundTrip | null;
  /** the fill opened a new position (from flat, or the remainder after crossing zero) */
  opened: boolean;
}

/** The fill's price on `side`'s leg. */
export function legPrice(yesPrice: PriceUnits, side: Side): PriceUnits {
  return side === "yes" ? yesPrice : PRICE_SCALE - yesPrice;
}

/**
 * What a fill did to the account's cash, given the signed YES contracts held before it: a YES-leg
 * fill at p pays p per YES contract bought (and receives it per one sold), and every NO contract
 * held costs $1 on top of that flow (a NO bought at 1 - p), less the fee.
 */
export function cashOfFill(yesBefore: CountUnits, fill: Fill): MoneyMicros {
  const after = yesBefore + fill.yesDelta;
  return (
    -(fill.yesPrice * fill.yesDelta + fill.fee) -
    PRICE_SCALE * (Math.max(0, -after) - Math.max(0, -yesBefore))
  );
}

/** Signed YES contracts of a position (+ YES, - NO), 0 when flat. */
export function signedContracts(p: Position | null): CountUnits {
  if (p === null) return 0;
  return p.side === "yes" ? p.contracts : -p.contracts;
}

function open(
  ticker: string,
  side: Side,
  count: CountUnits,
  price: PriceUnits,
  fee: number,
  f: FillContext,
  atMs: number,
): Position {
  return {
    positionId: f.newPositionId(),
    ticker,
    side,
    contracts: count,
    cost: price * count,
    fees: fee,
    realizedGross: 0,
    maxContracts: count,
    entered: count,
    enteredCost: price * count,
    exited: 0,
    exitProceeds: 0,
    bestBid: price,
    worstBid: price,
    openedMs: atMs,
    exits: null,
  };
}

/** Folds one fill into the market's position. */
export function applyFill(p: Position | null, fill: Fill, ctx: FillContext): FillOutcome {
  const delta = fill.yesDelta;
  if (delta === 0) return { position: p, closed: null, opened: false };
  const buySide: Side = delta > 0 ? "yes" : "no";
  const count = Math.abs(delta);
  const atMs = fill.tsMs || ctx.nowMs;
  if (p === null) {
    return {
      position: open(fill.ticker, buySide, count, legPrice(fill.yesPrice, buySide), fill.fee, ctx, atMs),
      closed: null,
      opened: true,
    };
  }
  const price = legPrice(fill.yesPrice, p.side);
  if (buySide === p.side) {
    const cost = p.cost + price * count;
    const contracts = p.contracts + count;
    return {
      position: {
        ...p,
        contracts,
        cost,
        fees: p.fees + fill.fee,
        maxContracts: Math.max(p.maxContracts, contracts),
        entered: p.entered + count,
        enteredCost: p.enteredCost + price * count,
      },
      closed: null,
      opened: false,
    };
  }
  // Selling `side`: close up to what is held at the average cost.
  const closing = Math.min(count, p.contracts);
  const costOut = closing === p.contracts ? p.cost : Math.round((p.cost * closing) / p.contracts);
  // The fee of a fill that also opens the other side is split pro rata.
  const feeHere = closing === count ? fill.fee : Math.round((fill.fee * closing) / count);
  const after: Position = {
    ...p,
    contracts: p.contracts - closing,
    cost: p.cost - costOut,
    fees: p.fees + feeHere,
    realizedGross: p.realizedGross + price * closing - costOut,
    exitProceeds: p.exitProceeds + price * closing,
    exited: p.exited + closing,
  };
  if (after.contracts > 0) return { position: after, closed: null, opened: false };
  const closed = roundTrip(after, atMs, ctx.exitReason);
  const rest = count - closing;
  if (rest === 0) return { position: null, closed, opened: false };
  const other = open(
    fill.ticker,
    buySide,
    rest,
    legPrice(fill.yesPrice, buySide),
    fill.fee - feeHere,
    ctx,
    atMs,
  );
  return { position: other, closed, opened: true };
}

/** The closed round trip of a position whose contracts reached zero. */
export function roundTrip(p: Position, closedMs: number, reason: ExitReason): RoundTrip {
  // Averages over everything bought and everything sold in the round trip (re-entries included).
  return {
    positionId: p.positionId,
    ticker: p.ticker,
    side: p.side,
    contracts: p.entered,
    avgEntry: p.entered === 0 ? 0 : Math.round(p.enteredCost / p.entered),
    avgExit: p.exited === 0 ? 0 : Math.round(p.exitProceeds / p.exited),
    openedMs: p.openedMs,
    closedMs,
    reason,
    fees: p.fees,
    pnl: p.realizedGross - p.fees,
  };
}

/**
 * A settlement closes what is left at the settlement value on the position's leg ($1 for the
 * winning side, $0 for the losing one; scalar results pay `value` per YES contract).
 */
export function settle(p: Position, yesValue: PriceUnits, fee: number, atMs: number): RoundTrip {
  const price = legPrice(yesValue, p.side);
  const after: Position = {
    ...p,
    contracts: 0,
    cost: 0,
    fees: p.fees + fee,
    realizedGross: p.realizedGross + price * p.contracts - p.cost,
    exitProceeds: p.exitProceeds + price * p.contracts,
    exited: p.exited + p.contracts,
  };
  return roundTrip(after, atMs, "settled");
}

/** Tracks the best and worst bid seen on the position's side while open (excursions). */
export function markBid(p: Position, bid: PriceUnits | null): Position {
  if (bid === null || (bid <= p.bestBid && bid >= p.worstBid)) return p;
  return { ...p, bestBid: Math.max(p.bestBid, bid), worstBid: Math.min(p.worstBid, bid) };
}
