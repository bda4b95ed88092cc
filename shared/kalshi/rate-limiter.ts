/**
 * Client-side mirror of Kalshi's token buckets (Kalshi's rate-limits guide), so the bot never sends a
 * request the exchange would answer with 429 (which carries no Retry-After and costs a round trip).
 *
 * Buckets refilled continuously: `read` (GETs and anything not routed to write) and `write`
 * (order placement, amends, cancels, order groups, RFQ quotes), the latter once per shard: a write
 * that names `exchange_index` >= 1 bills that shard's bucket (`bucketFor(..., shard)`). Each request costs tokens
 * (`costOf`): 10 by default, 2 for a V2 cancel or `GET /portfolio/orders/{id}`, per order for
 * batches, or whatever `GET /account/endpoint_costs` says. Sizes come from `GET /account/limits`
 * (`configure`), Basic tier until then.
 *
 * Within a bucket, waiters are served strictly by priority (cancel > reduce > open > read), then
 * FIFO; `tryAcquire` never jumps a waiter of equal or higher priority. A cost above the bucket's
 * capacity is refused at once (it could never be afforded; Kalshi rejects such a batch whole).
 *
 * Pure apart from the injected `now` and `sleep`; used by the REST client for every request.
 * The wait is computed from the token deficit, never polled; if `sleep` keeps returning without
 * `now` moving (a frozen or misbehaving injected clock), the waiters are refused after
 * `MAX_STALLED_WAKEUPS` wake-ups instead of spinning forever.
 */

/**
 * `read`, `write` (the unscoped write bucket: shard 0, batches) or `write:<n>`: Kalshi bills a
 * single create, cancel, amend or decrease with `exchange_index` n >= 1 to that shard's own write
 * bucket, of the same size as the unscoped one (Kalshi's rate-limits guide).
 */
export type BucketName = "read" | "write" | `write:${number}`;
export type Priority = "cancel" | "reduce" | "open" | "read";

/** Lower rank is served first. */
const PRIORITY_RANK: Record<Priority, number> = { cancel: 0, reduce: 1, open: 2, read: 3 };

export interface BucketLimit {
  refill_rate: number;
  bucket_capacity: number;
}

/** The part of `GET /account/limits` the limiter needs. */
export interface AccountLimits {
  read: BucketLimit;
  write: BucketLimit;
}

export interface EndpointCost {
  method: string;
  path: string;
  cost: number;
}

/** `GET /account/endpoint_costs`. */
export interface EndpointCosts {
  default_cost: number;
  endpoint_costs: EndpointCost[];
}

export const DEFAULT_COST = 10;

/**
 * Consecutive wake-ups from `sleep` without `now()` moving forward before the waiters of a bucket
 * are refused. A real timer may fire a millisecond early once; a clock that never moves would
 * otherwise turn the pump into a microtask loop that starves the event loop.
 */
export const MAX_STALLED_WAKEUPS = 5;

/** Basic tier (Kalshi's rate-limits guide): read 200/s holding 2 s; write 100/s holding 1 s. */
export const BASIC_LIMITS: AccountLimits = {
  read: { refill_rate: 200, bucket_capacity: 400 },
  write: { refill_rate: 100, bucket_capacity: 100 },
};

/**
 * Costs Kalshi documents (Kalshi's endpoint notes and rate-limits guide), used until `/account/endpoint_costs` answers.
 * Batch entries are per order. Cancel-all is billed like one cancel (secondary source; §0).
 */
export const KNOWN_ENDPOINT_COSTS: EndpointCosts = {
  default_cost: DEFAULT_COST,
  endpoint_costs: [
    { method: "DELETE", path: "/portfolio/events/orders/{order_id}", cost: 2 },
    { method: "DELETE", path: "/portfolio/events/orders/batched", cost: 2 },
    { method: "DELETE", path: "/portfolio/events/orders", cost: 2 },
    { method: "POST", path: "/portfolio/events/orders/batched", cost: 10 },
    { method: "GET", path: "/portfolio/orders/{order_id}", cost: 2 },
  ],
};

/**
 * Literal path segments that sit where a template has a parameter (`/portfolio/orders/queue_positions`
 * vs `/portfolio/orders/{order_id}`). A parameter never matches one of them, so a sibling route
 * is not billed at the cheap single-object price.
 */
const RESERVED_SEGMENTS = new Set(["batched", "queue_positions", "orderbooks", "trades"]);

const API_PREFIX = "/trade-api/v2";

/** `/trade-api/v2/markets/X/?a=1` -> `/markets/X`. */
export function normalizePath(pathOrUrl: string): string {
  let p = pathOrUrl;
  const scheme = p.indexOf("://");
  if (scheme !== -1) {
    const slash = p.indexOf("/", scheme + 3);
    p = slash === -1 ? "/" : p.slice(slash);
  }
  const q = p.search(/[?#]/);
  if (q !== -1) p = p.slice(0, q);
  if (p.startsWith(API_PREFIX)) p = p.slice(API_PREFIX.length);
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return p === "" ? "/" : p;
}

function isParam(seg: string): boolean {
  return (seg.startsWith("{") && seg.endsWith("}")) || seg.startsWith(":");
}

interface CompiledCost {
  method: string;
  segments: string[];
  params: number;
  cost: number;
}

function compile(costs: EndpointCosts): CompiledCost[] {
  return costs.endpoint_costs.map((c) => {
    const segments = normalizePath(c.path).split("/");
    return {
      method: c.method.toUpperCase(),
      segments,
      params: segments.filter(isParam).length,
      cost: c.cost,
    };
  });
}

function matches(entry: CompiledCost, method: string, segments: string[]): boolean {
  if (entry.method !== method || entry.segments.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const t = entry.segments[i] as string;
    const s = segments[i] as string;
    if (isParam(t)) {
      if (s === "" || RESERVED_SEGMENTS.has(s)) return false;
    } else if (t !== s) return false;
  }
  return true;
}

/** Batch endpoints bill per order. */
export function isBatchPath(path: string): boolean {
  return normalizePath(path).endsWith("/batched");
}

/**
 * Which bucket a request draws from. Writes are mutations of the portfolio (orders, order
 * groups, transfers) and of the RFQ/quote flow; every GET, and everything else, is a read.
 */
export function bucketFor(method: string, pathOrUrl: string, exchangeIndex?: number): BucketName {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return "read";
  const p = normalizePath(pathOrUrl);
  if (!(p.startsWith("/portfolio/") || p.startsWith("/communications/"))) return "read";
  // Batches always bill the unscoped bucket; a single write on shard n >= 1 bills shard n's.
  if (exchangeIndex !== undefined && Number.isInteger(exchangeIndex) && exchangeIndex >= 1 && !isBatchPath(p))
    return `write:${exchangeIndex}`;
  return "write";
}

interface Bucket {
  rate: number; // tokens per second
  capacity: number;
  tokens: number;
  lastMs: number;
  waiters: Waiter[];
  /** Bumped on every enqueue; a pump loop that wakes with an older generation exits. */
  pumpGen: number;
}

/**
 * Refill adds fractions (0.1 token per ms at 100/s); their float sum drifts a hair below the
 * exact value (100 x 0.1 = 9.999...), which would cost a spurious extra millisecond.
 */
const TOKEN_EPSILON = 1e-9;

function affords(b: Bucket, cost: number): boolean {
  return b.tokens + TOKEN_EPSILON >= cost;
}

function take(b: Bucket, cost: number): void {
  b.tokens = Math.max(0, b.tokens - cost);
}

interface Waiter {
  cost: number;
  rank: number;
  seq: number;
  enqueuedMs: number;
  resolve: (r: AcquireResult) => void;
}

export type AcquireResult = { ok: true; waitedMs: number } | { ok: false; error: string };

export interface RateLimiterOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  limits?: AccountLimits;
  costs?: EndpointCosts;
  /**
   * Starting level of both buckets. Default "empty": after a restart we do not know how much of
   * Kalshi's bucket the previous instance spent, and an empty start costs at most a second.
   */
  initial?: "full" | "empty";
}

export class RateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly buckets = new Map<BucketName, Bucket>();
  private readonly make: (l: BucketLimit) => Bucket;
  private writeLimit: BucketLimit;
  private defaultCost = DEFAULT_COST;
  private costTable: CompiledCost[] = [];
  private seq = 0;

  constructor(opts: RateLimiterOptions) {
    this.now = opts.now;
    this.sleep = opts.sleep;
    const limits = opts.limits ?? BASIC_LIMITS;
    const t = this.now();
    const full = opts.initial === "full";
    this.make = (l: BucketLimit): Bucket => ({
      rate: l.refill_rate,
      capacity: l.bucket_capacity,
      tokens: full ? l.bucket_capacity : 0,
      lastMs: t,
      waiters: [],
      pumpGen: 0,
    });
    this.writeLimit = limits.write;
    this.buckets.set("read", this.make(limits.read));
    this.buckets.set("write", this.make(limits.write));
    this.setCosts(opts.costs ?? KNOWN_ENDPOINT_COSTS);
  }

  /**
   * Resizes the buckets from `GET /account/limits` and replaces the cost table with
   * `GET /account/endpoint_costs` (which lists every non-default cost, so it replaces the
   * documented table outright). Either may be null when its endpoint did not answer.
   * Current tokens are kept, capped at the new capacity.
   */
  configure(limits: AccountLimits | null, costs: EndpointCosts | null): void {
    const nowMs = this.now();
    if (limits !== null) {
      if (limits.write.refill_rate > 0 && limits.write.bucket_capacity > 0) this.writeLimit = limits.write;
      for (const [name, b] of this.buckets) {
        this.refill(b, nowMs);
        const l = name === "read" ? limits.read : limits.write;
        if (l.refill_rate > 0 && l.bucket_capacity > 0) {
          b.rate = l.refill_rate;
          b.capacity = l.bucket_capacity;
          b.tokens = Math.min(b.tokens, b.capacity);
        }
      }
    }
    if (costs !== null) this.setCosts(costs);
    for (const b of this.buckets.values()) this.schedule(b);
  }

  /** The bucket by name; a shard's write bucket is made on first use, sized like the unscoped one. */
  private bucket(name: BucketName): Bucket {
    let b = this.buckets.get(name);
    if (b === undefined) {
      b = this.make(this.writeLimit);
      this.buckets.set(name, b);
    }
    return b;
  }

  private setCosts(costs: EndpointCosts): void {
    this.defaultCost = costs.default_cost > 0 ? costs.default_cost : DEFAULT_COST;
    this.costTable = compile(costs);
  }

  /**
   * Tokens a request costs. `items` is the number of orders in a batch (batch endpoints bill per
   * order). A literal route wins over a template (`/orders/batched` over `/orders/{order_id}`).
   */
  costOf(method: string, pathOrUrl: string, items = 1): number {
    const m = method.toUpperCase();
    const segments = normalizePath(pathOrUrl).split("/");
    let best: CompiledCost | undefined;
    for (const e of this.costTable) {
      if (matches(e, m, segments) && (best === undefined || e.params < best.params)) best = e;
    }
    const unit = best?.cost ?? this.defaultCost;
    return isBatchPath(pathOrUrl) ? unit * Math.max(1, items) : unit;
  }

  capacity(bucket: BucketName): number {
    return this.bucket(bucket).capacity;
  }

  /** Tokens available now (refilled to `nowMs`). For status pages and tests. */
  available(bucket: BucketName, nowMs: number): number {
    const b = this.bucket(bucket);
    this.refill(b, nowMs);
    return b.tokens;
  }

  waiting(bucket: BucketName): number {
    return this.bucket(bucket).waiters.length;
  }

  private refill(b: Bucket, nowMs: number): void {
    if (nowMs > b.lastMs) {
      b.tokens = Math.min(b.capacity, b.tokens + (b.rate * (nowMs - b.lastMs)) / 1000);
      b.lastMs = nowMs;
    }
  }

  /**
   * Takes `cost` tokens now if the bucket holds them and no waiter of equal or higher priority
   * is queued; otherwise takes nothing and returns false.
   */
  tryAcquire(bucket: BucketName, cost: number, priority: Priority, nowMs: number): boolean {
    const b = this.bucket(bucket);
    if (cost > b.capacity) return false;
    const rank = PRIORITY_RANK[priority];
    if (b.waiters.some((w) => w.rank <= rank)) return false;
    this.refill(b, nowMs);
    if (!affords(b, cost)) return false;
    take(b, cost);
    return true;
  }

  /** `tryAcquire` on the limiter's own clock: true when `cost` was taken now, without waiting. */
  takeNow(bucket: BucketName, cost: number, priority: Priority): boolean {
    if (!(cost > 0)) return true;
    return this.tryAcquire(bucket, cost, priority, this.now());
  }

  /**
   * Waits until the bucket can afford `cost` and takes it, serving waiters strictly by priority
   * then arrival. Resolves `{ ok: false }` at once when `cost` exceeds the bucket's capacity.
   */
  acquire(bucket: BucketName, cost: number, priority: Priority): Promise<AcquireResult> {
    const b = this.bucket(bucket);
    if (!(cost > 0)) return Promise.resolve({ ok: true, waitedMs: 0 });
    if (cost > b.capacity) {
      return Promise.resolve({
        ok: false,
        error: `request costs ${cost} tokens but the ${bucket} bucket holds at most ${b.capacity}; it can never be sent`,
      });
    }
    const nowMs = this.now();
    if (this.tryAcquire(bucket, cost, priority, nowMs)) return Promise.resolve({ ok: true, waitedMs: 0 });
    return new Promise<AcquireResult>((resolve) => {
      const w: Waiter = { cost, rank: PRIORITY_RANK[priority], seq: this.seq++, enqueuedMs: nowMs, resolve };
      // Insert keeping (rank, seq) order.
      let i = b.waiters.length;
      while (i > 0 && (b.waiters[i - 1] as Waiter).rank > w.rank) i--;
      b.waiters.splice(i, 0, w);
      this.schedule(b);
    });
  }

  /**
   * Kalshi answered 429 although we thought we had budget (another client on the same key, a
   * restart, clock drift): empty the bucket so the next requests wait a full refill.
   */
  onRateLimited(bucket: BucketName, nowMs: number): void {
    const b = this.bucket(bucket);
    this.refill(b, nowMs);
    b.tokens = 0;
    b.lastMs = Math.max(b.lastMs, nowMs);
  }

  private schedule(b: Bucket): void {
    if (b.waiters.length === 0) return;
    b.pumpGen++;
    void this.pump(b, b.pumpGen);
  }

  private async pump(b: Bucket, gen: number): Promise<void> {
    let stalled = 0;
    while (gen === b.pumpGen) {
      const head = b.waiters[0];
      if (head === undefined) return;
      if (head.cost > b.capacity) {
        // The bucket shrank under a waiter (configure): refuse it rather than wait forever.
        b.waiters.shift();
        head.resolve({
          ok: false,
          error: `request costs ${head.cost} tokens but the bucket now holds ${b.capacity}`,
        });
        continue;
      }
      const nowMs = this.now();
      this.refill(b, nowMs);
      if (affords(b, head.cost)) {
        take(b, head.cost);
        b.waiters.shift();
        head.resolve({ ok: true, waitedMs: nowMs - head.enqueuedMs });
        continue;
      }
      if (!(b.rate > 0)) {
        this.refuseAll(
          b,
          `the bucket does not refill (rate ${b.rate}/s); ${head.cost} tokens can never be had`,
        );
        return;
      }
      const waitMs = Math.max(1, Math.ceil(((head.cost - b.tokens) * 1000) / b.rate));
      await this.sleep(waitMs);
      if (this.now() > nowMs) {
        stalled = 0;
      } else if (++stalled >= MAX_STALLED_WAKEUPS && gen === b.pumpGen) {
        this.refuseAll(
          b,
          `the clock did not advance across ${stalled} waits of ${waitMs} ms; refusing rather than spinning`,
        );
        return;
      }
    }
  }

  /** Resolves every waiter of the bucket with `{ ok: false }` (they could not be served). */
  private refuseAll(b: Bucket, error: string): void {
    const waiters = b.waiters.splice(0);
    b.pumpGen++;
    for (const w of waiters) w.resolve({ ok: false, error });
  }
}
