/**
 * Test helpers for the simulator's servers: an in-process simulator on port 0 with a stepped
 * clock, no background participants and a key pair made for the test; signed REST calls; and a
 * WebSocket client that queues frames so tests await messages instead of sleeping.
 */

import { constants, generateKeyPairSync, sign } from "node:crypto";
import WebSocket from "ws";
import { SimControlClient } from "../control-client.ts";
import type { RunningSimulator, SimulatorOptions } from "./index.ts";
import { startSimulator } from "./index.ts";

export const T0 = Date.UTC(2026, 10, 23, 15, 0, 0);
export const KEY_ID = "test-key-0001";
export const USER_ID = "test-user-0001";

const pair = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
export const PRIVATE_KEY_PEM = pair.privateKey;
export const PUBLIC_KEY_PEM = pair.publicKey;

export interface TestSim {
  sim: RunningSimulator;
  control: SimControlClient;
  /** the auth clock: what the server treats as "now" when checking signatures */
  authNow: { ms: number };
  close(): Promise<void>;
}

export async function startTestSim(opts: SimulatorOptions = {}): Promise<TestSim> {
  const authNow = { ms: T0 };
  const sim = await startSimulator({
    port: 0,
    seed: 7,
    markets: 4,
    stepped: true,
    startMs: T0,
    participants: false,
    keys: [{ keyId: KEY_ID, publicKeyPem: PUBLIC_KEY_PEM, userId: USER_ID }],
    authNowMs: () => authNow.ms,
    ...opts,
  });
  return { sim, control: new SimControlClient(sim.url), authNow, close: () => sim.close() };
}

/** Kalshi's three headers: RSA-PSS SHA-256, salt = digest length, over ts + METHOD + path (no query). */
export function signedHeaders(
  method: string,
  pathWithQuery: string,
  tsMs: number,
  pem = PRIVATE_KEY_PEM,
): Record<string, string> {
  const path = pathWithQuery.split("?")[0] as string;
  const sig = sign("sha256", Buffer.from(`${tsMs}${method}${path}`), {
    key: pem,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  });
  return {
    "KALSHI-ACCESS-KEY": KEY_ID,
    "KALSHI-ACCESS-TIMESTAMP": String(tsMs),
    "KALSHI-ACCESS-SIGNATURE": sig.toString("base64"),
  };
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/** A signed call to `/trade-api/v2` + `path`. */
export async function api(
  t: TestSim,
  method: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<ApiResponse> {
  const full = `/trade-api/v2${path}`;
  const headers: Record<string, string> = { ...signedHeaders(method, full, t.authNow.ms) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${t.sim.url}${full}`, {
    method,
    headers,
    redirect: "manual",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers };
}

export type Frame = Record<string, unknown>;

/** A WebSocket client whose frames are queued; `next()` awaits the next one. */
/**
 * Resolves when `ws` is open; rejects with an Error carrying the HTTP `status` and `body` when the
 * simulator refuses the upgrade (e.g. Kalshi's 401 body), or with the socket error.
 */
export function whenUpgraded(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
            body: text,
          }),
        ),
      );
    });
    ws.once("error", reject);
  });
}

export class WsClient {
  readonly ws: WebSocket;
  private readonly queue: Frame[] = [];
  private waiter: ((f: Frame) => void) | undefined;
  readonly closed: Promise<number>;
  pings = 0;
  private nextId = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        w(f);
      } else this.queue.push(f);
    });
    ws.on("ping", () => {
      this.pings += 1;
    });
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  }

  static open(
    t: TestSim,
    headers = signedHeaders("GET", "/trade-api/ws/v2", t.authNow.ms),
  ): Promise<WsClient> {
    const ws = new WebSocket(t.sim.wsUrl, { headers });
    const c = new WsClient(ws); // listens before the upgrade completes, so no frame is missed
    return whenUpgraded(ws).then(() => c);
  }

  next(): Promise<Frame> {
    const f = this.queue.shift();
    if (f) return Promise.resolve(f);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Sends a command with a fresh id; returns the id. */
  send(cmd: string, params?: Record<string, unknown>): number {
    const id = this.nextId++;
    this.ws.send(JSON.stringify(params === undefined ? { id, cmd } : { id, cmd, params }));
    return id;
  }

  /**
   * Everything the server sent before answering a list_subscriptions sent now. The server
   * answers commands in order, so this is "all frames so far" without sleeping.
   */
  async drain(): Promise<Frame[]> {
    const id = this.send("list_subscriptions");
    const out: Frame[] = [];
    for (;;) {
      const f = await this.next();
      if (f.id === id && f.type === "ok") return out;
      out.push(f);
    }
  }

  close(): void {
    this.ws.close();
  }
}
