/**
 * Entry sizing, pure: the 1 % risk rule inside the exposure limits. The count is the largest
 * that keeps every cap:
 *
 * - risk: floor(riskBudget / riskPerContract), riskBudget = riskPerTradePct of equity,
 *   riskPerContract = (entry - stop + expected stop slippage) x 1 contract + the entry and stop
 *   fees of one contract (each rounded up on its own, so never below the true share);
 * - position limit: maxPositionPct of equity at the entry price;
 * - total exposure: maxTotalExposurePct of equity, less the exposure already held or working;
 * - open positions: 0 at or above maxOpenPositions;
 * - the size resting at the best ask (an IOC cannot fill more at that price);
 * - the order group's remaining contracts;
 * - the risk gate's largest order.
 *
 * Counts are hundredths of a contract; with `wholeContracts` (the default) the result is rounded
 * down to whole contracts. The result names the cap that bound it and every number, for the
 * explanation. Called by `decide.ts`; the exposure limits come from the risk configuration so
 * the sizing and the gate never disagree (`sizingLimitsOf`).
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../domain.ts";
import { COUNT_SCALE } from "../kalshi/units.ts";
import type { RiskConfig } from "../risk/config.ts";
import type { SizingConfig } from "./config.ts";

/** The limits the sizing shares with the risk gate. */
export interface SizingLimits {
  /** Money at cost in one market, percent of equity. */
  maxPositionPct: number;
  /** Money at cost of all positions and working entries, percent of equity. */
  maxTotalExposurePct: number;
  /** Markets with a position or a working entry. */
  maxOpenPositions: number;
  /** Largest single order, count units. */
  maxOrderCount: CountUnits;
}

/** The sizing limits of a risk configuration. */
export function sizingLimitsOf(risk: RiskConfig): SizingLimits {
  return {
    maxPositionPct: risk.exposure.maxPositionPct,
    maxTotalExposurePct: risk.exposure.maxTotalExposurePct,
    maxOpenPositions: risk.exposure.maxOpenPositions,
    maxOrderCount: risk.maxOrderCount,
  };
}

/** The account as the sizing sees it. */
export interface AccountView {
  /** Balance plus open positions marked at the best bid (micro-dollars). */
  equity: MoneyMicros;
  /** Markets with a position or a working entry order. */
  openPositions: number;
  /** Money at cost of open positions plus working entry orders (price x open count). */
  totalExposure: MoneyMicros;
  /** Contracts the order group can still take in its window (count units). */
  orderGroupRoom: CountUnits;
}

export interface SizingInput {
  entry: PriceUnits;
  stop: PriceUnits;
  /** Fees of one whole contract, micro-dollars. */
  entryFeePerContract: MoneyMicros;
  stopFeePerContract: MoneyMicros;
  /** Expected fill below the stop, price units (the edge config's `expectedStopSlippage`). */
  stopSlippage: PriceUnits;
  /** Size resting at the best ask of the side bought. */
  askSize: CountUnits;
}

/** The caps, in the order they are reported; ties name the first. */
export const SIZE_LIMITS = [
  "risk",
  "position_limit",
  "total_exposure",
  "open_positions",
  "ask_size",
  "order_group",
  "max_order_count",
] as const;
export type SizeLimit = (typeof SIZE_LIMITS)[number];

export interface SizingResult {
  /** Count units, rounded to whole contracts when configured; may be below `minCount`. */
  count: CountUnits;
  /** The cap that bound the count. */
  limitedBy: SizeLimit;
  /** Each cap in count units (null = does not apply) and the money behind them. */
  numbers: {
    riskBudget: MoneyMicros;
    riskPerContract: MoneyMicros;
    positionLimitMoney: MoneyMicros;
    totalExposureLimitMoney: MoneyMicros;
    totalExposure: MoneyMicros;
    caps: Record<SizeLimit, CountUnits | null>;
  };
}

function pctOf(equity: MoneyMicros, pct: number): MoneyMicros {
  return equity <= 0 ? 0 : Math.floor((equity * pct) / 100);
}

/** Sizes one entry. */
export function sizeEntry(
  input: SizingInput,
  account: AccountView,
  config: SizingConfig,
  limits: SizingLimits,
): SizingResult {
  const riskBudget = pctOf(account.equity, config.riskPerTradePct);
  const riskPerContract =
    Math.max(0, input.entry - input.stop + input.stopSlippage) * COUNT_SCALE +
    input.entryFeePerContract +
    input.stopFeePerContract;
  const positionLimitMoney = pctOf(account.equity, limits.maxPositionPct);
  const totalExposureLimitMoney = pctOf(account.equity, limits.maxTotalExposurePct);
  const atEntry = (money: MoneyMicros): CountUnits =>
    input.entry > 0 ? Math.max(0, Math.floor(money / input.entry)) : 0;

  const caps: Record<SizeLimit, CountUnits | null> = {
    // riskBudget / riskPerContract contracts = riskBudget x 100 / riskPerContract count units
    risk: riskPerContract > 0 ? Math.floor((riskBudget * COUNT_SCALE) / riskPerContract) : null,
    position_limit: atEntry(positionLimitMoney),
    total_exposure: atEntry(totalExposureLimitMoney - account.totalExposure),
    open_positions: account.openPositions >= limits.maxOpenPositions ? 0 : null,
    ask_size: Math.max(0, input.askSize),
    order_group: Math.max(0, account.orderGroupRoom),
    max_order_count: Math.max(0, limits.maxOrderCount),
  };

  let limitedBy: SizeLimit = "risk";
  let raw = Number.POSITIVE_INFINITY;
  for (const name of SIZE_LIMITS) {
    const cap = caps[name];
    if (cap !== null && cap < raw) {
      raw = cap;
      limitedBy = name;
    }
  }
  if (!Number.isFinite(raw)) raw = 0;
  const count = config.wholeContracts ? Math.floor(raw / COUNT_SCALE) * COUNT_SCALE : raw;
  return {
    count,
    limitedBy,
    numbers: {
      riskBudget,
      riskPerContract,
      positionLimitMoney,
      totalExposureLimitMoney,
      totalExposure: account.totalExposure,
      caps,
    },
  };
}
