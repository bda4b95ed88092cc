/**
 * The feed Durable Object: one per Kalshi account. Holds the Kalshi WebSocket,
 * the live books and the strategy/risk state.
 */
import { DurableObject } from "cloudflare:workers";

export class FeedObject extends DurableObject<Env> {
  ping(): string {
    return "pong";
  }
}
