/**
 * The strategy's one decision for one market, pure: enter (with the entry intent and the new
 * position's exit plan), hold, exit (timeout, pre-close, deactivation) or skip, and the
 * explanation behind it: every criterion with value and threshold, the expected value after
 * fees, the confidence components and the sizing numbers. The explanation is plain JSON: the
 * admin API returns it from `GET /api/why/{ticker}`.
 *
 * Called by the account object for each market whose book changed (and on the clock for held
 * positions). The entry intent still goes through the risk gate (`shared/risk/check.ts`); the
 * order path assigns its position id.
 */

import type { CountUnits, ExitPlan, Intent, MoneyMicros, Side } from "../domain.ts";
import { COUNT_SCALE } from "../kalshi/units.ts";
import type { StrategyConfig } from "./config.ts";
import { type ExitSignal, exitPlanFor, exitSignal } from "./exits.ts";
import {
  type ConfidenceBreakdown,
  type Criterion,
  type EntryPrices,
  type EvBreakdown,
  entrySignal,
  type MarketInput,
} from "./signal.ts";
import {
  type AccountView,
  type SizeLimit,
  type SizingLimits,
  type SizingResult,
  sizeEntry,
} from "./sizing.ts";

export type { MarketInput } from "./signal.ts";
export type { AccountView } from "./sizing.ts";

export type Verdict = "enter" | "hold" | "exit" | "skip";

/** The sizing as explained: the count, the cap that bound it and the numbers (null = cap not applying). */
export interface SizingExplanation {
  count: CountUnits;
  limitedBy: SizeLimit;
  numbers: Record<string, number | null>;
}

/** Why the decision is what it is. JSON-serialisable. */
export interface Explanation {
  ticker: string;
  atMs: number;
  verdict: Verdict;
  /** The favourite side, when the book has one. */
  side: Side | null;
  criteria: Criterion[];
  prices?: EntryPrices;
  /** Per whole contract; `orderEv` for the sized order (null when not sized). */
  ev?: EvBreakdown & { orderEv: MoneyMicros | null };
  confidence?: ConfidenceBreakdown;
  sizing?: SizingExplanation;
  /** For a held position: why it is being left, or null while it is kept. */
  exit?: ExitSignal | null;
}

export interface MarketDecision {
  ticker: string;
  verdict: Verdict;
  entry: Intent | null;
  /** The exit plan of the position the entry would open. */
  exitPlan: ExitPlan | null;
  exit: ExitSignal | null;
  explanation: Explanation;
}

function sizingExplanation(s: SizingResult, account: AccountView): SizingExplanation {
  const numbers: Record<string, number | null> = {
    equity: account.equity,
    openPositions: account.openPositions,
    orderGroupRoom: account.orderGroupRoom,
    riskBudget: s.numbers.riskBudget,
    riskPerContract: s.numbers.riskPerContract,
    positionLimitMoney: s.numbers.positionLimitMoney,
    totalExposureLimitMoney: s.numbers.totalExposureLimitMoney,
    totalExposure: s.numbers.totalExposure,
  };
  for (const [name, cap] of Object.entries(s.numbers.caps)) numbers[`cap_${name}`] = cap;
  return { count: s.count, limitedBy: s.limitedBy, numbers };
}

/**
 * Evaluates one market. `limits` are the exposure limits shared with the risk gate
 * (`sizingLimitsOf(riskConfig)`).
 */
export function evaluateMarket(
  input: MarketInput,
  account: AccountView,
  config: StrategyConfig,
  limits: SizingLimits,
): MarketDecision {
  const { market, position, nowMs } = input;
  const signal = entrySignal(input, config);
  const criteria = [...signal.criteria];
  const px = signal.prices;

  let sizing: SizingResult | null = null;
  if (px !== null && px.entry !== null && px.stop !== null && signal.fees !== null) {
    sizing = sizeEntry(
      {
        entry: px.entry,
        stop: px.stop,
        entryFeePerContract: signal.fees.entry,
        stopFeePerContract: signal.fees.stop,
        stopSlippage: config.edge.expectedStopSlippage,
        askSize: px.askSize,
      },
      account,
      config.sizing,
      limits,
    );
  }
  const minCount = config.sizing.minCount;
  criteria.push({
    name: "size",
    pass: sizing !== null && sizing.count >= minCount,
    value: sizing?.count ?? null,
    threshold: minCount,
    detail:
      sizing === null
        ? "not sized: no entry price, stop or fees"
        : `${sizing.count / COUNT_SCALE} contracts, limited by ${sizing.limitedBy}; at least ${minCount / COUNT_SCALE}`,
  });

  let verdict: Verdict;
  let entry: Intent | null = null;
  let exitPlan: ExitPlan | null = null;
  let exit: ExitSignal | null = null;
  if (position !== null) {
    exit = exitSignal({ position, market, book: input.book, config, nowMs });
    verdict = exit === null ? "hold" : "exit";
  } else if (criteria.every((c) => c.pass) && px !== null && px.entry !== null && sizing !== null) {
    verdict = "enter";
    entry = {
      ticker: market.ticker,
      side: px.side,
      action: "buy",
      price: px.entry,
      count: sizing.count,
      purpose: "entry",
      tif: "immediate_or_cancel",
      postOnly: false,
      reduceOnly: false,
      expirationMs: null,
      positionId: null,
      reason: "signal",
    };
    exitPlan = exitPlanFor(px.side, px.entry, market.grid, config, nowMs);
  } else {
    verdict = "skip";
  }

  const explanation: Explanation = {
    ticker: market.ticker,
    atMs: nowMs,
    verdict,
    side: signal.side,
    criteria,
  };
  if (px !== null) explanation.prices = px;
  if (signal.ev !== null) {
    const orderEv = sizing === null ? null : Math.round((signal.ev.ev * sizing.count) / COUNT_SCALE);
    explanation.ev = { ...signal.ev, orderEv };
  }
  if (signal.confidence !== null) explanation.confidence = signal.confidence;
  if (sizing !== null) explanation.sizing = sizingExplanation(sizing, account);
  if (position !== null) explanation.exit = exit;
  return { ticker: market.ticker, verdict, entry, exitPlan, exit, explanation };
}
