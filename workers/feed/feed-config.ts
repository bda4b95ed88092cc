/**
 * Configuration of the market-data module: the universe pre-filter, book freshness, liveness
 * timings, backoff bounds and the disconnect breaker. Parsed once (zod) with defaults;
 * every number the feed uses comes from here. Units: prices in $0.0001, money in
 * micro-dollars, counts in 1/100 contract, durations in ms (shared/kalshi/units.ts).
 */
import { z } from "zod";

export const UniverseConfig = z.object({
  /**
   * Watch a market when its favourite side's REST bid is at least this (0.80): a little below the
   * strategy's entry floor, so markets hovering at the floor stay subscribed and the strategy sees
   * them cross it on the live book.
   */
  minFavouritePrice: z.number().int().min(0).max(10_000).default(8_000),
  /** 24 h volume valued at the favourite's bid: at least $5 000 to be watched. */
  minVolume24h: z.number().int().min(0).default(5_000_000_000),
  /** A market closing within this is not watched (the strategy's pre-close window is inside it). */
  closingWithinMs: z
    .number()
    .int()
    .min(0)
    .default(60 * 60_000),
  /**
   * Multivariate (`KXMVE*`) markets announce their lifecycle on `multivariate_market_lifecycle`,
   * which the feed does not follow; they are left out (and `mve_filter=exclude` asked of REST).
   */
  includeMultivariate: z.boolean().default(false),
  /** Upper bound on watched markets, highest 24 h volume first (positions and orders come on top). */
  maxMarkets: z.number().int().min(1).default(200),
});
export type UniverseConfig = z.infer<typeof UniverseConfig>;

const silence = (ms: number | null) => z.number().int().min(1_000).nullable().default(ms);

/**
 * Per-channel silence limits (ms without a frame on the channel's sid, counted from its
 * subscription): past it the feed probes the socket, and if the probe is answered (the socket
 * is alive) resubscribes that channel; an unanswered probe reconnects. `null` = no limit, for
 * channels that are legitimately quiet for long (lifecycle events, our own fills and orders).
 * `orderbook_delta` counts every data frame on its sid (deltas, snapshots), not `ok` replies:
 * those answer our own commands (quiet-sid proofs among them) and say nothing about whether the
 * channel still streams.
 */
export const ChannelSilenceConfig = z.object({
  orderbook_delta: silence(60_000),
  ticker: silence(120_000),
  trade: silence(null),
  fill: silence(null),
  user_orders: silence(null),
  market_positions: silence(null),
  market_lifecycle_v2: silence(null),
  order_group_updates: silence(null),
});
export type ChannelSilenceConfig = z.infer<typeof ChannelSilenceConfig>;

/** The fields; `FeedConfig` adds the checks across them. */
const FeedConfigFields = z.object({
  universe: UniverseConfig.default(UniverseConfig.parse({})),
  /** A book whose stream has said nothing for this long is not fresh. */
  maxBookAgeMs: z.number().int().min(1).default(10_000),
  /**
   * An orderbook sid quiet this long gets a proof (quiet-proof.ts): re-adding one of its markets
   * answers `ok` with the sid's next seq, which confirms all its books. The proof goes out on the
   * first heartbeat past this, so a quiet book waits up to `quietProofMs + heartbeatMs`: 4 s + 5 s
   * keeps it under `maxBookAgeMs`. Must be below `maxBookAgeMs`.
   */
  quietProofMs: z.number().int().min(100).default(4_000),
  /** Alarm period; the issue caps it at 30 s. */
  heartbeatMs: z.number().int().min(100).max(30_000).default(5_000),
  /** After this much silence the feed sends a cheap probe command (list_subscriptions). */
  probeAfterMs: z.number().int().min(1).default(10_000),
  /** A socket silent this long (probe unanswered included) is reconnected. */
  silentReconnectMs: z.number().int().min(1).default(20_000),
  /** Silent or down this long trips the disconnect breaker (entries stop). */
  breakerMs: z.number().int().min(1).default(15_000),
  backoffBaseMs: z.number().int().min(1).default(1_000),
  backoffMaxMs: z.number().int().min(1).default(30_000),
  /** Jitter as a fraction of the current step, added on top (never below the step). */
  backoffJitter: z.number().min(0).max(1).default(0.2),
  channelSilenceMs: ChannelSilenceConfig.default(ChannelSilenceConfig.parse({})),
  /** The heartbeat asks again for the snapshot of a book stale this long (one get_snapshot per sid). */
  staleResnapshotMs: z.number().int().min(1_000).default(10_000),
  /** Those requests back off per market, doubling from `staleResnapshotMs` up to this. */
  staleResnapshotMaxMs: z
    .number()
    .int()
    .min(1_000)
    .default(5 * 60_000),
  /** Reply deadline for every command sent on the socket. */
  commandTimeoutMs: z.number().int().min(1).default(5_000),
  universeRefreshMs: z
    .number()
    .int()
    .min(1_000)
    .default(5 * 60_000),
  /** Streamed-versus-REST top-of-book cross-check period and sample size. */
  crossCheckMs: z
    .number()
    .int()
    .min(1_000)
    .default(3 * 60_000),
  crossCheckSample: z.number().int().min(0).default(3),
  /** Log at most one sample per kind of bad input. */
  logSamples: z.boolean().default(true),
});

export const FeedConfig = FeedConfigFields.superRefine((c, ctx) => {
  if (c.quietProofMs >= c.maxBookAgeMs)
    ctx.addIssue({
      code: "custom",
      path: ["quietProofMs"],
      message: `quietProofMs (${c.quietProofMs}) must be below maxBookAgeMs (${c.maxBookAgeMs})`,
    });
});
export type FeedConfig = z.infer<typeof FeedConfig>;

export const DEFAULT_FEED_CONFIG: FeedConfig = FeedConfig.parse({});
