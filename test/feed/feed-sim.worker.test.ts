/**
 * End-to-end tests of market data inside the account Durable Object, against the Kalshi simulator:
 * workerd, a real loopback WebSocket and real signed REST (the simulator is started by
 * `sim-global-setup.ts`). The account runs with its real ports (shared/book's frame handler,
 * shared/kalshi's REST client, the market catalogue); only its clock, randomness and universe
 * filters are set by the test, and the test drives heartbeats and jobs itself
 * (`test/support/account-harness.ts`). The simulator's clock is stepped, so the market makers' and
 * noise traders' deltas are deterministic, and `barrier()` (a command whose reply follows every
 * earlier frame) gives a quiesced moment to compare the books with the simulator's REST books.
 * One simulator serves the whole file: each case resets it first.
 */

import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { parseCount, parsePrice } from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { Account } from "../../workers/account/account.ts";
import type { BookDepth } from "../../workers/feed/ports.ts";
import { type AccountHarness, accountHarness } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);

/** Every open market with both sides quoted is watched: the e2e tests are about the books, not the filters. */
const CONFIG = {
  feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 } },
};

function setup(name: string) {
  const h = accountHarness(name, { config: CONFIG, restTimeoutMs: 1_000 });
  const boot = async () => {
    await stepSim(3); // the market makers quote on the first steps after a reset
    await h.install();
    await h.start();
    const s = await feed(h);
    expect(s.socket).toBe("open");
    expect(s.wanted.length).toBeGreaterThan(0);
    return s;
  };
  return { ...h, boot };
}

type Harness = ReturnType<typeof setup>;

const feed = (t: AccountHarness) => t.inObj((a) => a.feed.status());
const canEnter = (t: AccountHarness, ticker: string) => t.inObj((a) => a.feed.canEnter(ticker));
const depth = (t: AccountHarness, ticker: string) => t.inObj((a) => a.feed.bookDepth(ticker));

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
  const s = await feed(t);
  let compared = 0;
  for (const ticker of s.wanted) {
    const ours = await depth(t, ticker);
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

describe("market data against the simulator", () => {
  it("after thousands of random deltas holds exactly the simulator's books", async () => {
    const t = setup("e2e-books");
    await t.boot();
    for (const ticker of (await feed(t)).wanted) expect(await canEnter(t, ticker)).toBe(true);
    let deltas = 0;
    for (let round = 0; round < 20 && deltas < 3_000; round++) {
      await stepSim(25);
      await t.barrier();
      deltas = counter(await feed(t), "frames_orderbook_delta");
    }
    expect(deltas).toBeGreaterThanOrEqual(3_000);
    const s = await feed(t);
    expect(counter(s, "gaps")).toBe(0);
    expect(counter(s, "parse_failures")).toBe(0);
    expect(counter(s, "deltas_applied")).toBeGreaterThanOrEqual(3_000);
    await t.job("crossCheck"); // the streamed tops against REST, on a quiesced book
    const checked = (await t.status()).crossCheck;
    expect(checked.compared).toBeGreaterThan(0);
    expect(checked.mismatches).toBe(0);
    expect(await expectBooksEqual(t)).toBe(s.wanted.length);
  });
});

/** Records `canEnter` of every ticker a log line names (or every wanted one), at that instant, inside the object. */
function recordCanEnter(t: Harness, event: string): { ticker: string; canEnter: boolean }[] {
  const seen: { ticker: string; canEnter: boolean }[] = [];
  t.setOnLog((l, a: Account) => {
    if (l.event !== event) return;
    const named = l.data?.tickers;
    const tickers = Array.isArray(named) ? (named as string[]) : a.feed.wanted;
    for (const ticker of tickers) seen.push({ ticker, canEnter: a.feed.canEnter(ticker) });
  });
  return seen;
}

/** The close arrives over the network: poll the object (each call is I/O, no sleeping). */
async function untilClosed(t: Harness): Promise<void> {
  for (let i = 0; i < 200 && (await feed(t)).socket === "open"; i++) await control.state();
}

/** A resting bid joining the best YES bid of a market the feed holds: exactly one book delta. */
async function oneDelta(t: Harness): Promise<string> {
  const s = await feed(t);
  for (const ticker of s.wanted) {
    const book = await depth(t, ticker);
    const best = book?.yes[0];
    if (best) {
      await control.placeLiquidity(ticker, "bid", best.price, 100);
      return ticker;
    }
  }
  throw new Error("no book with a YES bid");
}

describe("market data recovers from the simulator's faults", () => {
  it("resyncs the book after a skipped seq, blocking entries until its snapshot", async () => {
    const t = setup("e2e-gap");
    await t.boot();
    const blocked = recordCanEnter(t, "feed.resync");
    await control.skipSeq(1);
    const ticker = await oneDelta(t);
    await t.barrier(); // the gap frame is handled and get_snapshot sent ...
    await t.barrier(); // ... and its snapshot has arrived
    const s = await feed(t);
    expect(counter(s, "gaps")).toBe(1);
    expect(counter(s, "resyncs_requested")).toBeGreaterThanOrEqual(1);
    expect(blocked).toContainEqual({ ticker, canEnter: false });
    expect(blocked.every((b) => !b.canEnter)).toBe(true);
    expect(await canEnter(t, ticker)).toBe(true);
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
    const s = await feed(t);
    expect(counter(s, "seq_repeats")).toBe(1);
    expect(blocked).toContainEqual({ ticker, canEnter: false });
    expect(await canEnter(t, ticker)).toBe(true);
    await expectBooksEqual(t);
  });

  it("reconnects a dropped socket after backoff with fresh snapshots, entries blocked while down", async () => {
    const t = setup("e2e-drop");
    const first = await t.boot();
    const ticker = first.wanted[0] as string;
    await control.dropWebSockets();
    await untilClosed(t);
    let s = await feed(t);
    expect(s.socket).toBe("closed");
    expect(await canEnter(t, ticker)).toBe(false);
    await stepSim(10); // the book moves while the bot is away
    t.clock.now += 1_000; // first backoff step (random 0: no jitter)
    await t.beat();
    s = await feed(t);
    expect(s.socket).toBe("open");
    expect(counter(s, "reconnects")).toBe(2);
    expect(s.subscriptions).toHaveLength(8);
    expect(await canEnter(t, ticker)).toBe(true);
    // The private channels may have missed events while down: no entry until a reconciliation.
    expect((await t.inObj((a) => a.entryBlockers(ticker))).map((c) => c.code)).toContain(
      "reconciliation_pending",
    );
    await t.job("reconcile");
    expect(await t.inObj((a) => a.entryBlockers(ticker))).toEqual([]);
    await expectBooksEqual(t);
  });

  it("probes a stalled feed, blocks entries once its books are too old, then reconnects", async () => {
    const t = setup("e2e-stall");
    const first = await t.boot();
    const ticker = first.wanted[0] as string;
    await control.stallFeed(true);
    await stepSim(10); // these deltas are lost
    const tick = () => t.inObj((a) => a.feed.tick());
    t.clock.now += 6_000;
    await tick(); // the orderbook sid quiet past quietProofMs: a proof, whose ok the stall drops too
    let s = await feed(t);
    expect(counter(s, "proofs_sent")).toBe(1);
    t.clock.now += 5_000;
    await tick(); // silent past probeAfterMs: probe (unanswered while stalled)
    s = await feed(t);
    expect(counter(s, "probes")).toBe(1);
    expect(counter(s, "proofs_confirmed")).toBe(0); // no proof keeps a stalled feed's books current
    expect(s.books.every((b) => !b.fresh)).toBe(true);
    // Regression: the overall flag stayed true for seconds after every book had gone stale.
    expect(s.entriesAllowed).toBe(false);
    expect(await canEnter(t, ticker)).toBe(false);
    await control.stallFeed(false);
    t.clock.now += 5_000;
    await tick(); // probe unanswered: a new socket, resubscribed with fresh snapshots
    await t.barrier();
    s = await feed(t);
    expect(t.logs).toContainEqual({ event: "feed.reconnect", data: { reason: "probe unanswered" } });
    expect(s.socket).toBe("open");
    expect(s.breaker.tripped).toBe(false);
    expect(await canEnter(t, ticker)).toBe(true);
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
    // closes it first here. There is no pre-eviction hook to do it from (account-object.ts).
    await t.inObj((a) => a.feed.dropSocket("evicting"));
    await untilClosed(t);
    await evictDurableObject(t.stub);
    const s = await feed(t);
    expect(s.running).toBe(true);
    expect(s.wanted).toEqual(first.wanted);
    expect(s.socket).toBe("idle");
    expect(s.books.every((b) => !b.fresh)).toBe(true);
    expect(await canEnter(t, ticker)).toBe(false);
    await stepSim(10);
    await t.install(); // the new instance gets the test clock again; persisted state is kept
    await t.job("universe"); // market info (grids) is memory: the new instance loads it first
    await t.beat();
    const after = await feed(t);
    expect(after.socket).toBe("open");
    expect(after.subscriptions).toHaveLength(8); // replayed from the persisted wanted set
    expect(counter(after, "snapshots_applied")).toBe(first.wanted.length);
    expect(await canEnter(t, ticker)).toBe(true);
    await expectBooksEqual(t);
  });
});
