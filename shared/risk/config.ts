/**
 * The risk gate's configuration: order bounds, exposure limits and circuit breakers. Parsed
 * once with zod (the config document is a trust boundary), defaults = the seed bot's limits.
 * Units: prices in $0.0001, counts in 1/100 contract, durations in ms, percentages as plain
 * numbers (5 = 5 %). Every field is described in docs/risk.md.
 *
 * Read by `check.ts` (every intent), `state.ts` (the breaker folds) and the strategy's sizing
 * (`sizingLimitsOf`), so the sizing never proposes what the gate would deny.
 */
import { z } from "zod";

const price = (d: number) => z.number().int().min(0).max(10_000).default(d);

/** A trading state a breaker may set when it trips (the feed breaker sets none: it blocks entries). */
export const BreakerAction = z.enum(["reducing", "halted"]);
export type BreakerAction = z.infer<typeof BreakerAction>;

export const PriceBand = z.strictObject({
  /** Lowest order price: $0.01. */
  min: price(100),
  /** Highest order price: $0.99. */
  max: price(9_900),
});
export type PriceBand = z.infer<typeof PriceBand>;

export const ExposureLimits = z.strictObject({
  /** Money at cost in one market (position + working entries), percent of equity: 10 %. */
  maxPositionPct: z.number().gt(0).max(100).default(10),
  /** Money at cost of all positions and working entries, percent of equity: 30 %. */
  maxTotalExposurePct: z.number().gt(0).max(100).default(30),
  /** Markets holding a position or a working entry: 10. */
  maxOpenPositions: z.number().int().min(0).default(10),
});
export type ExposureLimits = z.infer<typeof ExposureLimits>;

export const ApiErrorRateBreaker = z.strictObject({
  /** Trips when errors / requests over the window reach this: 10 %. */
  threshold: z.number().gt(0).max(1).default(0.1),
  /** The sliding window: 5 min (kept in 10 buckets, so it slides in steps of a tenth). */
  windowMs: z
    .number()
    .int()
    .min(1_000)
    .default(5 * 60_000),
  /** ... and only once the window holds at least this many requests: 20. */
  minRequests: z.number().int().min(1).default(20),
});
export type ApiErrorRateBreaker = z.infer<typeof ApiErrorRateBreaker>;

export const BreakerActions = z.strictObject({
  /** Daily loss sets this: halted. */
  dailyLoss: BreakerAction.default("halted"),
  /** Consecutive losing round trips set this: reducing. */
  consecutiveLosses: BreakerAction.default("reducing"),
  /** The API error rate sets this: reducing. */
  apiErrorRate: BreakerAction.default("reducing"),
});
export type BreakerActions = z.infer<typeof BreakerActions>;

export const BreakerConfig = z.strictObject({
  /** Trips when equity falls this far below the start-of-day equity: 5 %. */
  dailyLossPct: z.number().gt(0).max(100).default(5),
  /** Trips after this many losing round trips in a row: 5. */
  consecutiveLosses: z.number().int().min(1).default(5),
  apiErrorRate: ApiErrorRateBreaker.default(ApiErrorRateBreaker.parse({})),
  /** Entries stop after this long without a live feed, and resume by themselves when it is back: 15 s. */
  feedLossMs: z.number().int().min(1).default(15_000),
  actions: BreakerActions.default(BreakerActions.parse({})),
  /** A tripped daily-loss breaker clears by itself at the next trading day (else it waits for a resume). */
  dailyLossClearsAtDayStart: z.boolean().default(false),
});
export type BreakerConfig = z.infer<typeof BreakerConfig>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const RiskConfigFields = z.strictObject({
  priceBand: PriceBand.default(PriceBand.parse({})),
  /** Largest entry, count units: 10 000 contracts (a fat-finger bound; sizing stays below it; exits are bounded by their position). */
  maxOrderCount: z.number().int().min(1).default(1_000_000),
  /** An entry's limit may be at most this far above the live book's best ask: $0 (never above it). */
  maxEntrySlippage: price(0),
  exposure: ExposureLimits.default(ExposureLimits.parse({})),
  breakers: BreakerConfig.default(BreakerConfig.parse({})),
  /** The trading day (daily loss, start-of-day equity) starts at midnight in this IANA time zone. */
  tradingDayTimeZone: z
    .string()
    .refine(isTimeZone, { message: "not an IANA time zone this runtime knows" })
    .default("America/New_York"),
});

/** The whole risk configuration, with the checks across fields. */
export const RiskConfig = RiskConfigFields.superRefine((c, ctx) => {
  if (c.priceBand.min < 1 || c.priceBand.max > 9_999 || c.priceBand.min > c.priceBand.max) {
    ctx.addIssue({
      code: "custom",
      path: ["priceBand"],
      message: `priceBand ${c.priceBand.min}-${c.priceBand.max} must be a range inside 1-9999 ($0 and $1 are never tradable)`,
    });
  }
  if (c.exposure.maxPositionPct > c.exposure.maxTotalExposurePct) {
    ctx.addIssue({
      code: "custom",
      path: ["exposure", "maxPositionPct"],
      message: `maxPositionPct (${c.exposure.maxPositionPct}) must not exceed maxTotalExposurePct (${c.exposure.maxTotalExposurePct})`,
    });
  }
});
export type RiskConfig = z.infer<typeof RiskConfig>;

export const DEFAULT_RISK_CONFIG: RiskConfig = RiskConfig.parse({});
