/**
 * Builds what every check runs with (`ProbeContext`) for one target: the hosts from
 * `resolveTarget` (the same rules the Worker obeys: the simulator only on loopback, production
 * only when opted in), the bot's `KalshiSigner`, `RateLimiter` and `KalshiRestClient` (given a
 * `fetch` that records statuses and bodies), a signed WebSocket opener (`ws`, signing
 * `GET /trade-api/ws/v2`), the cleanup registry and the shared market plan. Called by
 * scripts/probe.ts and by the tests with the simulator's URL and test key.
 */
import { resolveTarget } from "../../shared/environment.ts";
import { KalshiSigner, WS_SIGN_PATH } from "../../shared/kalshi/auth.ts";
import { RateLimiter } from "../../shared/kalshi/rate-limiter.ts";
import { KalshiRestClient, type RequestSigner } from "../../shared/kalshi/rest-client.ts";
import type { ProbeKeys } from "./args.ts";
import { CleanupRegistry, signedContracts } from "./cleanup.ts";
import { HttpLog, recordingFetch } from "./http.ts";
import { bookTop, rankCandidates } from "./market.ts";
import { ProbeSocket } from "./socket.ts";
import type { PlanResult, ProbeContext, ProbeTarget } from "./types.ts";

export type UrlsResult = { ok: true; rest: string; ws: string } | { ok: false; message: string };

/** REST base and WebSocket URL (ws:// or wss://) of a target, by the Worker's own rules. */
export function probeUrls(target: ProbeTarget, simUrl: string | null): UrlsResult {
  const r = resolveTarget({
    KALSHI_ENV: target,
    ACCOUNT_NAME: "probe",
    ...(target === "sim" ? { KALSHI_SIM_URL: simUrl ?? "", KALSHI_LOCAL_RUN: "true" } : {}),
    // args.ts has already refused prod without --i-know-this-trades-real-money
    ...(target === "prod" ? { KALSHI_PROD_ENABLED: "true" } : {}),
  });
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: true, rest: r.restBase, ws: r.wsUrl.replace(/^http/, "ws") };
}

export interface SessionOptions {
  target: ProbeTarget;
  urls: { rest: string; ws: string };
  keys: ProbeKeys;
  fetch?: typeof fetch;
  /** pacing between WebSocket commands; the REST limiter always paces on real time */
  sleep?: (ms: number) => Promise<void>;
  nowMs?: () => number;
  log?: (line: string) => void;
}

export interface ProbeSession {
  ctx: ProbeContext;
  /** closes every socket opened so far (the runner calls it after each check) */
  closeSockets(): void;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Markets read for the plan: one page, the quietest first after ranking. */
const MARKET_PAGE = 200;
/** Candidates whose order book and position are read before one is chosen. */
const CANDIDATES_TRIED = 5;
/** Below this balance (cents) the probe does not try to place anything. */
const MIN_BALANCE_CENTS = 10;

/** Throws `KalshiKeyError` (from the signer) for an unusable key: the message never holds key material. */
export async function createProbeSession(o: SessionOptions): Promise<ProbeSession> {
  const nowMs = o.nowMs ?? Date.now;
  const log = o.log ?? (() => {});
  const http = new HttpLog();
  const fetchFn = recordingFetch(o.fetch ?? ((input, init) => fetch(input, init)), http);
  const signer = await KalshiSigner.create(o.keys.keyId, o.keys.privateKeyPem);
  const limiter = new RateLimiter({ now: nowMs, sleep: realSleep });
  const restWith = (s: RequestSigner, maxReadRetries?: number): KalshiRestClient =>
    new KalshiRestClient({
      baseUrl: o.urls.rest,
      signer: s,
      limiter,
      fetch: fetchFn,
      nowMs,
      ...(maxReadRetries !== undefined ? { maxReadRetries } : {}),
      onInvalidItem: (i) =>
        log(`a ${i.path} item failed the bot's schema: ${i.ticker ?? `#${i.index}`}: ${i.issues}`),
    });
  const rest = restWith(signer);
  const cleanup = new CleanupRegistry();
  const sockets: ProbeSocket[] = [];
  let plan: Promise<PlanResult> | null = null;

  const ctx: ProbeContext = {
    target: o.target,
    urls: { rest: o.urls.rest, ws: o.urls.ws },
    rest,
    limiter,
    signer,
    restWith: (s) => restWith(s, 0),
    http,
    async openSocket() {
      const headers = await signer.headers("GET", WS_SIGN_PATH, nowMs());
      const s = await ProbeSocket.open(o.urls.ws, headers);
      sockets.push(s);
      return s;
    },
    cleanup,
    plan() {
      plan ??= makePlan(ctx, fetchFn);
      return plan;
    },
    newClientOrderId: (ticker) => cleanup.newClientOrderId(ticker),
    nowMs,
    sleep: o.sleep ?? realSleep,
    log,
  };
  return {
    ctx,
    closeSockets() {
      for (const s of sockets.splice(0)) s.close();
    },
  };
}

/** One signed, paced `GET /markets` page (the client's `listMarkets` reads every page). */
async function marketPage(ctx: ProbeContext, fetchFn: typeof fetch): Promise<unknown[] | string> {
  const url = new URL(`${ctx.urls.rest}/markets`);
  url.searchParams.set("status", "open");
  url.searchParams.set("limit", String(MARKET_PAGE));
  url.searchParams.set("mve_filter", "exclude");
  const paced = await ctx.limiter.acquire("read", 10, "read");
  if (!paced.ok) return paced.error;
  try {
    const headers = await ctx.signer.headers("GET", url.pathname, ctx.nowMs());
    const res = await fetchFn(url.href, {
      headers: { ...headers, Accept: "application/json" },
      redirect: "manual",
    });
    const text = await res.text();
    if (res.status !== 200) return `GET /markets answered ${res.status}: ${text.slice(0, 200)}`;
    const body: unknown = JSON.parse(text);
    const markets = (body as { markets?: unknown }).markets;
    return Array.isArray(markets) ? markets : "GET /markets answered no markets list";
  } catch (err) {
    return `GET /markets failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * The shared market: trading active, enough balance for a far bid, then the best-ranked market
 * whose book confirms the bid rests and where the account holds nothing. Its baseline goes to the
 * cleanup before any order is placed.
 */
async function makePlan(ctx: ProbeContext, fetchFn: typeof fetch): Promise<PlanResult> {
  const status = await ctx.rest.getExchangeStatus();
  if (!status.ok) return { ok: false, reason: `GET /exchange/status: ${status.failure.message}` };
  if (!status.value.trading_active || !status.value.exchange_active)
    return { ok: false, reason: "trading is not active on the exchange now (a pause or maintenance)" };
  const balance = await ctx.rest.getBalance();
  if (!balance.ok) return { ok: false, reason: `GET /portfolio/balance: ${balance.failure.message}` };
  if (balance.value.balance < MIN_BALANCE_CENTS)
    return {
      ok: false,
      reason: `the balance (${balance.value.balance} cents) is below ${MIN_BALANCE_CENTS} cents`,
    };
  const page = await marketPage(ctx, fetchFn);
  if (typeof page === "string") return { ok: false, reason: page };
  const ranked = rankCandidates(page, ctx.nowMs());
  if (ranked.length === 0)
    return {
      ok: false,
      reason: `none of ${page.length} open markets is active on shard 0 with a grid and an ask above its lowest price`,
    };
  const skipped: string[] = [];
  for (const c of ranked.slice(0, CANDIDATES_TRIED)) {
    const t = c.market.ticker;
    const book = await ctx.rest.getOrderbook(t);
    if (!book.ok) {
      skipped.push(`${t}: book ${book.failure.message}`);
      continue;
    }
    const top = bookTop(book.value);
    if (top.bestAsk !== null && top.bestAsk <= c.restingBid) {
      skipped.push(`${t}: ask at the lowest price`);
      continue;
    }
    const pos = await ctx.rest.getPositions({ ticker: t });
    if (!pos.ok) {
      skipped.push(`${t}: positions ${pos.failure.message}`);
      continue;
    }
    const held = pos.value.market_positions.find((p) => p.ticker === t);
    const position = held === undefined ? 0 : signedContracts(held.position_fp);
    if (position !== 0) {
      skipped.push(`${t}: a position is held`);
      continue;
    }
    ctx.cleanup.market({
      ticker: t,
      exchangeIndex: c.market.exchange_index ?? 0,
      position: 0,
      lowPrice: c.restingBid,
      highPrice: c.topPrice,
    });
    ctx.log(`probing market ${t}`);
    return {
      ok: true,
      plan: {
        ticker: t,
        exchangeIndex: c.market.exchange_index ?? 0,
        grid: c.grid,
        restingBid: c.restingBid,
        topPrice: c.topPrice,
        bestBid: top.bestBid,
        bestAsk: top.bestAsk,
        count: c.fractional ? 1 : 100,
      },
    };
  }
  return { ok: false, reason: `no candidate fit: ${skipped.join("; ")}` };
}
