/**
 * The simulator's HTTP shell: one `node:http` server on loopback serving Kalshi's REST API
 * (`/trade-api/v2`), its WebSocket (`/trade-api/ws/v2`) and the control API (`/_sim/`).
 * Order of checks on a Kalshi request, as a trader would meet them: trailing-slash redirect,
 * injected faults, signature, rate limit, then the handler. `startSimulator` is what
 * `sim/main.ts` and the tests call (tests on port 0 with a stepped clock).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { readSimTestKeys } from "../keys/index.ts";
import { createCoreExchange } from "./adapt-exchange.ts";
import type { RegisteredKey } from "./auth.ts";
import { authErrorBody, hasAuthHeaders, KeyRegistry } from "./auth.ts";
import { createClock } from "./clock.ts";
import type { SimContext } from "./control.ts";
import { CONTROL_PREFIX, handleControl } from "./control.ts";
import type { ExchangePort } from "./exchange-port.ts";
import { emptyFaults, Inspection, pickFailure, seededRandom } from "./faults.ts";
import type { Charge, TierLimits } from "./rate-limit.ts";
import { BASIC_TIER, costOf, isWrite, RateLimits, shardsFor } from "./rate-limit.ts";
import type { Reply, RestState } from "./rest.ts";
import { API_PREFIX, errorBody, handleRest, routeNeedsAuth, unparseableBody } from "./rest.ts";
import { WS_PATH, WsHub } from "./ws.ts";

/** The user the committed test key (sim/keys, `sim-test-key-0001`) trades as. */
export const TEST_USER_ID = "5f0c1a2e-7b3d-4c8e-9a61-000000000001";

export interface ExchangeFactoryOptions {
  seed: number;
  markets: number;
  /** the server clock */
  nowMs: () => number;
  participants: boolean;
  /** favourites' news jumps: 1 default, 0 none */
  volatility: number;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  markets?: number;
  speed?: number;
  stepped?: boolean;
  /** exchange time at start; defaults to the wall clock */
  startMs?: number;
  /** keys to accept; defaults to the committed test key (sim/keys) for TEST_USER_ID */
  keys?: RegisteredKey[];
  /** the clock signatures are checked against (default Date.now: clients sign with wall time) */
  authNowMs?: () => number;
  maxSkewMs?: number;
  limits?: TierLimits;
  rateLimits?: boolean;
  pingIntervalMs?: number;
  /** run the core's simulated market makers and noise traders (default true; tests turn them off) */
  participants?: boolean;
  /**
   * How often favourites get news jumps of 2.5 to 4 c (default 1: one every 30 s on average;
   * 2 twice as often; 0 none, the quiet random walk alone).
   */
  volatility?: number;
  exchange?: (o: ExchangeFactoryOptions) => ExchangePort;
  /**
   * Measurement hooks, on the simulator's own monotonic clock (`process.hrtime`): each WebSocket
   * frame as it is sent, each Kalshi REST request once its body has arrived. `npm run bench`
   * times tick-to-order with them.
   */
  trace?: SimTrace;
}

export interface SimTrace {
  frameSent?: (text: string, atNs: bigint) => void;
  requestReceived?: (method: string, apiPath: string, body: string, atNs: bigint) => void;
}

export interface RunningSimulator {
  /** root URL, e.g. http://127.0.0.1:8788 (what KALSHI_SIM_URL holds) */
  url: string;
  /** REST base: url + /trade-api/v2 */
  apiUrl: string;
  wsUrl: string;
  controlUrl: string;
  port: number;
  close(): Promise<void>;
}

function defaultKeys(): RegisteredKey[] {
  const k = readSimTestKeys();
  return [{ keyId: k.keyId, publicKeyPem: k.publicKeyPem, userId: TEST_USER_ID }];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Which write buckets a request bills, read from the body or query (Kalshi's rate-limits guide). */
function chargeFor(method: string, apiPath: string, query: URLSearchParams, body: unknown): Charge {
  const rec =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const batch = apiPath.endsWith("/batched");
  const items = batch && Array.isArray(rec.orders) ? Math.max(1, rec.orders.length) : 1;
  const cost = costOf(method, apiPath) * items;
  if (!isWrite(method, apiPath)) return { bucket: "read", cost, shards: [] };
  const q = query.get("exchange_index");
  const raw = rec.exchange_index ?? (q !== null ? Number(q) : undefined);
  const idx = typeof raw === "number" && Number.isInteger(raw) ? raw : undefined;
  const ticker = rec.ticker ?? rec.market_ticker ?? query.get("market_ticker");
  const autoRouted = (idx === undefined || idx < 0) && typeof ticker === "string";
  return {
    bucket: "write",
    cost,
    shards: shardsFor(idx !== undefined && idx >= 0 ? idx : undefined, autoRouted, batch),
  };
}

const ORDER_WRITE = /^\/portfolio\/(events\/)?orders(\/|$)/;

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const seed = opts.seed ?? 1;
  const nMarkets = opts.markets ?? 20;
  const stepped = opts.stepped ?? false;
  const clock = createClock({ stepped, startMs: opts.startMs ?? Date.now(), speed: opts.speed ?? 1 });
  const makeExchange = opts.exchange ?? ((o: ExchangeFactoryOptions) => createCoreExchange(o));
  const keys = new KeyRegistry(opts.keys ?? defaultKeys());
  const authNow = opts.authNowMs ?? Date.now;
  const faults = emptyFaults();
  const inspection = new Inspection();
  const rateLimits = new RateLimits(opts.limits ?? BASIC_TIER);
  rateLimits.enabled = opts.rateLimits ?? true;
  let rand = seededRandom(seed);
  const held = new Set<ServerResponse>();

  const exchange = (): ExchangePort => {
    const ex = makeExchange({
      seed,
      markets: nMarkets,
      nowMs: clock.nowMs,
      participants: opts.participants ?? true,
      volatility: opts.volatility ?? 1,
    });
    for (const u of keys.userIds()) ex.ensureUser(u);
    return ex;
  };

  const rest: RestState = { exchange: exchange(), limits: () => rateLimits.limits };
  let hub = new WsHub({
    exchange: rest.exchange,
    faults,
    inspection,
    clock,
    pingIntervalMs: opts.pingIntervalMs,
    ...(opts.trace?.frameSent ? { onFrameSent: opts.trace.frameSent } : {}),
  });

  const ctx: SimContext = {
    get exchange() {
      return rest.exchange;
    },
    rest,
    clock,
    faults,
    inspection,
    rateLimits,
    keys,
    reset() {
      hub.close();
      rest.exchange = exchange();
      hub = new WsHub({
        exchange: rest.exchange,
        faults,
        inspection,
        clock,
        pingIntervalMs: opts.pingIntervalMs,
        ...(opts.trace?.frameSent ? { onFrameSent: opts.trace.frameSent } : {}),
      });
      Object.assign(faults, emptyFaults());
      inspection.reset();
      rateLimits.reset();
      rand = seededRandom(seed);
    },
    dropWebSockets: () => hub.dropAll(),
    wsConnections: () => hub.connectionCount,
  };

  async function onKalshi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const fullPath = url.pathname;
    // Kalshi answers trailing-slash collection paths with a 301 (Kalshi's changelog, 2025-10-08).
    if (fullPath.length > API_PREFIX.length + 1 && fullPath.endsWith("/")) {
      const loc = `${fullPath.replace(/\/+$/, "")}${url.search}`;
      res.writeHead(301, { location: loc, "content-length": 0 });
      res.end();
      return;
    }
    const apiPath = fullPath.slice(API_PREFIX.length) || "/";
    const text = method === "GET" ? "" : await readBody(req);
    opts.trace?.requestReceived?.(method, apiPath, text, process.hrtime.bigint());
    let body: unknown;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, unparseableBody("invalid JSON body"));
      }
    }
    inspection.count("rest_requests");
    inspection.count(`rest ${method} ${apiPath.replace(/^(\/[^/]+\/[^/]+).*/, "$1")}`);

    if (faults.slowMs > 0) await new Promise((r) => setTimeout(r, faults.slowMs));
    const failure = pickFailure(faults, method, apiPath, rand);
    if (failure) {
      inspection.count(`fault_${failure.kind}`);
      if (ORDER_WRITE.test(apiPath) && method !== "GET") {
        inspection.record({
          tsMs: clock.nowMs(),
          method,
          path: apiPath,
          userId: "",
          body,
          status: 0,
          outcome: "fault",
        });
      }
      if (failure.kind === "timeout") {
        held.add(res);
        res.on("close", () => held.delete(res));
        return;
      }
      if (failure.kind === "429") return sendJson(res, 429, { error: "too many requests" });
      return sendJson(res, failure.status ?? 503, errorBody("service_unavailable", "service unavailable"));
    }

    let userId: string | undefined;
    if (routeNeedsAuth(method, apiPath) || hasAuthHeaders(req.headers)) {
      const a = keys.verify(req.headers, method, fullPath, authNow(), opts.maxSkewMs);
      if (!a.ok) {
        inspection.count("auth_failures");
        return sendJson(res, 401, authErrorBody(a.details));
      }
      userId = a.userId;
      rest.exchange.ensureUser(userId);
    }

    const charge = chargeFor(method, apiPath, url.searchParams, body);
    const bucketUser = userId ?? `anon:${req.socket.remoteAddress ?? ""}`;
    if (!rateLimits.take(bucketUser, charge, clock.wallMs())) {
      inspection.count("rate_limited");
      // Kalshi's 429: a bare string error, no Retry-After, no X-RateLimit-* headers.
      return sendJson(res, 429, { error: "too many requests" });
    }

    const nowMs = clock.nowMs();
    const reply: Reply = handleRest(rest, {
      method,
      path: apiPath,
      query: url.searchParams,
      body,
      userId,
      nowMs,
    });
    const isOrderWrite = ORDER_WRITE.test(apiPath) && method !== "GET";
    const isCreate = method === "POST" && /^\/portfolio\/events\/orders(\/batched)?$/.test(apiPath);
    let lost = false;
    if (isCreate && reply.outcome === "accepted" && faults.loseResponse && faults.loseResponse.next > 0) {
      faults.loseResponse.next -= 1;
      lost = true;
    }
    if (isOrderWrite) {
      const rec = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
      const errBody = reply.body as { error?: { code?: string } };
      inspection.record({
        tsMs: nowMs,
        method,
        path: apiPath,
        userId: userId ?? "",
        ...(typeof rec.client_order_id === "string" ? { clientOrderId: rec.client_order_id } : {}),
        body,
        status: reply.status,
        outcome: lost ? "lost" : reply.status < 300 ? "accepted" : "rejected",
        ...(reply.orderId ? { orderId: reply.orderId } : {}),
        ...(reply.status >= 300 && errBody.error?.code ? { error: errBody.error.code } : {}),
      });
      if (method === "POST" && apiPath === "/portfolio/events/orders")
        inspection.count("orders_created_requests");
    }
    if (lost) {
      inspection.count("responses_lost");
      if (faults.loseResponse?.mode === "timeout") {
        held.add(res);
        res.on("close", () => held.delete(res));
      } else {
        req.socket.destroy();
      }
      return;
    }
    sendJson(res, reply.status, reply.body);
  }

  async function onControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const text = method === "GET" ? "" : await readBody(req);
    let body: unknown = {};
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, errorBody("bad_request", "invalid JSON body"));
      }
    }
    const reply = handleControl(
      ctx,
      method,
      url.pathname.slice(CONTROL_PREFIX.length) || "/",
      url.searchParams,
      body,
    );
    sendJson(res, reply.status, reply.body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const p = url.pathname;
    const run =
      p === CONTROL_PREFIX || p.startsWith(`${CONTROL_PREFIX}/`)
        ? onControl(req, res, url)
        : p === API_PREFIX || p.startsWith(`${API_PREFIX}/`)
          ? onKalshi(req, res, url)
          : Promise.resolve(sendJson(res, 404, errorBody("not_found", "not found")));
    run.catch((e: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, errorBody("internal_server_error", "internal error", String(e).slice(0, 200)));
    });
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const refuse = (status: string, body: unknown): void => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    };
    if (url.pathname !== WS_PATH) return refuse("404 Not Found", errorBody("not_found", "not found"));
    // The upgrade signs GET + /trade-api/ws/v2, like REST (Kalshi's WebSocket quick start).
    const a = keys.verify(req.headers, "GET", WS_PATH, authNow(), opts.maxSkewMs);
    if (!a.ok) {
      inspection.count("auth_failures");
      return refuse("401 Unauthorized", authErrorBody(a.details));
    }
    rest.exchange.ensureUser(a.userId);
    hub.accept(req, socket, head, a.userId);
  });

  clock.start((now) => rest.exchange.step(now));

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    apiUrl: `${url}${API_PREFIX}`,
    wsUrl: `ws://${host}:${port}${WS_PATH}`,
    controlUrl: `${url}${CONTROL_PREFIX}`,
    port,
    close: async () => {
      clock.stop();
      hub.close();
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
