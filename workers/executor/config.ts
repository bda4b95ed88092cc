/**
 * Configuration of the order path (zod, defaults, every field documented). Part of the account's
 * one config document (`shared/config.ts`), applied live. Durations in ms, counts in 1/100
 * contract.
 */
import { z } from "zod";

const ms = (d: number) => z.number().int().min(0).default(d);

export const ExecutorConfig = z.object({
  /** Kalshi's required self-trade prevention on every V2 create: cancel our incoming order at a cross. */
  selfTradePrevention: z.enum(["taker_at_cross", "maker"]).default("taker_at_cross"),
  /** Good-till-time of a resting take-profit; the exit keeper places a new one when it expires. */
  takeProfitExpiryMs: z
    .number()
    .int()
    .min(60_000)
    .default(60 * 60_000),
  /**
   * Time-in-force values with which exits carry `reduce_only` (the exchange then caps them at the
   * position). Kalshi's sources disagree on which it accepts; immediate-or-cancel is the one both
   * name, so resting take-profits rely on the keeper's own sizing.
   */
  reduceOnlyTifs: z
    .array(z.enum(["immediate_or_cancel", "fill_or_kill", "good_till_canceled"]))
    .default(["immediate_or_cancel"]),
  /** Entries carry `cancel_order_on_pause`, so an exchange pause never leaves one working. */
  cancelEntriesOnPause: z.boolean().default(true),
  orderGroup: z
    .object({
      /** Every order belongs to the shard's order group (the exchange-side cap). */
      enabled: z.boolean().default(true),
      /**
       * The group's contracts limit over Kalshi's rolling window (15 s), in 1/100 contract: a fuse
       * against a runaway loop, set above the bursts the bot's own limits allow (default 10 000
       * contracts: three round trips of the largest position the default risk limits allow on $10 000;
       * raise it with the account, or the fuse halts normal trading).
       */
      contractsLimit: z.number().int().min(100).default(1_000_000),
      /** After the group triggers, reset it after this long so exits can be placed again (entries stay halted). */
      resetAfterMs: ms(20_000),
    })
    .default({ enabled: true, contractsLimit: 1_000_000, resetAfterMs: 20_000 }),
  unknown: z
    .object({
      /** An order whose request is still in flight is left to it this long before it counts as unknown. */
      inFlightGraceMs: ms(15_000),
      /** First wait before resending an unknown order; doubles per resend. */
      resendBaseMs: z.number().int().min(100).default(1_000),
      /** ... up to this: an exit whose answer was lost is tried again at least this often once the exchange answers. */
      resendMaxMs: z.number().int().min(100).default(4_000),
      maxResends: z.number().int().min(0).default(5),
      /** An entry is resent only this soon after it was decided; later it is looked up instead. */
      entryResendWindowMs: ms(10_000),
      /** The order list is trusted to show an order this long after the exchange's data timestamp passed its send. */
      lookupGraceMs: ms(2_000),
    })
    .default({
      inFlightGraceMs: 15_000,
      resendBaseMs: 1_000,
      resendMaxMs: 4_000,
      maxResends: 5,
      entryResendWindowMs: 10_000,
      lookupGraceMs: 2_000,
    }),
  /** While a held market's book is not fresh, its stop is watched on REST order-book reads at most this often. */
  restTopIntervalMs: z.number().int().min(250).default(2_000),
  /** A REST top older than this is not used for the stop. */
  restTopMaxAgeMs: z.number().int().min(500).default(6_000),
  reconcile: z
    .object({
      /** Periodic reconciliation (besides start-up and every reconnect). */
      intervalMs: z.number().int().min(5_000).default(60_000),
      /** Fills are re-read from this long before the last cursor (late-arriving fills). */
      fillsOverlapMs: ms(5 * 60_000),
      /** How far back the first reconciliation reads fills. */
      firstLookbackMs: ms(24 * 3_600_000),
      retryBaseMs: z.number().int().min(100).default(2_000),
      retryMaxMs: z.number().int().min(1_000).default(60_000),
    })
    .default({
      intervalMs: 60_000,
      fillsOverlapMs: 5 * 60_000,
      firstLookbackMs: 24 * 3_600_000,
      retryBaseMs: 2_000,
      retryMaxMs: 60_000,
    }),
  /** A cancel, amend or decrease without an answer is retried after this long. */
  requestRetryMs: z.number().int().min(100).default(2_000),
});
export type ExecutorConfig = z.infer<typeof ExecutorConfig>;

export const DEFAULT_EXECUTOR_CONFIG: ExecutorConfig = ExecutorConfig.parse({});
