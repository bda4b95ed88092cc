/**
 * What the feed reports about itself, pure: the `status()` shapes, each book's freshness (what
 * `canEnter` and the cross-check trust), each subscription's silence against its channel's
 * limit, and the same silences as the liveness decision's input. Built by `market-data.ts`
 * from its state with the clock passed in; the account object returns it in its status.
 */
import type { BreakerState } from "./breaker.ts";
import type { ChannelSilenceConfig } from "./feed-config.ts";
import type { ChannelSilence, SocketState } from "./liveness.ts";
import type { ConnectFailure, StoredBook } from "./ports.ts";
import type { LiveSubscriptions } from "./subscriptions.ts";
import { isChannel } from "./subscriptions.ts";

export interface BookStatus {
  ticker: string;
  ageMs: number | null;
  fresh: boolean;
  staleReason: string | null;
}

export interface SubscriptionStatus {
  channel: string;
  sid: number;
  markets: number;
  /** since the last data frame on this sid, `ok` replies aside (or its subscription when none yet) */
  lastFrameAgeMs: number;
  /** the channel's silence limit (feed-config `channelSilenceMs`); null = none */
  silenceLimitMs: number | null;
  /** past its silence limit: being probed or resubscribed */
  silent: boolean;
}

export interface FeedStatus {
  running: boolean;
  socket: SocketState;
  openedAtMs: number | null;
  lastFrameAgeMs: number | null;
  /** since when the feed has been unusable; null while usable */
  downSinceMs: number | null;
  reconnectAttempt: number;
  nextReconnectAtMs: number | null;
  /** the last failed connect, exactly as the exchange answered (status, Kalshi code); null once connected */
  lastConnectFailure: (ConnectFailure & { atMs: number }) | null;
  breaker: BreakerState;
  /** running, breaker closed, socket open and subscriptions in sync */
  feedLive: boolean;
  /** the feed is live and at least one watched book is fresh now (each book says whether it is) */
  entriesAllowed: boolean;
  freshBooks: number;
  wanted: string[];
  subscriptions: SubscriptionStatus[];
  lastFrameAgeByType: Record<string, number>;
  books: BookStatus[];
  counters: Record<string, number>;
}

export interface BookStatusInput {
  ticker: string;
  view: StoredBook | undefined;
  /** last frame (`ok` replies included) on the orderbook sid; undefined = none or no sid */
  sidHeardMs: number | undefined;
  socketOpen: boolean;
  maxBookAgeMs: number;
  nowMs: number;
}

/**
 * A book is fresh when the store says so, it was heard from within `maxBookAgeMs` and the
 * socket is open. Any frame on the book's sid with an unbroken seq proves the book current up
 * to then, so its age counts from the later of its own last update and the sid's last frame.
 */
export function bookStatus(i: BookStatusInput): BookStatus {
  const { ticker, view: v } = i;
  if (!v || v.confirmedAtMs === 0)
    return { ticker, ageMs: null, fresh: false, staleReason: v?.staleReason ?? "no book" };
  const heard = Math.max(v.confirmedAtMs, i.sidHeardMs ?? 0);
  const ageMs = i.nowMs - heard;
  const tooOld = ageMs > i.maxBookAgeMs;
  const open = i.socketOpen;
  return {
    ticker,
    ageMs,
    fresh: v.fresh && !tooOld && open,
    staleReason: v.staleReason ?? (tooOld ? "too old" : open ? null : "disconnected"),
  };
}

/** The channel's silence limit; null for none (or a channel name we do not know). */
export function silenceLimitMs(channel: string, limits: ChannelSilenceConfig): number | null {
  return isChannel(channel) ? limits[channel] : null;
}

/** One row per live subscription; `heardOnSid` gives its last data frame (else its subscription time). */
export function subscriptionStatuses(
  live: LiveSubscriptions,
  heardOnSid: (sid: number) => number,
  limits: ChannelSilenceConfig,
  nowMs: number,
): SubscriptionStatus[] {
  return Object.entries(live).map(([channel, s]) => {
    const limit = silenceLimitMs(channel, limits);
    const ageMs = nowMs - heardOnSid(s.sid);
    return {
      channel,
      sid: s.sid,
      markets: s.markets.length,
      lastFrameAgeMs: ageMs,
      silenceLimitMs: limit,
      silent: limit !== null && ageMs >= limit,
    };
  });
}

/** The live subscriptions that have a silence limit, for the liveness decision. */
export function channelSilences(
  live: LiveSubscriptions,
  heardOnSid: (sid: number) => number,
  limits: ChannelSilenceConfig,
): ChannelSilence[] {
  const out: ChannelSilence[] = [];
  for (const [channel, sub] of Object.entries(live)) {
    const limitMs = silenceLimitMs(channel, limits);
    if (limitMs === null || !sub) continue;
    out.push({ channel, sinceMs: heardOnSid(sub.sid), limitMs });
  }
  return out;
}

/** Age of the last frame of each message type. */
export function frameAgesByType(
  lastFrameByType: Readonly<Record<string, number>>,
  nowMs: number,
): Record<string, number> {
  const ages: Record<string, number> = {};
  for (const [k, v] of Object.entries(lastFrameByType)) ages[k] = nowMs - v;
  return ages;
}
