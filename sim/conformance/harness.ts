/**
 * Conformance harness: the bot's own Kalshi client (`shared/kalshi`) pointed at an in-process
 * simulator. Starts the simulator like the server tests do (`startTestSim`: port 0, stepped
 * clock, no background participants, a key pair made for the tests) and builds a
 * `KalshiRestClient` with a real `KalshiSigner` and a client-side limiter sized far above the
 * server's (so every 429 comes from the simulator). Signatures and the server's auth check share one injected clock, so no
 * test depends on wall time. Also: a WebSocket recorder that parses every frame with
 * `parseWsMessage` and lets tests await a specific frame with a bounded timeout.
 *
 * Used by the `sim/conformance/*.test.ts` suites only.
 */

import WebSocket from "ws";
import { KalshiSigner, WS_SIGN_PATH } from "../../shared/kalshi/auth.ts";
import type { AccountLimits } from "../../shared/kalshi/rate-limiter.ts";
import { RateLimiter } from "../../shared/kalshi/rate-limiter.ts";
import type { KalshiRestClientOptions, RequestSigner } from "../../shared/kalshi/rest-client.ts";
import { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { CreateOrderV2Request } from "../../shared/kalshi/rest-schemas.ts";
import type { ParsedWsMessage, WsCommand, WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { parseWsMessage } from "../../shared/kalshi/ws-messages.ts";
import type { SimControlClient } from "../control-client.ts";
import type { RunningSimulator, SimulatorOptions } from "../server/index.ts";
import {
  KEY_ID,
  PRIVATE_KEY_PEM,
  PUBLIC_KEY_PEM,
  startTestSim,
  T0,
  USER_ID,
  whenUpgraded,
} from "../server/test-support.ts";

/** The exchange start time, the test key pair and its user: the simulator tests' own. */
export { KEY_ID, PRIVATE_KEY_PEM, PUBLIC_KEY_PEM, T0, USER_ID };

/** Far above any Kalshi tier: the client never paces, so the simulator's buckets decide. */
export const UNLIMITED: AccountLimits = {
  read: { refill_rate: 1_000_000, bucket_capacity: 1_000_000_000 },
  write: { refill_rate: 1_000_000, bucket_capacity: 1_000_000_000 },
};

export interface Conformance {
  sim: RunningSimulator;
  control: SimControlClient;
  signer: KalshiSigner;
  limiter: RateLimiter;
  client: KalshiRestClient;
  /** What both the client's signatures and the server's auth check treat as "now". */
  clock: { ms: number };
  /** Another client on the same simulator (own limiter, signer and options). */
  makeClient(opts?: Partial<KalshiRestClientOptions>): KalshiRestClient;
  close(): Promise<void>;
}

export async function startConformance(
  opts: SimulatorOptions = {},
  clientOpts: Partial<KalshiRestClientOptions> = {},
): Promise<Conformance> {
  const clock = { ms: T0 };
  const { sim, control } = await startTestSim({ markets: 8, authNowMs: () => clock.ms, ...opts });
  const signer = await KalshiSigner.create(KEY_ID, PRIVATE_KEY_PEM);
  // The limiter waits on the shared fake clock: a wait advances it (on a frozen clock the
  // limiter would refuse the request once a 429 has emptied its bucket).
  const makeLimiter = () =>
    new RateLimiter({
      now: () => clock.ms,
      sleep: async (ms) => {
        clock.ms += ms;
      },
      limits: UNLIMITED,
      initial: "full",
    });
  const makeClient = (o: Partial<KalshiRestClientOptions> = {}): KalshiRestClient =>
    new KalshiRestClient({
      baseUrl: sim.apiUrl,
      signer,
      limiter: makeLimiter(),
      nowMs: () => clock.ms,
      // Read retries must not wait on wall time: the simulator's clock is stepped anyway.
      sleep: async () => {},
      random: () => 0.5,
      timeoutMs: 5_000,
      ...o,
    });
  const limiter = makeLimiter();
  const client = makeClient({ limiter, ...clientOpts });
  return {
    sim,
    control,
    signer,
    limiter,
    client,
    clock,
    makeClient,
    close: () => sim.close(),
  };
}

/** A signer that signs honestly, then lets a test corrupt the headers (tampering, other paths). */
export function tamperingSigner(
  inner: RequestSigner,
  tamper: (h: Record<string, string>, method: string, path: string) => Promise<Record<string, string>>,
): RequestSigner {
  return {
    headers: async (method, path, nowMs) => tamper(await inner.headers(method, path, nowMs), method, path),
  };
}

/** Flips every bit of one byte of a base64 signature. */
export function flipSignatureByte(sigB64: string, index = 10): string {
  const sig = Buffer.from(sigB64, "base64");
  sig[index] = (sig[index] as number) ^ 0xff;
  return sig.toString("base64");
}

let cidCounter = 0;
/** A fresh client order id within FIX's alphabet (Kalshi's FIX ClOrdID rules). */
export function newCid(tag = "c"): string {
  cidCounter += 1;
  return `conf-${tag}-${cidCounter}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/** A V2 create body (YES-leg price and count as Kalshi strings). */
export function orderBody(
  ticker: string,
  side: "bid" | "ask",
  price: string,
  count: string,
  extra: Partial<CreateOrderV2Request> = {},
): CreateOrderV2Request & { client_order_id: string } {
  return {
    ticker,
    side,
    price,
    count,
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    client_order_id: newCid(),
    ...extra,
  };
}

/** Unwraps a client result, failing the test with the failure's message. */
export function must<T>(r: { ok: true; value: T } | { ok: false; failure: { message: string } }): T {
  if (!r.ok) throw new Error(`expected ok, got failure: ${r.failure.message}`);
  return r.value;
}

// ---------- WebSocket ----------

export interface RecordedFrame {
  raw: Record<string, unknown>;
  parsed: ParsedWsMessage;
}

/** Rejects after `ms` unless `p` settles first; the timer never keeps the process alive. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

interface Waiter {
  pred: (m: WsMessage) => boolean;
  from: number;
  resolve: (m: WsMessage) => void;
}

/**
 * A WebSocket client that records every frame (raw and as `parseWsMessage` sees it) and
 * resolves `waitFor(pred)` on the first matching validated message, failing after a timeout.
 */
export class WsRecorder {
  readonly ws: WebSocket;
  readonly frames: RecordedFrame[] = [];
  readonly closed: Promise<number>;
  private waiters: Waiter[] = [];
  private nextId = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const raw = JSON.parse(data.toString()) as Record<string, unknown>;
      const parsed = parseWsMessage(raw);
      this.frames.push({ raw, parsed });
      if (parsed.kind !== "message") return;
      const index = this.frames.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (index < w.from || !w.pred(parsed.message)) return true;
        w.resolve(parsed.message);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  }

  /** Opens a socket with the given upgrade headers; rejects with `{status, body}` when refused. */
  static open(url: string, headers: Record<string, string>): Promise<WsRecorder> {
    const ws = new WebSocket(url, { headers });
    const rec = new WsRecorder(ws); // listens before the upgrade completes, so no frame is missed
    return within(
      whenUpgraded(ws).then(() => rec),
      5_000,
      "the WebSocket upgrade",
    );
  }

  /** Opens a socket signed by the bot's signer: `GET /trade-api/ws/v2` at `nowMs`. */
  static async openSigned(url: string, signer: RequestSigner, nowMs: number): Promise<WsRecorder> {
    return WsRecorder.open(url, await signer.headers("GET", WS_SIGN_PATH, nowMs));
  }

  /** A fresh command id for the builders. */
  id(): number {
    return this.nextId++;
  }

  send(cmd: WsCommand): void {
    this.ws.send(JSON.stringify(cmd));
  }

  /**
   * The first validated message matching `pred` received after frame index `from` (by default every
   * already recorded frame counts too). Fails after `ms`.
   */
  waitFor<T extends WsMessage>(
    pred: (m: WsMessage) => m is T,
    what: string,
    opts?: { from?: number; ms?: number },
  ): Promise<T>;
  waitFor(
    pred: (m: WsMessage) => boolean,
    what: string,
    opts?: { from?: number; ms?: number },
  ): Promise<WsMessage>;
  waitFor(
    pred: (m: WsMessage) => boolean,
    what: string,
    opts: { from?: number; ms?: number } = {},
  ): Promise<WsMessage> {
    const from = opts.from ?? 0;
    for (let i = from; i < this.frames.length; i++) {
      const p = (this.frames[i] as RecordedFrame).parsed;
      if (p.kind === "message" && pred(p.message)) return Promise.resolve(p.message);
    }
    return within(
      new Promise<WsMessage>((resolve) => {
        this.waiters.push({ pred, from, resolve });
      }),
      opts.ms ?? 3_000,
      what,
    );
  }

  /** Sends a command and awaits the reply of `replyType` (or an `error`) carrying its id. */
  async request(cmd: WsCommand, replyType: WsMessage["type"] = "ok"): Promise<WsMessage> {
    const from = this.frames.length;
    this.send(cmd);
    return this.waitFor(
      (m) => (m.type === replyType || m.type === "error") && "id" in m && m.id === cmd.id,
      `${replyType} for command ${cmd.id}`,
      { from },
    );
  }

  close(): void {
    this.ws.close();
  }
}
