/**
 * The fault campaign: the whole bot (the account Durable Object with its real feed, strategy, risk
 * gate, order path, exit keeper, scheduler and history flush) trades against the simulator while
 * faults are injected at random from a seeded generator, and the invariants a trader relies on are
 * checked after every step. `npm run soak` runs a long campaign; `npm test` a short one
 * (test/soak/soak.worker.test.ts). Same seed, same campaign: the generator decides every fault
 * and the simulator's clock is stepped, so a failure replays.
 *
 * One step = one simulated second: maybe a fault, the simulator's clock moved (its traders trade,
 * frames go out), every frame handled, the object's alarm run (heartbeat, exits, due jobs) and
 * awaited, then the invariants checked against the simulator's own view. Faults come in episodes
 * separated by quiet stretches, so "after recovery" has a meaning.
 *
 * Invariants (docs/soak.md explains each):
 * - one intent, one order: no client order id created twice at the exchange;
 * - protection: a position the exchange holds has a resting take-profit for all of it at the
 *   exchange and a stop armed in the bot (or an exit under way) within 5 s of the last
 *   disturbance;
 * - no entry decided on a stale book, without a live feed, or while halted or reducing (checked
 *   inside the object at the instant of the decision, and at the exchange against the campaign's
 *   own record of halts and stalls);
 * - no exit over-sells or flips a position (the exchange's position never changes sign);
 * - history: once Supabase is back, every local row is in Postgres exactly once;
 * - at the end the bot's positions and resting orders equal the exchange's, and its own books
 *   (round trips, and the cost, fees and realized part of open positions) explain the change in
 *   balance to the micro-dollar.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Order, Side } from "../../shared/domain.ts";
import {
  type CountUnits,
  formatMoney,
  parseCount,
  parseMoney,
  parseSignedCount,
} from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { OrderRequestRecord } from "../../sim/server/faults.ts";
import type { Account } from "../../workers/account/account.ts";
import { createHistoryClient } from "../../workers/history/flush.ts";
import { CONFLICT_COLUMNS, HISTORY_TABLES, type HistoryTable } from "../../workers/history/rows.ts";
import { type AccountHarness, accountHarness, hangingCreates } from "../support/account-harness.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** vitest.config.ts provides them from SOAK_SEED and SOAK_MINUTES */
    soakSeed: number;
    soakMinutes: number;
  }
}

export interface SoakOptions {
  seed: number;
  /** stop after this many steps ... */
  maxSteps: number;
  /** ... or this much wall time, whichever comes first */
  wallMs: number;
  /** keep going past maxSteps until these are reached (the long run's floors), within wallMs */
  floors?: SoakFloors;
  history: { url: string; serviceKey: string };
  progress?: (line: string) => void;
  /** every phase of every step (debugging a hang) */
  trace?: (line: string) => void;
}

/** Faults of one instant, injected on their own chance every step (they overlap episodes). */
export const INSTANT_FAULTS = ["ws_drop", "seq_gap", "seq_repeat"] as const;
/** Faults that last a few steps, one at a time, drawn from a shuffled deck so every kind recurs. */
export const EPISODE_FAULTS = [
  "feed_stall",
  "write_5xx",
  "write_429",
  "write_timeout",
  "response_lost",
  "restart",
  "restart_in_flight",
  "trade_through_stop",
  "market_pause",
  "early_close",
  "supabase_outage",
  "operator_halt",
] as const;
export const FAULT_KINDS = [...INSTANT_FAULTS, ...EPISODE_FAULTS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SoakFloors {
  wsDrops: number;
  seqGaps: number;
  /** restarts of both kinds */
  restarts: number;
  /** order writes the exchange saw fail or lose their answer */
  failedWrites: number;
}

/** Episodes during which the bot cannot place orders at will. */
const WRITE_OUTAGES: ReadonlySet<FaultKind> = new Set(["restart", "write_5xx", "write_429", "write_timeout"]);

/** Per step: the chance of each instant fault. */
const INSTANT_CHANCE = 0.04;
/** Order writes failed (fault or lost answer), as the exchange saw them. */
export const FAILED_WRITES = "order writes failed (5xx, 429, timeout, lost answer)";

export const INVARIANTS = [
  "orders placed twice for one intent",
  "positions unprotected > 5 s after recovery",
  "entries on a stale book or while halted",
  "positions over-sold or flipped by an exit",
  "history rows lost or duplicated",
  "end state differs from the exchange",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface SoakResult {
  seed: number;
  steps: number;
  simSeconds: number;
  wallMs: number;
  faults: Record<FaultKind, number>;
  /** what the faults produced at the exchange: failed writes as it saw them, sockets it dropped */
  observed: Record<string, number>;
  activity: Record<string, number>;
  violations: Record<Invariant, string[]>;
  table: string;
}

const CREATE_PATH = "/portfolio/events/orders";
const PROTECTION_GRACE_MS = 5_000;
const STEP_MS = 1_000;

/**
 * The bot's settings for the campaign: every market the simulator lists is watched, the entry
 * rules loose enough that it trades often on the simulator's books, exits short so positions
 * turn over, and jobs frequent so minutes of simulated time exercise all of them.
 */
export const SOAK_CONFIG = {
  feed: {
    universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 60 },
    heartbeatMs: 1_000,
  },
  strategy: {
    entry: { minBestBidMoney: 0, minVolume24hMoney: 0, maxSpread: 300 },
    edge: { minConfidence: 0, minEvPerContract: -1_000_000 },
    exits: { holdTimeoutMs: 60_000, preCloseWindowMs: 30_000 },
  },
  risk: {
    breakers: { consecutiveLosses: 1_000, dailyLossPct: 100 },
  },
  executor: {
    unknown: { inFlightGraceMs: 3_000, resendBaseMs: 1_000 },
    reconcile: { intervalMs: 15_000 },
    orderGroup: { resetAfterMs: 5_000 },
  },
  jobs: { exchangeStatusMs: 5_000, balanceMs: 5_000, orderGroupsMs: 10_000 },
  history: { flushMs: 5_000, batchSize: 100 },
  alerts: { enabled: false },
  report: { enabled: false },
};

/** mulberry32: the campaign's own seeded generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimView {
  nowMs: number;
  exchangePaused: boolean;
  marketStatus: Map<string, string>;
  /** signed YES contracts per ticker */
  positions: Map<string, CountUnits>;
  orders: Record<string, unknown>[];
}

interface Episode {
  kind: FaultKind;
  endsAtStep: number;
  end: () => Promise<void>;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const control = new SimControlClient(env.KALSHI_SIM_URL);
  // Two generators: the campaign's own draws do not depend on how often the bot draws.
  const rand = generator(opts.seed);
  const botRand = generator(opts.seed ^ 0x5bd1e995);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const chance = (p: number) => rand() < p;
  const started = Date.now();
  const say = opts.progress ?? (() => {});
  const trace = opts.trace ?? (() => {});

  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const violations = Object.fromEntries(INVARIANTS.map((k) => [k, [] as string[]])) as Record<
    Invariant,
    string[]
  >;
  const activity: Record<string, number> = {
    entries_decided: 0,
    positions_held_at_end: 0,
    round_trips: 0,
    take_profits: 0,
    stops: 0,
    timeouts: 0,
    other_exits: 0,
    breaker_resumes: 0,
    history_rows: 0,
  };
  const violate = (inv: Invariant, what: string) => {
    const list = violations[inv];
    if (list.length < 20) list.push(what);
    else if (list.length === 20) list.push("...");
  };

  // ---------------------------------------------------------------- the world
  await control.reset();
  await control.clearFaults();
  const historyControl = async (path: "fault" | "reset", body: unknown) => {
    const res = await fetch(`${opts.history.url}/_test/${path}`, {
      method: "POST",
      headers: {
        apikey: opts.history.serviceKey,
        authorization: `Bearer ${opts.history.serviceKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`history test server answered ${res.status}`);
  };
  await historyControl("fault", { mode: "none" });
  await historyControl("reset", {});

  const simNow = async () => (await control.state()).now_ms;
  // Markets made for the strategy: favourites on a fine grid (room for the 1 c stop), closing
  // at staggered times so some reach their pre-close window within the campaign.
  const made = new Set<string>();
  const addMarket = async (closeInMs: number) => {
    const now = await simNow();
    const favourYes = chance(0.7);
    const fair = favourYes ? 8_900 + Math.floor(rand() * 700) : 400 + Math.floor(rand() * 700);
    const m = await control.createMarket({
      priceLevelStructure: "deci_cent",
      fair,
      closeTs: Math.floor((now + closeInMs) / 1000),
      outcome: chance(fair / 10_000) ? "yes" : "no",
    });
    made.add(m.ticker);
  };
  for (let i = 0; i < 8; i++) await addMarket((i < 2 ? 150 : 1_800 + i * 600) * 1000);
  /** Markets close (on schedule or early): the campaign lists new ones so there is always trading. */
  const replenish = async () => {
    const status = new Map((await control.state()).markets.map((m) => [m.ticker, m.status]));
    const active = [...made].filter((t) => status.get(t) === "active").length;
    for (let i = active; i < 6; i++) await addMarket((1_200 + Math.floor(rand() * 3_600)) * 1000);
  };
  for (let i = 0; i < 3; i++) await control.step(STEP_MS); // the market makers quote

  const historyClient = createHistoryClient(opts.history.url, opts.history.serviceKey, fetch, 1_500);
  const h: AccountHarness = accountHarness(`soak-${opts.seed}-${started}`, {
    config: SOAK_CONFIG,
    restTimeoutMs: 800,
    overrides: {
      historyClient,
      random: botRand,
    },
  });
  h.clock.now = await simNow();
  await h.install();
  await h.start();
  await h.job("reconcile");
  await h.job("balance");
  const startBalance = (await h.inObj((a) => a.status().balance)) ?? 0;

  // ---------------------------------------------------------------- what the campaign knows
  let stalled = false;
  let stalledSinceMs = 0;
  let halted = false;
  /** sim-time windows in which no entry may reach the exchange */
  const forbidden: { fromMs: number; toMs: number; why: string }[] = [];
  let lastDisturbanceMs = h.clock.now;
  const unprotectedSince = new Map<string, number>();
  const reportedUnprotected = new Set<string>();
  /** the side the bot entered per ticker (the exchange's position must keep its sign) */
  const enteredSide = new Map<string, Side>();
  let episode: Episode | null = null;
  let quietUntilStep = 5;
  let step = 0;
  let account: Account | null = null;
  const closing = new Map<string, number>(); // ticker -> step at which it settles

  const maxBookAgeMs = (await h.inObj((a) => a.config.get().feed.maxBookAgeMs)) ?? 10_000;

  // The decision itself, inside the object, at the instant it is made.
  h.setOnLog((l, a) => {
    account = a;
    if (l.event !== "entry.sent") return;
    activity.entries_decided = (activity.entries_decided ?? 0) + 1;
    const ticker = String(l.data?.ticker ?? "");
    const side = l.data?.side === "no" ? "no" : "yes";
    enteredSide.set(ticker, side);
    const book = a.feed.book(ticker);
    const risk = a.risk.view();
    const problems: string[] = [];
    if (!book?.fresh) problems.push(`book not fresh (${book?.staleReason ?? "no book"})`);
    if (!a.feed.feedLive()) problems.push("feed not live");
    if (risk.state !== "active") problems.push(`trading state ${risk.state}`);
    if (halted) problems.push("halted by the operator");
    if (stalled && h.clock.now - stalledSinceMs > maxBookAgeMs)
      problems.push("feed stalled past the book age");
    if (problems.length > 0)
      violate("entries on a stale book or while halted", `step ${step} ${ticker}: ${problems.join(", ")}`);
  });

  const readSim = async (): Promise<SimView> => {
    const [state, positions, orders] = await Promise.all([
      control.state(),
      control.positions(),
      control.orders(),
    ]);
    const pos = new Map<string, CountUnits>();
    for (const p of positions) {
      const n = parseSignedCount(String(p.position_fp));
      if (n !== 0) pos.set(String(p.ticker), n);
    }
    return {
      nowMs: state.now_ms,
      exchangePaused: state.trading_paused,
      marketStatus: new Map(state.markets.map((m) => [m.ticker, m.status])),
      positions: pos,
      orders,
    };
  };

  const stepClock = async (ms: number) => {
    await control.step(ms);
    h.clock.now = await simNow();
  };

  /** One step of the bot: frames handled, the alarm run and everything it started awaited. */
  const runBot = async (awaitJobs = true) => {
    if (!stalled) await h.barrier().catch(() => false);
    trace("barrier");
    await h.inObj((a) => a.alarm());
    trace("alarm");
    if (awaitJobs)
      await withDeadline(
        h.inObj((a) => a.settled()),
        30_000,
        `step ${step}: the bot's requests did not settle within 30 s (a request loop?)`,
      );
  };

  // ---------------------------------------------------------------- faults
  const positionsNow = async () => (await readSim()).positions;
  const activeTickers = async () => {
    const s = await readSim();
    return [...s.marketStatus].filter(([, st]) => st === "active").map(([t]) => t);
  };

  const writeFailure = async (kind: "5xx" | "429" | "timeout") => {
    for (const method of ["POST", "DELETE"])
      await control.addFailure({ kind, share: 0.8, pathPrefix: CREATE_PATH, method });
  };

  /** Sockets dropped, seq numbers skipped or repeated: each on its own chance, any step. */
  const instantFaults = async (): Promise<boolean> => {
    let any = false;
    if (stalled) return any; // a stalled feed sends nothing to gap or repeat, and is down already
    if (chance(INSTANT_CHANCE)) {
      if ((await control.dropWebSockets()) > 0) faults.ws_drop += 1;
      any = true;
    }
    if (chance(INSTANT_CHANCE)) {
      await control.skipSeq(1 + Math.floor(rand() * 3));
      faults.seq_gap += 1;
      any = true;
    }
    if (chance(INSTANT_CHANCE / 2)) {
      await control.repeatSeq(1 + Math.floor(rand() * 3));
      faults.seq_repeat += 1;
      any = true;
    }
    return any;
  };

  let deck: FaultKind[] = [];
  /** kinds that found nothing to act on: back in the next deck, so the rest of this one goes on */
  const deferred: FaultKind[] = [];
  const draw = (): (typeof EPISODE_FAULTS)[number] => {
    if (deck.length === 0) {
      deck = [...EPISODE_FAULTS, ...deferred.splice(0)];
      for (let i = deck.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [deck[i], deck[j]] = [deck[j] as FaultKind, deck[i] as FaultKind];
      }
    }
    return deck.pop() as (typeof EPISODE_FAULTS)[number];
  };

  /** The next episode; a kind that finds nothing to act on now (no position to trade through,
   * too few markets to close one) is tried again in the next deck. */
  const startEpisode = async (): Promise<Episode | null> => {
    const kind = draw();
    const e = await episodeOf(kind);
    if (e === null) deferred.push(kind);
    return e;
  };

  const episodeOf = async (kind: (typeof EPISODE_FAULTS)[number]): Promise<Episode | null> => {
    const steps = 3 + Math.floor(rand() * 8);
    const endsAtStep = step + steps;
    const none = async () => {};
    switch (kind) {
      case "feed_stall": {
        await control.stallFeed(true);
        stalled = true;
        stalledSinceMs = h.clock.now;
        faults.feed_stall += 1;
        return {
          kind,
          endsAtStep: step + 3 + Math.floor(rand() * 20),
          end: async () => {
            await control.stallFeed(false);
            stalled = false;
            forbidden.push({ fromMs: stalledSinceMs + maxBookAgeMs, toMs: h.clock.now, why: "feed stalled" });
          },
        };
      }
      case "write_5xx":
      case "write_429":
      case "write_timeout": {
        await writeFailure(kind === "write_5xx" ? "5xx" : kind === "write_429" ? "429" : "timeout");
        faults[kind] += 1;
        // Longer than the others: failed writes need orders to fail, and orders come a few a minute.
        return { kind, endsAtStep: endsAtStep + 5, end: () => control.clearFaults().then(() => undefined) };
      }
      case "response_lost": {
        await control.loseResponses(1 + Math.floor(rand() * 2), chance(0.5) ? "drop" : "timeout");
        faults.response_lost += 1;
        return { kind, endsAtStep, end: () => control.clearFaults().then(() => undefined) };
      }
      case "restart": {
        await h.install();
        faults.restart += 1;
        return { kind, endsAtStep: step + 1, end: none };
      }
      case "restart_in_flight": {
        // This instance's creates reach the exchange but it never hears back: it "dies" between
        // the journal write and the answer; the next instance has only the journal.
        await h.install({ rest: hangingCreates(800) });
        faults.restart_in_flight += 1;
        return {
          kind,
          endsAtStep: step + 2,
          end: async () => {
            await h.install();
          },
        };
      }
      case "trade_through_stop": {
        const held = [...(await positionsNow())];
        if (held.length === 0) return null;
        const [ticker, n] = pick(held);
        // Sweep the side that holds the position's bid down past its stop (YES held: sell YES
        // into the bids; NO held: buy YES through the asks).
        const r = await control
          .tradeThrough(ticker, n > 0 ? "ask" : "bid", n > 0 ? 500 : 9_500)
          .catch(() => -1);
        if (r < 0) return null;
        faults.trade_through_stop += 1;
        return { kind, endsAtStep: step + 1, end: none };
      }
      case "market_pause": {
        const tickers = await activeTickers();
        if (tickers.length === 0) return null;
        const ticker = pick(tickers);
        await control.pauseMarket(ticker, true);
        faults.market_pause += 1;
        return {
          kind,
          endsAtStep,
          end: async () => {
            await control.pauseMarket(ticker, false).catch(() => undefined);
          },
        };
      }
      case "early_close": {
        const tickers = (await activeTickers()).filter((t) => !closing.has(t));
        if (tickers.length < 4) return null;
        const held = await positionsNow();
        const ticker = pick(tickers.some((t) => held.has(t)) ? tickers.filter((t) => held.has(t)) : tickers);
        await control.closeMarket(ticker);
        closing.set(ticker, step + 5);
        faults.early_close += 1;
        await addMarket(1_800_000); // the campaign keeps enough markets to trade
        return { kind, endsAtStep: step + 1, end: none };
      }
      case "supabase_outage": {
        await historyControl("fault", { mode: chance(0.7) ? "unavailable" : "reset" });
        faults.supabase_outage += 1;
        return {
          kind,
          endsAtStep: step + 5 + Math.floor(rand() * 20),
          end: () => historyControl("fault", { mode: "none" }),
        };
      }
      case "operator_halt": {
        await h.inObj((a) => a.halt("soak: operator halt"));
        halted = true;
        const from = h.clock.now;
        faults.operator_halt += 1;
        return {
          kind,
          endsAtStep,
          end: async () => {
            forbidden.push({ fromMs: from, toMs: h.clock.now, why: "halted" });
            halted = false;
            await h.inObj((a) => a.resume());
          },
        };
      }
    }
  };

  /** Markets closed early are determined and settled a few steps later, as Kalshi would. */
  const settleClosed = async () => {
    for (const [ticker, at] of closing) {
      if (step < at) continue;
      closing.delete(ticker);
      await control.determineMarket(ticker, chance(0.8) ? "yes" : "no").catch(() => undefined);
      await control.settleMarket(ticker).catch(() => undefined);
    }
  };

  // ---------------------------------------------------------------- invariants
  const checkPositions = async (sim: SimView, a: Account) => {
    // Over-sold or flipped: the exchange's position keeps the sign of the side entered.
    for (const [ticker, n] of sim.positions) {
      const side = enteredSide.get(ticker);
      if (side === undefined) continue;
      if ((side === "yes" && n < 0) || (side === "no" && n > 0)) {
        const mine = a.orders.journal
          .recentOrders(2_000)
          .filter((o) => o.ticker === ticker)
          .slice(0, 12)
          .map(
            (o) =>
              `${o.purpose}/${o.reason} ${o.action} ${o.side} ${o.count / 100}@${o.price} ${o.state}/${o.ack} filled ${o.filled / 100} cid ${o.clientOrderId.slice(0, 8)}`,
          );
        violate(
          "positions over-sold or flipped by an exit",
          `step ${step} ${ticker}: entered ${side}, exchange holds ${n / 100} YES; bot's orders there, newest first: [${mine.join("; ")}]`,
        );
        enteredSide.delete(ticker); // reported once
      }
    }
    // Protection.
    const views = new Map(a.positionViews().map((p) => [p.ticker, p]));
    const quietFor = sim.nowMs - lastDisturbanceMs;
    for (const [ticker, n] of sim.positions) {
      const status = sim.marketStatus.get(ticker);
      if (status !== "active" || sim.exchangePaused) {
        unprotectedSince.delete(ticker);
        continue;
      }
      const held = Math.abs(n);
      const side: Side = n > 0 ? "yes" : "no";
      const v = views.get(ticker);
      const exitBook = side === "yes" ? "ask" : "bid";
      const resting = sim.orders
        .filter((o) => o.ticker === ticker && o.status === "resting" && o.book_side === exitBook)
        .reduce((s, o) => s + parseCount(o.remaining_count_fp), 0);
      const exiting = v?.exitReason != null;
      const ok =
        v !== undefined &&
        v.side === side &&
        v.contracts === held &&
        v.stop !== null &&
        (exiting || resting === held);
      if (ok) {
        unprotectedSince.delete(ticker);
        reportedUnprotected.delete(ticker);
        continue;
      }
      const since = unprotectedSince.get(ticker) ?? sim.nowMs;
      unprotectedSince.set(ticker, since);
      const unprotectedFor = sim.nowMs - Math.max(since, lastDisturbanceMs);
      if (
        quietFor > PROTECTION_GRACE_MS &&
        unprotectedFor > PROTECTION_GRACE_MS &&
        !reportedUnprotected.has(ticker)
      ) {
        reportedUnprotected.add(ticker);
        const mine = a.orders
          .workingOrders(ticker)
          .map(
            (o) =>
              `${o.purpose} ${o.state}/${o.ack} ${o.action} ${o.side} ${o.count / 100}@${o.price} (created ${sim.nowMs - o.createdMs} ms ago, sent ${o.sends}x, last ${o.lastSentMs === null ? "never" : `${sim.nowMs - o.lastSentMs} ms ago`}, next check ${o.nextCheckMs === null ? "none" : `in ${o.nextCheckMs - sim.nowMs} ms`}, error ${o.error ?? "none"})`,
          );
        const theirs = sim.orders
          .filter((o) => o.ticker === ticker)
          .slice(-3)
          .map(
            (o) =>
              `${o.book_side} ${o.status} ${o.remaining_count_fp}@${o.yes_price_dollars} ${o.last_update_reason ?? ""}`,
          );
        violate(
          "positions unprotected > 5 s after recovery",
          `step ${step} ${ticker}: exchange holds ${held / 100} ${side}; bot ${
            v ? `${v.contracts / 100} ${v.side}, stop ${v.stop}, exit ${v.exitReason}` : "knows no position"
          }, take-profit resting ${resting / 100}; bot working [${mine.join("; ")}]; exchange's last orders [${theirs.join("; ")}]; market ${status} (bot: ${a.market(ticker)?.status ?? "unknown"}, trading ${a.status().exchange.tradingActive}, book ${a.feed.book(ticker)?.fresh ? "fresh" : "stale"}, exit state ${JSON.stringify(a.orders.journal.position(ticker)?.exit)})`,
        );
      }
    }
  };

  // ---------------------------------------------------------------- the run
  let failedWrites = 0;
  const floorsMet = async () => {
    const f = opts.floors;
    if (!f) return true;
    if (faults.ws_drop < f.wsDrops || faults.seq_gap < f.seqGaps) return false;
    if (faults.restart + faults.restart_in_flight < f.restarts) return false;
    failedWrites = observedFaults(await control.ordersReceived(), {})[FAILED_WRITES] ?? 0;
    return failedWrites >= f.failedWrites;
  };
  for (step = 0; ; step++) {
    const elapsed = Date.now() - started;
    if (elapsed > opts.wallMs) break;
    if (step >= opts.maxSteps && step % 20 === 0 && (await floorsMet())) break;

    // Faults: one episode at a time, with a quiet stretch after each.
    if (episode && step >= episode.endsAtStep) {
      await episode.end();
      episode = null;
      lastDisturbanceMs = h.clock.now;
      quietUntilStep = step + 2 + Math.floor(rand() * 8);
    }
    if (!episode && step >= quietUntilStep && chance(0.6)) {
      episode = await startEpisode();
      if (episode) lastDisturbanceMs = h.clock.now;
      else quietUntilStep = step + 1;
    }
    if (await instantFaults()) lastDisturbanceMs = h.clock.now;
    await settleClosed();
    if (step % 30 === 0) await replenish();
    trace(`step ${step} episode ${episode?.kind ?? "-"}`);
    await stepClock(STEP_MS);
    trace("clock");
    const inFlight = episode?.kind === "restart_in_flight";
    await runBot(!inFlight);
    trace("bot");
    // A restart, or writes the exchange keeps failing, disturbs every step of the episode: nothing
    // can be placed until it is over, and the 5 s of the protection check start then.
    if (episode && WRITE_OUTAGES.has(episode.kind)) lastDisturbanceMs = h.clock.now;

    // An operator who resumes after a breaker once the episode that tripped it is over.
    if (!episode && !halted) {
      const view = await h.inObj((a) => a.risk.view());
      if (view.state !== "active") {
        await h.inObj((a) => a.resume());
        activity.breaker_resumes = (activity.breaker_resumes ?? 0) + 1;
        // Which breakers: a trip the faults do not explain is a bug, and the table shows them.
        for (const r of view.reasons) {
          const key = `resumed_after_${r.breaker}`;
          activity[key] = (activity[key] ?? 0) + 1;
        }
        lastDisturbanceMs = h.clock.now;
      }
    }

    if (!inFlight) {
      const sim = await readSim();
      await h.inObj((a) => checkPositions(sim, a));
    }
    if (step % 300 === 0)
      say(
        `soak seed ${opts.seed}: step ${step}, ${Math.round((Date.now() - started) / 1000)} s, faults ${JSON.stringify(faults)}${opts.floors ? `, failed writes ${failedWrites}` : ""}`,
      );
  }

  // ---------------------------------------------------------------- recovery and the end state
  if (episode) await episode.end();
  await control.clearFaults();
  await control.stallFeed(false);
  stalled = false;
  await historyControl("fault", { mode: "none" });
  if (halted) {
    await h.inObj((a) => a.resume());
    halted = false;
  }
  await settleClosed();
  lastDisturbanceMs = h.clock.now;
  // A quiet stretch: everything the faults left behind must be resolved by the bot itself.
  for (let i = 0; i < 30; i++) {
    await stepClock(STEP_MS);
    await runBot();
    const sim = await readSim();
    await h.inObj((a) => checkPositions(sim, a));
  }
  // Freeze the market: the simulator's traders stop changing it while the books are compared.
  await h.job("reconcile");
  await h.job("balance");
  await h.inObj((a) => a.settled());

  const sim = await readSim();
  const end = await h.inObj((a) => ({
    positions: a
      .positionViews()
      .map((p) => ({ ticker: p.ticker, side: p.side, contracts: p.contracts, cost: p.cost, fees: p.fees })),
    working: a.orders.workingOrders().map((o: Order) => ({ ...o })),
    balance: a.status().balance,
    trips: a.trades(100_000, undefined),
    journalOrders: a.orders.journal.recentOrders(100_000),
    diffs: a.orders.journal.diffs(1_000).map((d) => `${d.kind} ${d.ticker}: ${d.detail}`),
    held: a.orders.positions().map((h) => ({ ...h.position })),
  }));
  const simPositionsRaw = await control.positions();

  // Positions.
  const botPositions = new Map(
    end.positions.map((p) => [p.ticker, p.side === "yes" ? p.contracts : -p.contracts]),
  );
  for (const t of new Set([...botPositions.keys(), ...sim.positions.keys()])) {
    const mine = botPositions.get(t) ?? 0;
    const theirs = sim.positions.get(t) ?? 0;
    if (mine !== theirs)
      violate(
        "end state differs from the exchange",
        `position ${t}: bot ${mine / 100}, exchange ${theirs / 100} YES`,
      );
  }
  // Resting orders.
  const simResting = new Map(
    sim.orders
      .filter((o) => o.status === "resting")
      .map((o) => [String(o.client_order_id), parseCount(o.remaining_count_fp)]),
  );
  const botResting = new Map(end.working.map((o) => [o.clientOrderId, o.count - o.filled]));
  for (const cid of new Set([...simResting.keys(), ...botResting.keys()])) {
    if (simResting.get(cid) !== botResting.get(cid))
      violate(
        "end state differs from the exchange",
        `order ${cid}: bot ${botResting.get(cid) ?? "none"}, exchange ${simResting.get(cid) ?? "none"}`,
      );
  }
  // Balance: the exchange's, and explained by the bot's own books.
  const simBalance = parseMoney(
    (await control.balances()).find((b) => b.user !== "" && b.user.length > 0)?.balance_dollars ?? "0",
  );
  if (end.balance !== simBalance)
    violate(
      "end state differs from the exchange",
      `balance: bot ${formatMoney(end.balance ?? 0)}, exchange ${formatMoney(simBalance)}`,
    );
  const realized = end.trips.reduce((s, t) => s + t.pnl, 0);
  // An open position has paid its cost and fees so far, and may have sold part of itself already.
  const openOutlay = end.held.reduce((s, p) => s + p.cost + p.fees - p.realizedGross, 0);
  const explained = startBalance + realized - openOutlay;
  if (explained !== simBalance)
    violate(
      "end state differs from the exchange",
      `balance not explained by the bot's books: start ${formatMoney(startBalance)} + round trips ${formatMoney(realized)} - open positions (cost + fees - realized) ${formatMoney(openOutlay)} = ${formatMoney(explained)}, exchange ${formatMoney(simBalance)}; open ${JSON.stringify(end.positions)}; exchange positions ${JSON.stringify(simPositionsRaw.filter((p) => parseSignedCount(String(p.position_fp)) !== 0))}; differences ${JSON.stringify(end.diffs)}`,
    );

  // One intent, one order.
  const records = await control.ordersReceived();
  const creates = new Map<string, OrderRequestRecord[]>();
  for (const r of records) {
    if (r.method !== "POST" || r.path !== CREATE_PATH || !r.clientOrderId) continue;
    if (r.outcome !== "accepted" && r.outcome !== "lost") continue;
    creates.set(r.clientOrderId, [...(creates.get(r.clientOrderId) ?? []), r]);
  }
  for (const [cid, rs] of creates)
    if (rs.length > 1) violate("orders placed twice for one intent", `${cid}: created ${rs.length} times`);
  const intentsPerCid = new Map<string, number>();
  for (const o of end.journalOrders)
    intentsPerCid.set(o.clientOrderId, (intentsPerCid.get(o.clientOrderId) ?? 0) + 1);
  for (const [cid, n] of intentsPerCid)
    if (n > 1) violate("orders placed twice for one intent", `${cid}: ${n} intents share it`);

  // No entry reached the exchange inside a window where none may be decided.
  const purposeOf = new Map(end.journalOrders.map((o) => [o.clientOrderId, o.purpose]));
  for (const r of records) {
    if (r.method !== "POST" || r.path !== CREATE_PATH || !r.clientOrderId) continue;
    if (purposeOf.get(r.clientOrderId) !== "entry") continue;
    const w = forbidden.find((f) => r.tsMs > f.fromMs && r.tsMs <= f.toMs);
    if (w)
      violate(
        "entries on a stale book or while halted",
        `${r.clientOrderId} reached the exchange while ${w.why}`,
      );
  }

  // History: drain the outbox, then every local row is in Postgres once.
  let lastFlush = "";
  for (let i = 0; i < 50; i++) {
    const left = await h.inObj(async (a) => {
      lastFlush = JSON.stringify(await a.flushHistory());
      return a.outbox().unflushed;
    });
    if (left === 0) break;
  }
  const local = await runInDurableObject(h.stub, (_o, state) =>
    state.storage.sql
      .exec<{ tbl: string; key: string; flushed_ms: number | null; rejected: string | null }>(
        "SELECT tbl, key, flushed_ms, rejected FROM history",
      )
      .toArray()
      .map((r) => ({ ...r, key: sameKey(JSON.parse(r.key) as unknown[]) })),
  );
  activity.history_rows = local.length;
  for (const table of HISTORY_TABLES) {
    const mine = local.filter((r) => r.tbl === table);
    const stored = await storedRows(opts.history, table);
    const keys = new Map<string, number>();
    for (const row of stored) {
      const k = sameKey(CONFLICT_COLUMNS[table as HistoryTable].map((c) => row[c]));
      keys.set(k, (keys.get(k) ?? 0) + 1);
    }
    for (const r of mine) {
      if (r.rejected !== null)
        violate("history rows lost or duplicated", `${table} ${r.key}: refused (${r.rejected})`);
      else if (r.flushed_ms === null)
        violate(
          "history rows lost or duplicated",
          `${table} ${r.key}: never flushed (last flush: ${lastFlush})`,
        );
      const n = keys.get(r.key) ?? 0;
      if (n !== 1) violate("history rows lost or duplicated", `${table} ${r.key}: ${n} rows in Postgres`);
    }
    if (mine.length !== stored.length)
      say(
        `history ${table}: ${mine.length} rows in the bot, ${stored.length} in Postgres (last flush ${lastFlush}); first stored ${JSON.stringify(stored[0] ?? null).slice(0, 300)}; first local ${mine[0]?.key}`,
      );
    const localKeys = new Set(mine.map((r) => r.key));
    for (const k of keys.keys())
      if (!localKeys.has(k))
        violate("history rows lost or duplicated", `${table} ${k}: in Postgres, not in the bot`);
  }

  // Activity, from the bot's own records.
  activity.round_trips = end.trips.length;
  activity.positions_held_at_end = end.positions.length;
  for (const t of end.trips) {
    if (t.reason === "take_profit") activity.take_profits = (activity.take_profits ?? 0) + 1;
    else if (t.reason === "stop") activity.stops = (activity.stops ?? 0) + 1;
    else if (t.reason === "timeout") activity.timeouts = (activity.timeouts ?? 0) + 1;
    else activity.other_exits = (activity.other_exits ?? 0) + 1;
  }

  const observed = observedFaults(records, await control.counters());
  const result: Omit<SoakResult, "table"> = {
    seed: opts.seed,
    steps: step,
    simSeconds: step + 30,
    wallMs: Date.now() - started,
    faults,
    observed,
    activity,
    violations,
  };
  void account;
  return { ...result, table: renderTable(result) };
}

/** Fails instead of hanging: a bot that never settles is a finding, not a stuck run. */
async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A natural key comparable between the bot's store and Postgres (which rewrites timestamps). */
function sameKey(values: unknown[]): string {
  return JSON.stringify(
    values.map((v) =>
      typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) ? new Date(v).toISOString() : v,
    ),
  );
}

/** What the exchange saw of the faults: failed and lost order writes, dropped sockets. */
function observedFaults(
  records: OrderRequestRecord[],
  counters: Record<string, number>,
): Record<string, number> {
  const failedWrites = records.filter((r) => r.outcome === "fault" || r.outcome === "lost").length;
  return {
    [FAILED_WRITES]: failedWrites,
    "sockets dropped": counters.ws_drops ?? 0,
    "order writes received": records.length,
  };
}

/** Every row of a table in Postgres (the campaign emptied them at its start). */
async function storedRows(
  history: { url: string; serviceKey: string },
  table: string,
): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${history.url}/rest/v1/${table}?select=*`, {
    headers: { apikey: history.serviceKey, authorization: `Bearer ${history.serviceKey}` },
  });
  if (res.status !== 200) throw new Error(`reading ${table} from the history server: ${res.status}`);
  return (await res.json()) as Record<string, unknown>[];
}

export function renderTable(r: Omit<SoakResult, "table">): string {
  const rows: [string, string][] = [];
  rows.push(["seed", String(r.seed)]);
  rows.push(["steps (simulated seconds)", `${r.steps} (+30 quiet)`]);
  rows.push(["wall time", `${(r.wallMs / 1000).toFixed(1)} s`]);
  rows.push(["steps per wall second", (r.steps / (r.wallMs / 1000)).toFixed(2)]);
  const lines: string[] = [];
  const width = 52;
  const line = (k: string, v: string) => lines.push(`${k.padEnd(width)} ${v}`);
  lines.push("== soak");
  for (const [k, v] of rows) line(k, v);
  lines.push("== faults injected");
  for (const [k, v] of Object.entries(r.faults)) line(k, String(v));
  lines.push("== seen at the exchange");
  for (const [k, v] of Object.entries(r.observed)) line(k, String(v));
  lines.push("== trading");
  for (const [k, v] of Object.entries(r.activity)) line(k, String(v));
  lines.push("== invariants (violations)");
  for (const [k, v] of Object.entries(r.violations)) line(k, String(v.filter((x) => x !== "...").length));
  for (const [k, v] of Object.entries(r.violations)) for (const x of v) lines.push(`  ${k}: ${x}`);
  return lines.join("\n");
}
