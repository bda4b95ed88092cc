/**
 * Signatures prepared ahead, so signing leaves the order hot path. Kalshi signs the timestamp,
 * the method and the path, never the body (https://docs.kalshi.com/getting_started/api_keys), so
 * the headers of the next `POST /portfolio/events/orders` can be computed before any signal
 * exists. This signer keeps a small pool of them for the paths it is told about; a request for one
 * of those paths takes a prepared signature (each is used once), synchronously (`headersNow`), so
 * the REST client's request leaves without waiting on anything, and the pool is refilled a few
 * milliseconds later in the background. A prepared signature older than `maxAgeMs` is thrown away: Kalshi refuses a
 * timestamp too far from its clock (the window is not published; the simulator allows 30 s, and
 * `npm run probe` measures it against the demo exchange), so the default stays well inside any
 * plausible window. Every other request is signed as before, at send time.
 *
 * Used by the account object around its REST client; `refresh` is called from the heartbeat so
 * the pool never holds stale signatures for long.
 */
import { signedPath } from "./auth.ts";
import type { RequestSigner } from "./rest-client.ts";

export interface PresignOptions {
  /** `METHOD path` pairs to prepare, e.g. `POST /trade-api/v2/portfolio/events/orders`. */
  paths: readonly { method: string; path: string }[];
  /** Prepared signatures per path. Default 2. */
  poolSize?: number;
  /** A prepared signature older than this is discarded. Default 5 000 ms. */
  maxAgeMs?: number;
  /** The pool is topped up this long after a prepared signature is taken. Default 10 ms. */
  refillDelayMs?: number;
  /** Wall clock (Kalshi checks the timestamp against its own). */
  nowMs?: () => number;
}

interface Prepared {
  headers: Record<string, string>;
  signedAtMs: number;
}

export interface PresignStats {
  /** requests served from the pool */
  prepared: number;
  /** requests for a prepared path signed at send time (pool empty or stale) */
  inline: number;
  /** prepared signatures thrown away for age */
  expired: number;
}

export class PresigningSigner implements RequestSigner {
  readonly #inner: RequestSigner;
  readonly #pools = new Map<string, Prepared[]>();
  /** the fill in progress per path: a second caller waits for it instead of starting another */
  readonly #filling = new Map<string, Promise<void>>();
  readonly #poolSize: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #refillDelayMs: number;
  readonly stats: PresignStats = { prepared: 0, inline: 0, expired: 0 };

  constructor(inner: RequestSigner, opts: PresignOptions) {
    this.#inner = inner;
    this.#poolSize = opts.poolSize ?? 2;
    this.#maxAgeMs = opts.maxAgeMs ?? 5_000;
    this.#now = opts.nowMs ?? (() => Date.now());
    this.#refillDelayMs = opts.refillDelayMs ?? 10;
    for (const p of opts.paths) this.#pools.set(key(p.method, p.path), []);
  }

  async headers(method: string, pathOrUrl: string, nowMs: number): Promise<Record<string, string>> {
    const ready = this.headersNow(method, pathOrUrl);
    if (ready !== undefined) return ready;
    const k = key(method, signedPath(pathOrUrl));
    if (this.#pools.has(k)) {
      this.stats.inline++;
      void this.#fill(k);
    }
    return this.#inner.headers(method, pathOrUrl, nowMs);
  }

  /**
   * A prepared signature for this request, taken from the pool, or undefined (not a prepared
   * path, or none fresh). The pool is topped up a little later, not now: signing is CPU the
   * request just taken would otherwise wait behind on its way out.
   */
  headersNow(method: string, pathOrUrl: string): Record<string, string> | undefined {
    const k = key(method, signedPath(pathOrUrl));
    const pool = this.#pools.get(k);
    if (pool === undefined) return undefined;
    this.#dropStale(pool);
    const p = pool.shift();
    if (p === undefined) return undefined;
    this.stats.prepared++;
    setTimeout(() => void this.#fill(k), this.#refillDelayMs);
    return p.headers;
  }

  /** Drops stale signatures and tops every pool up; resolves when they are full. */
  async refresh(): Promise<void> {
    for (const pool of this.#pools.values()) this.#dropStale(pool);
    await Promise.all([...this.#pools.keys()].map((k) => this.#fill(k)));
  }

  /** Prepared signatures ready per path (tests, status). */
  ready(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, pool] of this.#pools) out[k] = pool.length;
    return out;
  }

  #dropStale(pool: Prepared[]): void {
    const now = this.#now();
    while (pool.length > 0 && now - (pool[0] as Prepared).signedAtMs > this.#maxAgeMs) {
      pool.shift();
      this.stats.expired++;
    }
  }

  #fill(k: string): Promise<void> {
    const running = this.#filling.get(k);
    if (running) return running;
    const pool = this.#pools.get(k);
    if (pool === undefined) return Promise.resolve();
    const run = (async () => {
      try {
        const [method, path] = splitKey(k);
        while (pool.length < this.#poolSize) {
          const at = this.#now();
          const headers = await this.#inner.headers(method, path, at);
          pool.push({ headers, signedAtMs: at });
        }
      } catch {
        // A key that cannot sign fails the inline signature too, where the error is reported.
      } finally {
        this.#filling.delete(k);
      }
    })();
    this.#filling.set(k, run);
    return run;
  }
}

function key(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf(" ");
  return [k.slice(0, i), k.slice(i + 1)];
}
