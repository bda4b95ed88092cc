/**
 * The strategy's configuration: entry filters, exits, exit-order aggressiveness, sizing, the
 * edge heuristic and fee assumptions. Parsed once with zod (the config document is a trust
 * boundary); every number the strategy uses comes from here, and the defaults are the seed
 * bot's rules. Units: prices in $0.0001, money in micro-dollars, counts in 1/100 contract,
 * durations in ms. Every field is described in docs/strategy.md.
 *
 * Read by `signal.ts`, `sizing.ts`, `exits.ts` and `decide.ts`; the account object keeps it in
 * its config document and passes it in.
 */
import { z } from "zod";

const price = (d: number) => z.number().int().min(0).max(10_000).default(d);
const money = (d: number) => z.number().int().min(0).default(d);
const durationMs = (d: number) => z.number().int().min(0).default(d);
const unit = (d: number) => z.number().min(0).max(1).default(d);
const HOUR = 60 * 60_000;

export const EntryConfig = z.strictObject({
  /** The favourite's best ask (on its own leg) must be at least this: $0.85. */
  favouriteFloor: price(8_500),
  /** Money resting at the best bid of the side bought (bid x size) must be at least $500. */
  minBestBidMoney: money(500_000_000),
  /** 24 h volume valued at the favourite's ask must be at least $10 000. */
  minVolume24hMoney: money(10_000_000_000),
  /** Ask minus bid of the side bought must be at most $0.02. */
  maxSpread: price(200),
  /** Multivariate (combo) markets are entered only when this is true. */
  allowMultivariate: z.boolean().default(false),
  /**
   * The entry is an immediate-or-cancel buy limited at the best ask plus this (snapped down to
   * the grid). 0 = never pay more than the ask seen. Keep it within the risk gate's
   * `maxEntrySlippage` or every entry is denied.
   */
  entrySlippage: price(0),
});
export type EntryConfig = z.infer<typeof EntryConfig>;

export const ExitConfig = z.strictObject({
  /** `points`: offsets in price units; `relative`: offsets in percent of the entry price. */
  mode: z.enum(["points", "relative"]).default("points"),
  /** Take-profit above the entry in `points` mode: +$0.02. */
  takeProfitPoints: z.number().int().min(1).max(10_000).default(200),
  /** Stop below the entry in `points` mode: -$0.01. */
  stopPoints: z.number().int().min(1).max(10_000).default(100),
  /** Take-profit above the entry in `relative` mode, percent of the entry price: 2 %. */
  takeProfitPct: z.number().gt(0).max(100).default(2),
  /** Stop below the entry in `relative` mode, percent of the entry price: 1 %. */
  stopPct: z.number().gt(0).max(100).default(1),
  /** No entry unless the take-profit price (snapped) is at most $0.99. */
  maxTakeProfitPrice: price(9_900),
  /** A position still open this long after entry is left at the bid: 2 h. Null = no timeout. */
  holdTimeoutMs: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(2 * HOUR),
  /**
   * The pre-close window: no entry once the market closes within it, and a held position is
   * left as soon as it starts: 60 min.
   */
  preCloseWindowMs: durationMs(HOUR),
});
export type ExitConfig = z.infer<typeof ExitConfig>;

/**
 * How hard an immediate-or-cancel exit (stop, timeout, pre-close, deactivation, flatten) leans
 * into the bid. Attempt n (from 0) sells at `bid - min(initialSlippage + n x slippageStep,
 * maxSlippage)`, never below the smallest tradable price. For the order path.
 */
export const ExitOrderConfig = z.strictObject({
  /** First attempt's limit below the best bid: $0 (sell at the bid). */
  initialSlippage: price(0),
  /** Each further attempt goes this much deeper: $0.01. */
  slippageStep: price(100),
  /** Never further below the bid than this: $0.05. */
  maxSlippage: price(500),
  /** After this many exit sells without closing the position, a critical alert; the exit goes on at its widest price. */
  maxAttempts: z.number().int().min(1).max(100).default(5),
});
export type ExitOrderConfig = z.infer<typeof ExitOrderConfig>;

export const SizingConfig = z.strictObject({
  /** Risk budget per trade, percent of equity: 1 %. Risk per contract = stop distance + entry and stop fees. */
  riskPerTradePct: z.number().gt(0).max(100).default(1),
  /** Size in whole contracts (Kalshi accepts 0.01); false sizes in hundredths. */
  wholeContracts: z.boolean().default(true),
  /** Smallest order worth sending, count units: 1 contract. A smaller size skips the entry. */
  minCount: z.number().int().min(1).default(100),
});
export type SizingConfig = z.infer<typeof SizingConfig>;

/** Weights of the confidence components; only their ratios matter. */
export const ConfidenceWeights = z.strictObject({
  /** Top-of-book imbalance on the side bought: bid size / (bid size + ask size). */
  imbalance: z.number().min(0).default(0.35),
  /** Room to the stop: (bid - stop) / (entry - stop), 1 for a zero spread, 0 when the bid is at the stop. */
  spread: z.number().min(0).default(0.2),
  /** Money at the best bid of the side bought, relative to `depthFullMoney`. */
  depth: z.number().min(0).default(0.15),
  /** 24 h volume in money, relative to `volumeFullMoney`. */
  volume: z.number().min(0).default(0.1),
  /** How far the ask sits above the floor, relative to the highest ask that leaves take-profit room. */
  favourite: z.number().min(0).default(0.1),
  /** Time left before the pre-close window, relative to the hold timeout. */
  timeToClose: z.number().min(0).default(0.1),
});
export type ConfidenceWeights = z.infer<typeof ConfidenceWeights>;

/** The edge heuristic (a prior, not fitted): see docs/strategy.md. */
export const EdgeConfig = z.strictObject({
  /** No entry below this confidence score (0-1). */
  minConfidence: unit(0.5),
  /** No entry unless the expected value per contract after fees is strictly above this (micro-dollars). */
  minEvPerContract: z.number().int().default(0),
  /** p(win) at confidence 0: 1/3, the chance of +2 before -1 for a driftless price. */
  pWinAtZero: unit(1 / 3),
  /** p(win) at confidence 1. p(win) is linear in the score between the two. */
  pWinAtOne: unit(0.9),
  weights: ConfidenceWeights.default(ConfidenceWeights.parse({})),
  /** The depth component reaches 1 at this much money at the best bid: $2 000. */
  depthFullMoney: z.number().int().min(1).default(2_000_000_000),
  /** The volume component reaches 1 at this much 24 h volume: $50 000. */
  volumeFullMoney: z.number().int().min(1).default(50_000_000_000),
  /** Expected slippage of a stop exit past the stop price, added to the loss: $0. */
  expectedStopSlippage: price(0),
});
export type EdgeConfig = z.infer<typeof EdgeConfig>;

export const FeeConfig = z.strictObject({
  /**
   * Flat-fee series: the fee per whole contract in micro-dollars, charged to takers and makers
   * alike. Null (the default): the flat fee is unknown and flat series are not entered.
   */
  flatFeePerContract: z.number().int().min(0).nullable().default(null),
  /** The take-profit rests (post-only), so it pays the maker fee; `taker` assumes the worse case. */
  takeProfitRole: z.enum(["maker", "taker"]).default("maker"),
});
export type FeeConfig = z.infer<typeof FeeConfig>;

const StrategyConfigFields = z.strictObject({
  entry: EntryConfig.default(EntryConfig.parse({})),
  exits: ExitConfig.default(ExitConfig.parse({})),
  exitOrders: ExitOrderConfig.default(ExitOrderConfig.parse({})),
  sizing: SizingConfig.default(SizingConfig.parse({})),
  edge: EdgeConfig.default(EdgeConfig.parse({})),
  fees: FeeConfig.default(FeeConfig.parse({})),
});

/** The whole strategy configuration, with the checks across fields. */
export const StrategyConfig = StrategyConfigFields.superRefine((c, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  if (c.edge.pWinAtOne < c.edge.pWinAtZero) {
    issue(
      ["edge", "pWinAtOne"],
      `pWinAtOne (${c.edge.pWinAtOne}) must be at least pWinAtZero (${c.edge.pWinAtZero})`,
    );
  }
  const w = c.edge.weights;
  if (w.imbalance + w.spread + w.depth + w.volume + w.favourite + w.timeToClose <= 0) {
    issue(["edge", "weights"], "at least one confidence weight must be positive");
  }
  if (c.entry.favouriteFloor >= c.exits.maxTakeProfitPrice) {
    issue(
      ["entry", "favouriteFloor"],
      `favouriteFloor (${c.entry.favouriteFloor}) must be below exits.maxTakeProfitPrice (${c.exits.maxTakeProfitPrice})`,
    );
  }
  if (c.exitOrders.initialSlippage > c.exitOrders.maxSlippage) {
    issue(
      ["exitOrders", "initialSlippage"],
      `initialSlippage (${c.exitOrders.initialSlippage}) must not exceed maxSlippage (${c.exitOrders.maxSlippage})`,
    );
  }
});
export type StrategyConfig = z.infer<typeof StrategyConfig>;

export const DEFAULT_STRATEGY_CONFIG: StrategyConfig = StrategyConfig.parse({});
