/**
 * Quiet-subscription proofs, pure: which orderbook sids need a proof now, and the command that
 * asks for one. Called by the feed runtime's heartbeat (`market-data.ts`).
 *
 * A quiet market sends no frames, so from the frames alone its book would count as too old after
 * `maxBookAgeMs` though nothing was missed. Kalshi numbers every message of a subscription,
 * `ok` replies included, and re-adding a market the subscription already holds is a no-op that
 * still answers `ok` with the sid's next seq (https://docs.kalshi.com/websockets: commands and sequence numbers). So an `ok` whose seq is
 * exactly lastSeq + 1 proves that no frame on that sid was missed up to the reply: the book store
 * then counts every book on the sid as current. A gap on that reply is an ordinary gap (resync).
 */
import { updateSubscriptionCmd, WsCommandError } from "../../shared/kalshi/ws-messages.ts";

/** One orderbook subscription as the heartbeat sees it. */
export interface QuietSid {
  sid: number;
  /** last frame on the sid (an answered proof included), else when it was subscribed */
  heardMs: number;
  /** markets on the sid that are still wanted; the proof re-adds the first */
  markets: readonly string[];
  /** when the last proof on this sid was sent; null = none on this socket */
  lastProofSentMs: number | null;
  /** a proof on this sid awaits its reply */
  proofInFlight: boolean;
  /** a `get_snapshot` on this sid awaits its reply */
  resyncPending: boolean;
}

export interface ProofRequest {
  sid: number;
  /** a market already on the sid: re-adding it changes nothing */
  ticker: string;
}

/**
 * The sids quiet for at least `quietProofMs` that may be proved now: at most one proof per sid
 * per `quietProofMs`, none while one is in flight or a resync is pending (its snapshots
 * confirm the books anyway), none on a sid with no wanted market to re-add (re-adding one that
 * is being deleted would subscribe it again).
 */
export function proofsDue(sids: readonly QuietSid[], nowMs: number, quietProofMs: number): ProofRequest[] {
  const out: ProofRequest[] = [];
  for (const s of sids) {
    const ticker = s.markets[0];
    if (ticker === undefined || s.proofInFlight || s.resyncPending) continue;
    if (nowMs - s.heardMs < quietProofMs) continue;
    if (s.lastProofSentMs !== null && nowMs - s.lastProofSentMs < quietProofMs) continue;
    out.push({ sid: s.sid, ticker });
  }
  return out;
}

/**
 * The params of `update_subscription {sid, action: "add_markets", market_tickers: [ticker]}`
 * (the session assigns the command id); null when the builder refuses the arguments.
 */
export function proofParams(req: ProofRequest): Record<string, unknown> | null {
  try {
    const c = updateSubscriptionCmd(0, { sid: req.sid, action: "add_markets", marketTickers: [req.ticker] });
    return { ...c.params };
  } catch (err) {
    if (err instanceof WsCommandError) return null;
    throw err;
  }
}
