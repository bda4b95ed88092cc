/**
 * The probe's vocabulary: what one check reports (verdict, expected, observed), what a check is,
 * and the context every check runs with. `npm run probe` (scripts/probe.ts) builds the context
 * (`context.ts`), the runner (`runner.ts`) runs the checks (`checks-*.ts`) and prints one row each.
 *
 * A check is a function of the context alone: it talks to the exchange only through the bot's own
 * REST client, signer and WebSocket command builders, registers everything it places with the
 * cleanup registry, and returns a verdict instead of throwing.
 */

import type { RateLimiter } from "../../shared/kalshi/rate-limiter.ts";
import type { KalshiRestClient, RequestSigner } from "../../shared/kalshi/rest-client.ts";
import type { TickGrid } from "../../shared/kalshi/tick-grid.ts";
import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import type { CleanupRegistry } from "./cleanup.ts";
import type { HttpLog } from "./http.ts";
import type { ProbeSocket } from "./socket.ts";

export type ProbeTarget = "sim" | "demo" | "prod";

/** `could_not_check` always comes with the reason in `observed`. */
export type Verdict = "pass" | "fail" | "could_not_check";

export interface CheckResult {
  verdict: Verdict;
  /** what the bot assumes, or what the simulator documents when it differs from Kalshi */
  expected: string;
  /** what the exchange answered (or why nothing could be observed) */
  observed: string;
}

export interface Check {
  /** short, stable, kebab-case: `--only` selects by it and the tests assert on it */
  id: string;
  /** the assumption, one sentence */
  assumption: string;
  run(ctx: ProbeContext): Promise<CheckResult>;
}

/** One printed row: the check and its result. */
export interface CheckRow extends CheckResult {
  id: string;
  assumption: string;
}

/**
 * The market the order checks share: an active market on the default shard, where the account
 * holds nothing, with a bid price that rests far below the market.
 */
export interface ProbePlan {
  ticker: string;
  exchangeIndex: number;
  grid: TickGrid;
  /** the lowest tradable price: a bid there rests (it is below the best ask) */
  restingBid: PriceUnits;
  /** the highest tradable price (a buy at it would take any ask; used only to flatten) */
  topPrice: PriceUnits;
  /** best YES bid and ask when the plan was made; null for an empty side */
  bestBid: PriceUnits | null;
  bestAsk: PriceUnits | null;
  /** order size: 0.01 contract where fractional trading is on, else 1 */
  count: CountUnits;
}

export type PlanResult = { ok: true; plan: ProbePlan } | { ok: false; reason: string };

export interface ProbeContext {
  target: ProbeTarget;
  /** REST base (with /trade-api/v2) and WebSocket URL (ws:// or wss://) */
  urls: { rest: string; ws: string };
  rest: KalshiRestClient;
  limiter: RateLimiter;
  signer: RequestSigner;
  /** a REST client like `rest` (same limiter, same HTTP log) that signs with `signer`, reads not retried */
  restWith(signer: RequestSigner): KalshiRestClient;
  /** the latest recorded HTTP answers: status codes and bodies the REST client does not return */
  http: HttpLog;
  /** opens a signed WebSocket; the runner closes every socket a check opened when it ends */
  openSocket(): Promise<ProbeSocket>;
  cleanup: CleanupRegistry;
  /** the shared market plan, made once on first use */
  plan(): Promise<PlanResult>;
  /** a fresh client order id (a UUID, as the bot uses), already registered with the cleanup */
  newClientOrderId(ticker: string): string;
  nowMs(): number;
  /** waits between paced commands; tests pass one that does not wait */
  sleep(ms: number): Promise<void>;
  /** progress lines (stderr) */
  log(line: string): void;
}
