/**
 * Kalshi's token-bucket rate limits (Kalshi's rate-limits guide): a read and a write bucket per user,
 * refilled continuously; default cost 10 tokens with Kalshi's known exceptions; the write bucket
 * sharded by `exchange_index` (>= 1 bills that shard, 0 the unscoped bucket, auto-routed bills
 * every shard, batches bill the unscoped bucket). Over budget -> 429 `{"error":"too many requests"}`.
 * Time comes from the caller (`nowMs`), so a stepped clock makes it deterministic.
 */

export type Bucket = "read" | "write";

export interface TierLimits {
  tier: string;
  read: { refillRate: number; capacity: number };
  write: { refillRate: number; capacity: number };
}

/** Basic tier: read 200/s with a 2 s bucket, write 100/s with a 1 s bucket. */
export const BASIC_TIER: TierLimits = {
  tier: "basic",
  read: { refillRate: 200, capacity: 400 },
  write: { refillRate: 100, capacity: 100 },
};

export const DEFAULT_COST = 10;
export const SHARDS = [0, 1, 2, 3] as const;

/** Non-default costs, as `/account/endpoint_costs` lists them (paths after /trade-api/v2, `{id}` placeholders). */
export const ENDPOINT_COSTS: readonly { method: string; path: string; cost: number }[] = [
  { method: "DELETE", path: "/portfolio/events/orders/{order_id}", cost: 2 },
  { method: "DELETE", path: "/portfolio/events/orders", cost: 2 },
  { method: "DELETE", path: "/portfolio/events/orders/batched", cost: 2 },
  { method: "POST", path: "/portfolio/events/orders/batched", cost: 10 },
  { method: "GET", path: "/portfolio/orders/{order_id}", cost: 2 },
  { method: "POST", path: "/portfolio/orders", cost: 100 },
  { method: "POST", path: "/portfolio/orders/{order_id}/amend", cost: 100 },
  { method: "POST", path: "/portfolio/orders/{order_id}/decrease", cost: 100 },
  { method: "POST", path: "/portfolio/orders/batched", cost: 100 },
  { method: "DELETE", path: "/portfolio/orders/batched", cost: 20 },
  { method: "DELETE", path: "/portfolio/orders/{order_id}", cost: 20 },
];

/** What one request costs and which buckets it drains (batch costs already multiplied by items). */
export interface Charge {
  bucket: Bucket;
  cost: number;
  /** write only: which shard buckets to bill ("unscoped" = shard 0) */
  shards: number[];
}

export function routeTemplate(path: string): string {
  return path
    .replace(/^(\/portfolio\/events\/orders\/)(?!batched$)[^/]+/, "$1{order_id}")
    .replace(/^(\/portfolio\/orders\/)(?!batched$|queue_positions$)[^/]+/, "$1{order_id}");
}

export function costOf(method: string, path: string): number {
  const t = routeTemplate(path);
  return ENDPOINT_COSTS.find((c) => c.method === method && c.path === t)?.cost ?? DEFAULT_COST;
}

export function isWrite(method: string, path: string): boolean {
  if (method === "GET") return false;
  return path.startsWith("/portfolio/");
}

/** Which write shards a request bills: explicit index >= 1 -> that shard; 0 -> unscoped; auto-routed -> all. */
export function shardsFor(exchangeIndex: number | undefined, autoRouted: boolean, batch: boolean): number[] {
  if (batch) return [0];
  if (exchangeIndex !== undefined && exchangeIndex >= 0) return [exchangeIndex];
  return autoRouted ? [...SHARDS] : [0];
}

class TokenBucket {
  tokens: number;
  lastMs: number;
  readonly rate: number;
  readonly capacity: number;
  constructor(rate: number, capacity: number, nowMs: number) {
    this.rate = rate;
    this.capacity = capacity;
    this.tokens = capacity;
    this.lastMs = nowMs;
  }
  refill(nowMs: number): void {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.rate) / 1000);
      this.lastMs = nowMs;
    }
  }
}

export class RateLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  limits: TierLimits;
  enabled = true;

  constructor(limits: TierLimits = BASIC_TIER) {
    this.limits = limits;
  }

  private bucket(user: string, name: string, nowMs: number): TokenBucket {
    const key = `${user}|${name}`;
    let b = this.buckets.get(key);
    if (!b) {
      const l = name === "read" ? this.limits.read : this.limits.write;
      b = new TokenBucket(l.refillRate, l.capacity, nowMs);
      this.buckets.set(key, b);
    }
    b.refill(nowMs);
    return b;
  }

  /** Takes the charge atomically from every bucket it names, or from none; true if allowed. */
  take(user: string, charge: Charge, nowMs: number): boolean {
    if (!this.enabled) return true;
    const names = charge.bucket === "read" ? ["read"] : charge.shards.map((s) => `write:${s}`);
    const bs = names.map((n) => this.bucket(user, n, nowMs));
    if (bs.some((b) => b.tokens < charge.cost)) return false;
    for (const b of bs) b.tokens -= charge.cost;
    return true;
  }

  reset(): void {
    this.buckets.clear();
  }
}
