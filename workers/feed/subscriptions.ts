/**
 * The subscription registry, pure: what the feed wants (a set of market tickers; the
 * market-scoped channels follow it, the account-wide channels are always on) against what
 * the current socket has confirmed (channel -> sid and markets). `planSubscriptions`
 * returns the commands that close the gap: `subscribe` on a fresh socket (this is the
 * replay after a reconnect), `update_subscription add_markets/delete_markets` when the
 * universe changes, `unsubscribe` when a market channel would become empty.
 * Market data persists `wanted` and keeps the live side in memory (sids die with the socket).
 */

/** Market-scoped channels; `orderbook_delta` always with `use_yes_price` set explicitly. */
export const MARKET_CHANNELS = ["orderbook_delta", "ticker", "trade"] as const;
/** Account-wide or all-market channels (no market filter). */
export const GLOBAL_CHANNELS = [
  "fill",
  "user_orders",
  "market_positions",
  "market_lifecycle_v2",
  "order_group_updates",
] as const;
export type MarketChannel = (typeof MARKET_CHANNELS)[number];
export type GlobalChannel = (typeof GLOBAL_CHANNELS)[number];
export type Channel = MarketChannel | GlobalChannel;
export const ALL_CHANNELS: readonly Channel[] = [...MARKET_CHANNELS, ...GLOBAL_CHANNELS];

/** NO-side levels on the YES scale; Kalshi will flip this default later, so it is never left implicit. */
export const USE_YES_PRICE = true;

export interface LiveSubscription {
  sid: number;
  markets: string[];
}
export type LiveSubscriptions = Partial<Record<Channel, LiveSubscription>>;

export type SubscriptionCommand =
  | { cmd: "subscribe"; channel: Channel; markets: string[]; params: Record<string, unknown> }
  | {
      cmd: "update_subscription";
      channel: MarketChannel;
      action: "add_markets" | "delete_markets";
      markets: string[];
      params: Record<string, unknown>;
    }
  | { cmd: "unsubscribe"; channel: MarketChannel; params: Record<string, unknown> };

export function isMarketChannel(c: string): c is MarketChannel {
  return (MARKET_CHANNELS as readonly string[]).includes(c);
}

export function isChannel(c: string): c is Channel {
  return (ALL_CHANNELS as readonly string[]).includes(c);
}

export function subscribeParams(channel: Channel, markets: readonly string[]): Record<string, unknown> {
  if (!isMarketChannel(channel)) return { channels: [channel] };
  const p: Record<string, unknown> = { channels: [channel], market_tickers: [...markets] };
  if (channel === "orderbook_delta") p.use_yes_price = USE_YES_PRICE;
  return p;
}

/** The commands that make `live` match `wanted`; empty when in sync. */
export function planSubscriptions(wanted: readonly string[], live: LiveSubscriptions): SubscriptionCommand[] {
  const want = [...new Set(wanted)].sort();
  const out: SubscriptionCommand[] = [];
  for (const channel of MARKET_CHANNELS) {
    const cur = live[channel];
    if (!cur) {
      if (want.length > 0) {
        out.push({ cmd: "subscribe", channel, markets: want, params: subscribeParams(channel, want) });
      }
      continue;
    }
    if (want.length === 0) {
      out.push({ cmd: "unsubscribe", channel, params: { sids: [cur.sid] } });
      continue;
    }
    const have = new Set(cur.markets);
    const wantSet = new Set(want);
    const add = want.filter((t) => !have.has(t));
    const del = cur.markets.filter((t) => !wantSet.has(t)).sort();
    if (add.length > 0) {
      out.push({
        cmd: "update_subscription",
        channel,
        action: "add_markets",
        markets: add,
        params: { sids: [cur.sid], action: "add_markets", market_tickers: add },
      });
    }
    if (del.length > 0) {
      out.push({
        cmd: "update_subscription",
        channel,
        action: "delete_markets",
        markets: del,
        params: { sids: [cur.sid], action: "delete_markets", market_tickers: del },
      });
    }
  }
  for (const channel of GLOBAL_CHANNELS) {
    if (!live[channel])
      out.push({ cmd: "subscribe", channel, markets: [], params: subscribeParams(channel, []) });
  }
  return out;
}

/** The live state after a command succeeded; `sid` comes from the `subscribed` reply. */
export function applyConfirmed(
  live: LiveSubscriptions,
  c: SubscriptionCommand,
  sid?: number,
): LiveSubscriptions {
  const next: LiveSubscriptions = { ...live };
  if (c.cmd === "subscribe") {
    if (sid !== undefined) next[c.channel] = { sid, markets: [...c.markets] };
  } else if (c.cmd === "unsubscribe") {
    delete next[c.channel];
  } else {
    const cur = next[c.channel];
    if (!cur) return next;
    const set = new Set(cur.markets);
    for (const t of c.markets) {
      if (c.action === "add_markets") set.add(t);
      else set.delete(t);
    }
    next[c.channel] = { sid: cur.sid, markets: [...set].sort() };
  }
  return next;
}

/** The `get_snapshot` resync request for some markets of the orderbook subscription. */
export function snapshotParams(sid: number, markets: readonly string[]): Record<string, unknown> {
  return { sids: [sid], action: "get_snapshot", market_tickers: [...markets] };
}
