/**
 * Drives the whole bot (the account Durable Object: feed, strategy, risk gate, order path) against
 * the workers project's simulator, on markets the test shapes itself with the control API.
 *
 * Why shaped markets: under the default strategy the seeded universe qualifies only now and then
 * (test/feed/sim-universe.test.ts has the numbers), and a test must know which market the bot will
 * enter and at what prices. A shaped market is listed on the sub-cent `deci_cent` grid (so a
 * 0.1 c spread leaves the bid above the -1 c stop), in a `quadratic` series (taker fees, no maker
 * fees), given $90 000 of 24 h volume by a house sweep, and then quoted by the house: a deep bid
 * at 0.899, the ask at 0.900, a buffer ask at 0.910 (so nothing but a sweep reaches a take-profit
 * at 0.920) and a bid at 0.885 below the stop (where a stop's exit sells).
 *
 * The simulator gives each listed market a participant profile in a fixed cycle (favourite, thin,
 * liquid, longshot, tossup, ...) from the first listing after a reset. Shaped markets are always
 * thin ones: one maker quoting 3 to 8 c wide with a few contracts, whose quotes stay clear of the
 * house's, and no news jumps (a favourite's makers would jump a few cents and trade through the
 * shaped quotes). Placeholder listings (at $0.50, no volume, never watched) skip the other kinds.
 *
 * The account's universe filter (which books it watches) admits only markets with more than
 * $50 000 of 24 h volume, i.e. only the shaped ones: the seeded favourites then never trade
 * beside them. The strategy's and the risk gate's own configuration stays the default unless a
 * test says otherwise.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { PriceUnits } from "../../shared/kalshi/units.ts";
import { parseCount, parseMoney, parsePrice } from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { OrderRequestRecord } from "../../sim/server/faults.ts";
import type { AccountDeps } from "../../workers/account/account.ts";
import { deepMerge } from "../../workers/account/account-config.ts";
import { accountHarness } from "./account-harness.ts";

export const control = new SimControlClient(env.KALSHI_SIM_URL);
export const CREATE_PATH = "/portfolio/events/orders";

/** A quadratic series (taker 0.07 x P x (1 - P), no maker fee), multiplier 1, shard 0. */
export const SERIES = "KXHIGHNY";

/** The shaped book, YES leg (price $0.0001, count 1/100 contract). */
export const SHAPE = {
  fair: 9_000,
  bid: 8_990,
  bidSize: 300_000, // 3 000 contracts: $2 697 at the best bid
  ask: 9_000,
  askSize: 50_000, // 500 contracts: the entry's size (the ask size caps it)
  bufferAsk: 9_100,
  bufferAskSize: 500_000,
  catcherBid: 8_850,
  catcherBidSize: 500_000,
  /** Swept at the ask to give the market its 24 h volume: 100 000 contracts, $90 000. */
  volume: 10_000_000,
} as const;

/**
 * The account's universe filter: only markets with more than $50 000 of 24 h volume are watched.
 * The order group's cap is the default, 10 000 contracts, stated here: the stepped clock stands
 * still, so every fill of a test falls in one rolling 15 s window; the test about the group sets
 * its own, smaller cap.
 */
export const WATCH_CONFIG = {
  feed: {
    universe: { minFavouritePrice: 0, minVolume24h: 50_000_000_000, closingWithinMs: 0, maxMarkets: 50 },
  },
  executor: { orderGroup: { contractsLimit: 1_000_000 } },
} as const;

const THIN_KIND = 2; // sim/exchange/universe.ts MARKET_KINDS: tossup, favourite, thin, liquid, longshot

/** The simulator's listing number of a market it named itself (`<SERIES>-SIM<n>-N<n>`). */
function listingNumber(ticker: string): number {
  const m = /-N(\d+)$/.exec(ticker);
  if (!m) throw new Error(`not a simulator-named market: ${ticker}`);
  return Number(m[1]);
}

export interface ShapedMarket {
  ticker: string;
  closeTimeMs: number;
}

/**
 * Lists a thin-profile market at fair 0.90 (on the `deci_cent` grid unless `structure` says
 * otherwise) and gives it its 24 h volume. Its quotes are placed later (`quoteBelow`, `quoteAsk`),
 * once the account watches it. It closes `closeInMs` after the simulator's now (24 h by default).
 */
export async function listMarket(
  opts: { closeInMs?: number; structure?: string } = {},
): Promise<ShapedMarket> {
  const closeInMs = opts.closeInMs ?? 24 * 3_600_000;
  for (let i = 0; i < 10; i++) {
    const probe = await control.createMarket({ seriesTicker: SERIES });
    if ((listingNumber(probe.ticker) + 1) % 5 === THIN_KIND) break;
  }
  const now = (await control.state()).now_ms;
  const closeTimeMs = Math.ceil((now + closeInMs) / 1000) * 1000;
  const m = await control.createMarket({
    seriesTicker: SERIES,
    priceLevelStructure: opts.structure ?? "deci_cent",
    fair: SHAPE.fair,
    closeTs: closeTimeMs / 1000,
    outcome: "yes",
  });
  if (listingNumber(m.ticker) % 5 !== THIN_KIND) throw new Error(`${m.ticker} is not a thin listing`);
  await control.placeLiquidity(m.ticker, "ask", SHAPE.ask, SHAPE.volume);
  await control.tradeThrough(m.ticker, "bid", SHAPE.ask);
  await control.step(1_000); // its maker quotes both sides: the universe filter needs a favourite
  return { ticker: m.ticker, closeTimeMs };
}

/** The house quotes under the shaped top: the catcher bid, the buffer ask and the deep bid (no ask yet). */
export async function quoteBelow(ticker: string): Promise<void> {
  await control.placeLiquidity(ticker, "bid", SHAPE.catcherBid, SHAPE.catcherBidSize);
  await control.placeLiquidity(ticker, "ask", SHAPE.bufferAsk, SHAPE.bufferAskSize);
  await control.placeLiquidity(ticker, "bid", SHAPE.bid, SHAPE.bidSize);
}

/** The ask that makes the shaped market qualify: 0.900 x `size`. */
export function quoteAsk(ticker: string, size: number = SHAPE.askSize): Promise<string> {
  return control.placeLiquidity(ticker, "ask", SHAPE.ask, size);
}

/** The simulator's orders of the bot's user, as numbers. */
export interface SimOrder {
  orderId: string;
  clientOrderId: string;
  ticker: string;
  bookSide: "bid" | "ask";
  status: string;
  yesPrice: PriceUnits;
  filled: number;
  remaining: number;
}

export async function simOrders(ticker?: string): Promise<SimOrder[]> {
  return (await control.orders())
    .map((o) => ({
      orderId: String(o.order_id),
      clientOrderId: String(o.client_order_id),
      ticker: String(o.ticker),
      bookSide: o.book_side === "ask" ? ("ask" as const) : ("bid" as const),
      status: String(o.status),
      yesPrice: parsePrice(o.yes_price_dollars),
      filled: parseCount(o.fill_count_fp),
      remaining: parseCount(o.remaining_count_fp),
    }))
    .filter((o) => ticker === undefined || o.ticker === ticker);
}

export interface SimFill {
  orderId: string;
  ticker: string;
  bookSide: "bid" | "ask";
  yesPrice: PriceUnits;
  count: number;
  fee: number;
  isTaker: boolean;
}

export async function simFills(ticker?: string): Promise<SimFill[]> {
  return (await control.fills())
    .map((f) => ({
      orderId: String(f.order_id),
      ticker: String(f.ticker),
      bookSide: f.book_side === "ask" ? ("ask" as const) : ("bid" as const),
      yesPrice: parsePrice(f.yes_price_dollars),
      count: parseCount(f.count_fp),
      fee: parseMoney(f.fee_cost),
      isTaker: f.is_taker === true,
    }))
    .filter((f) => ticker === undefined || f.ticker === ticker);
}

/** The bot's signed position in `ticker` at the simulator (count units, YES positive). */
export async function simPosition(ticker: string): Promise<number> {
  const p = (await control.positions()).find((x) => x.ticker === ticker);
  return p === undefined ? 0 : parseCount(p.position_fp);
}

/** Order creates the simulator received for `ticker` (any outcome), with their bodies. */
export async function createsFor(ticker: string): Promise<(OrderRequestRecord & { req: CreateBody })[]> {
  return (await control.ordersReceived())
    .filter((r) => r.method === "POST" && r.path === CREATE_PATH)
    .map((r) => ({ ...r, req: r.body as CreateBody }))
    .filter((r) => r.req.ticker === ticker);
}

export interface CreateBody {
  ticker: string;
  client_order_id: string;
  side: "bid" | "ask";
  count: string;
  price: string;
  time_in_force: string;
  post_only?: boolean;
  reduce_only?: boolean;
}

/** The bot's entries (buys) that reached the simulator for `ticker`, whatever their outcome. */
export async function entryCreates(ticker: string) {
  return (await createsFor(ticker)).filter((r) => r.req.side === "bid");
}

/**
 * A REST client whose entry creates (buys) wait at a gate until the test opens it from inside the
 * object (`open`), so the test can move the book between the decision and the order's arrival.
 */
export function gatedEntries(real: KalshiRestClient) {
  const waiting: (() => void)[] = [];
  let open = false;
  const rest = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "createOrder")
        return async (...args: Parameters<KalshiRestClient["createOrder"]>) => {
          if (!open && args[0].side === "bid") await new Promise<void>((r) => waiting.push(r));
          return target.createOrder(...args);
        };
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    rest,
    /** Entry creates held at the gate now. */
    waiting: () => waiting.length,
    /** Lets every held create (and every later one) through; call it inside the object. */
    open: () => {
      open = true;
      for (const r of waiting.splice(0)) r();
    },
  };
}

export function tradingSim(name: string, opts: { config?: unknown; overrides?: Partial<AccountDeps> } = {}) {
  const h = accountHarness(name, {
    config: deepMerge(WATCH_CONFIG, opts.config ?? {}),
    restTimeoutMs: 2_000,
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
  });
  const simNow = async () => (await control.state()).now_ms;
  /**
   * Lets everything started so far finish: the frames the simulator sent, the requests they
   * caused, the frames those caused (fills, user orders), ... A bounded number of rounds.
   */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await h.barrier();
      await h.inObj((a) => a.settled());
    }
  };
  /** Steps the simulator and the account's clock together, a heartbeat per `stepMs`. */
  const step = async (ms: number, stepMs = 2_000) => {
    for (let left = ms; left > 0; left -= stepMs) {
      await control.step(Math.min(stepMs, left));
      h.clock.now = await simNow();
      await h.beat();
    }
    await settle();
  };
  /** The whole alarm (heartbeat, risk folds, exit signals, due jobs), then everything it started. */
  const alarm = async () => {
    await h.alarm();
    await settle();
  };
  /** Starts the account on the simulator's clock: universe, socket, reconciliation, balance. */
  const boot = async (expectWatched: readonly string[]) => {
    h.clock.now = await simNow();
    await h.install();
    await h.start();
    await h.job("reconcile");
    await h.job("balance");
    await settle();
    expect(await h.inObj((a) => a.entryBlockers())).toEqual([]);
    expect([...(await h.inObj((a) => a.feed.wanted))].sort()).toEqual([...expectWatched].sort());
  };
  const position = (ticker: string) =>
    h.inObj((a) => a.positionViews().find((p) => p.ticker === ticker) ?? null);
  const trades = () => h.inObj((a) => a.trades(100));
  const why = (ticker: string) => h.inObj((a) => a.why(ticker));
  const tradingState = async () => (await h.status()).trading;
  return { ...h, simNow, settle, step, alarm, boot, position, trades, why, tradingState };
}

export type TradingSim = ReturnType<typeof tradingSim>;
