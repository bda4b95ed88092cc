/**
 * End-to-end tests of the feed Durable Object against the Kalshi simulator, inside workerd, over a
 * real loopback WebSocket and real signed REST (the simulator is started by
 * `sim-global-setup.ts`). The object runs with its real ports (shared/book's frame handler,
 * shared/kalshi's REST client); only its liveness clock, randomness and universe filters are set
 * by the test. The simulator's clock is stepped, so the market makers' and noise traders' deltas
 * are deterministic, and `barrier()` (a command whose reply follows every earlier frame) gives a
 * quiesced moment to compare the object's books with the simulator's REST order books.
 * One simulator serves the whole file: each case resets it first.
 */

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { parseCount, parsePrice } from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { AccountObject } from "../../workers/account/account-object.ts";
import { lazySigner, restClientFor } from "../../workers/feed/feed-adapters.ts";
import { FeedConfig } from "../../workers/feed/feed-config.ts";
import type { BookDepth } from "../../workers/feed/ports.ts";
import { kalshiRestPort } from "../../workers/feed/rest-port.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);

/** Every open market with both sides quoted qualifies: the e2e tests are about the books, not the filters. */
const CONFIG = FeedConfig.parse({
  universe: {
    minFavouritePrice: 0,
    minBestBidDepth: 0,
    minVolume24h: 0,
    maxSpread: 10_000,
    targetOffset: 0,
    maxTargetPrice: 10_000,
    exitWindowMs: 0,
    maxMarkets: 50,
  },
});

interface LogLine {
  event: string;
  data: Record<string, unknown> | undefined;
}

function setup(name: string) {
  const stub = env.ACCOUNT.getByName(name);
  const clock = { now: 1_000_000 };
  const logs: LogLine[] = [];
  /** Called on every log line, inside the object, with the runtime at that instant. */
  let onLog: ((l: LogLine, o: AccountObject) => void) | undefined;
  const install = () =>
    runInDurableObject(stub, (o: AccountObject) =>
      o.__useDeps({
        // The real REST port; a short request timeout because each request's AbortSignal.timeout
        // timer keeps the object from being evicted until it expires (10 s by default).
        rest: kalshiRestPort(
          restClientFor(env, lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), { timeoutMs: 1_000 }),
          { nowMs: () => Date.now(), log: () => {} },
        ),
        config: CONFIG,
        nowMs: () => clock.now,
        random: () => 0,
        log: (event, data) => {
          const l = { event, data };
          logs.push(l);
          onLog?.(l, o);
        },
      }),
    );
  /** Resolves when the object has handled every frame the simulator sent so far. */
  const barrier = () => runInDurableObject(stub, (o: AccountObject) => o.__runtime().barrier());
  /**
   * One heartbeat, awaited to the end (REST included). The tests drive the runtime's `tick`
   * themselves instead of the alarm: an alarm armed for "now" fires on its own in workerd, and
   * the test could not tell when its REST calls finish.
   */
  const beat = async () => {
    await runInDurableObject(stub, (o: AccountObject) => o.__runtime().tick());
    await barrier();
  };
  const boot = async () => {
    await stepSim(3); // the market makers quote on the first steps after a reset
    await install();
    await runInDurableObject(stub, (o: AccountObject) => o.__runtime().start());
    await beat();
    const s = await stub.status();
    expect(s.socket).toBe("open");
    expect(s.wanted.length).toBeGreaterThan(0);
    return s;
  };
  return {
    stub,
    clock,
    logs,
    install,
    barrier,
    beat,
    boot,
    setOnLog: (f: typeof onLog) => {
      onLog = f;
    },
  };
}

type Harness = ReturnType<typeof setup>;

/** The simulator's book over public REST, in the shape of `bookDepth` (best first, NO in NO-leg prices). */
async function simBook(ticker: string): Promise<BookDepth> {
  const res = await fetch(
    `${env.KALSHI_SIM_URL}/trade-api/v2/markets/${encodeURIComponent(ticker)}/orderbook`,
  );
  const body = (await res.json()) as { orderbook_fp: { yes_dollars: string[][]; no_dollars: string[][] } };
  const conv = (levels: string[][]) =>
    levels.map(([p, c]) => ({ price: parsePrice(p), size: parseCount(c) })).sort((a, b) => b.price - a.price);
  return { yes: conv(body.orderbook_fp.yes_dollars), no: conv(body.orderbook_fp.no_dollars) };
}

/** Asserts every wanted book equals the simulator's, level for level; returns how many were compared. */
async function expectBooksEqual(t: Harness): Promise<number> {
  const s = await t.stub.status();
  let compared = 0;
  for (const ticker of s.wanted) {
    const ours = await t.stub.bookDepth(ticker);
    const theirs = await simBook(ticker);
    expect({ ticker, book: ours }).toEqual({ ticker, book: theirs });
    compared++;
  }
  return compared;
}

/** Steps the simulator's clock (the participants trade and requote on each step). */
async function stepSim(steps: number, ms = 1_000): Promise<void> {
  for (let i = 0; i < steps; i++) await control.step(ms);
}

function counter(s: { counters: Record<string, number> }, k: string): number {
  return s.counters[k] ?? 0;
}

beforeEach(async () => {
  await control.reset();
});

describe("feed object against the simulator", () => {
  it("after thousands of random deltas holds exactly the simulator's books", async () => {
    const t = setup("e2e-books");
    await t.boot();
    for (const ticker of (await t.stub.status()).wanted) expect(await t.stub.canEnter(ticker)).toBe(true);
    let deltas = 0;
    for (let round = 0; round < 20 && deltas < 3_000; round++) {
      await stepSim(25);
      await t.barrier();
      deltas = counter(await t.stub.status(), "frames_orderbook_delta");
    }
    expect(deltas).toBeGreaterThanOrEqual(3_000);
    const s = await t.stub.status();
    expect(counter(s, "gaps")).toBe(0);
    expect(counter(s, "parse_failures")).toBe(0);
    expect(counter(s, "deltas_applied")).toBeGreaterThanOrEqual(3_000);
    expect(counter(s, "cross_checks")).toBeGreaterThan(0);
    expect(counter(s, "cross_check_mismatches")).toBe(0);
    expect(await expectBooksEqual(t)).toBe(s.wanted.length);
  });
});

/** Records `canEnter` of every ticker a log line names (or every wanted one), at that instant, inside the object. */
function recordCanEnter(t: Harness, event: string): { ticker: string; canEnter: boolean }[] {
  const seen: { ticker: string; canEnter: boolean }[] = [];
  t.setOnLog((l, o) => {
    if (l.event !== event) return;
    const named = l.data?.tickers;
    const tickers = Array.isArray(named) ? (named as string[]) : o.__runtime().status().wanted;
    for (const ticker of tickers) seen.push({ ticker, canEnter: o.canEnter(ticker) });
  });
  return seen;
}

/** The close arrives over the network: poll the object (each call is I/O, no sleeping). */
async function untilClosed(t: Harness): Promise<void> {
  for (let i = 0; i < 200 && (await t.stub.status()).socket === "open"; i++) await control.state();
}

/** A resting bid joining the best YES bid of a market the feed holds: exactly one book delta. */
async function oneDelta(t: Harness): Promise<string> {
  const s = await t.stub.status();
  for (const ticker of s.wanted) {
    const book = await t.stub.bookDepth(ticker);
    const best = book?.yes[0];
    if (best) {
      await control.placeLiquidity(ticker, "bid", best.price, 100);
      return ticker;
    }
  }
  throw new Error("no book with a YES bid");
}

describe("feed object recovers from the simulator's faults", () => {
  it("resyncs the book after a skipped seq, blocking entries until its snapshot", async () => {
    const t = setup("e2e-gap");
    await t.boot();
    const blocked = recordCanEnter(t, "feed.resync");
    await control.skipSeq(1);
    const ticker = await oneDelta(t);
    await t.barrier(); // the gap frame is handled and get_snapshot sent ...
    await t.barrier(); // ... and its snapshot has arrived
    const s = await t.stub.status();
    expect(counter(s, "gaps")).toBe(1);
    expect(counter(s, "resyncs_requested")).toBeGreaterThanOrEqual(1);
    expect(blocked).toContainEqual({ ticker, canEnter: false });
    expect(blocked.every((b) => !b.canEnter)).toBe(true);
    expect(await t.stub.canEnter(ticker)).toBe(true);
    await stepSim(20);
    await t.barrier();
    await expectBooksEqual(t);
  });

  it("resyncs after a repeated seq and the duplicate delta is not applied twice", async () => {
    const t = setup("e2e-repeat");
    await t.boot();
    const blocked = recordCanEnter(t, "feed.resync");
    await control.repeatSeq(1);
    const ticker = await oneDelta(t);
    await t.barrier();
    await t.barrier();
    const s = await t.stub.status();
    expect(counter(s, "seq_repeats")).toBe(1);
    expect(blocked).toContainEqual({ ticker, canEnter: false });
    expect(await t.stub.canEnter(ticker)).toBe(true);
    await expectBooksEqual(t);
  });

  it("reconnects a dropped socket after backoff with fresh snapshots, entries blocked while down", async () => {
    const t = setup("e2e-drop");
    const first = await t.boot();
    const ticker = first.wanted[0] as string;
    await control.dropWebSockets();
    await untilClosed(t);
    let s = await t.stub.status();
    expect(s.socket).toBe("closed");
    expect(await t.stub.canEnter(ticker)).toBe(false);
    await stepSim(10); // the book moves while the bot is away
    t.clock.now += 1_000; // first backoff step (random 0: no jitter)
    await t.beat();
    s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(counter(s, "reconnects")).toBe(2);
    expect(counter(s, "reconciles")).toBe(2); // private channels reconciled over REST after the reconnect
    expect(s.subscriptions).toHaveLength(7);
    expect(await t.stub.canEnter(ticker)).toBe(true);
    await expectBooksEqual(t);
  });

  it("probes a stalled feed, blocks entries once its books are too old, then reconnects", async () => {
    const t = setup("e2e-stall");
    const first = await t.boot();
    const ticker = first.wanted[0] as string;
    await control.stallFeed(true);
    await stepSim(10); // these deltas are lost
    const tick = () => runInDurableObject(t.stub, (o: AccountObject) => o.__runtime().tick());
    t.clock.now += 6_000;
    await tick(); // the orderbook sid quiet past quietProofMs: a proof, whose ok the stall drops too
    let s = await t.stub.status();
    expect(counter(s, "proofs_sent")).toBe(1);
    t.clock.now += 5_000;
    await tick(); // silent past probeAfterMs: probe (unanswered while stalled)
    s = await t.stub.status();
    expect(counter(s, "probes")).toBe(1);
    expect(counter(s, "proofs_confirmed")).toBe(0); // no proof keeps a stalled feed's books current
    expect(s.books.every((b) => !b.fresh)).toBe(true);
    expect(await t.stub.canEnter(ticker)).toBe(false);
    await control.stallFeed(false);
    t.clock.now += 5_000;
    await tick(); // probe unanswered: a new socket, resubscribed with fresh snapshots
    await t.barrier();
    s = await t.stub.status();
    expect(t.logs).toContainEqual({ event: "feed.reconnect", data: { reason: "probe unanswered" } });
    expect(s.socket).toBe("open");
    expect(s.breaker.tripped).toBe(false);
    expect(await t.stub.canEnter(ticker)).toBe(true);
    await stepSim(10);
    await t.barrier();
    await expectBooksEqual(t);
  });

  it("after an eviction restores the persisted state and rebuilds books from snapshots before trading", async () => {
    const t = setup("e2e-evict");
    const first = await t.boot();
    const ticker = first.wanted[0] as string;
    await stepSim(10);
    await t.barrier();
    // workerd will not evict an object holding an outbound WebSocket ("still has active
    // references", even with webSockets: "close"); a real restart drops it anyway, so the object
    // closes it first here. There is no pre-eviction hook to do it from (feed-object.ts).
    await runInDurableObject(t.stub, (o: AccountObject) => o.__runtime().dropSocket("evicting"));
    await untilClosed(t);
    await evictDurableObject(t.stub);
    const s = await t.stub.status();
    expect(s.running).toBe(true);
    expect(s.wanted).toEqual(first.wanted);
    expect(s.socket).toBe("idle");
    expect(s.books.every((b) => !b.fresh)).toBe(true);
    expect(await t.stub.canEnter(ticker)).toBe(false);
    await stepSim(10);
    await t.install(); // the new instance gets the test clock again; persisted state is kept
    await t.beat();
    const after = await t.stub.status();
    expect(after.socket).toBe("open");
    expect(after.subscriptions).toHaveLength(7); // replayed from the persisted wanted set
    expect(counter(after, "snapshots_applied")).toBe(first.wanted.length);
    expect(await t.stub.canEnter(ticker)).toBe(true);
    await expectBooksEqual(t);
  });
});
