/**
 * End-to-end tests of the order path inside the account Durable Object, against the Kalshi
 * simulator over real signed REST and a real loopback WebSocket (workerd). Every create fault the
 * simulator can inject (5xx, 429, a request that times out, an answer lost by dropping the
 * connection or never sending it) and a restart between the journal write and the answer must end
 * with exactly one accepted order per intent in the simulator's own log of what it received.
 * The exits, reconciliation and the order group cap are in `exits-sim.worker.test.ts`.
 *
 * The account's clock starts at the simulator's and moves with it, so the exchange's timestamps
 * and the journal's are comparable, as they are in production.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Intent } from "../../shared/domain.ts";
import { snapForBuy } from "../../shared/kalshi/tick-grid.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { OrderRequestRecord } from "../../sim/server/faults.ts";
import { accountHarness, hangingCreates } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);
const CREATE_PATH = "/portfolio/events/orders";

/** Every open market with both sides quoted is watched. */
const CONFIG = {
  feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 } },
  executor: { unknown: { resendBaseMs: 1_000, entryResendWindowMs: 60_000 } },
};

async function simNow(): Promise<number> {
  return (await control.state()).now_ms;
}

function setup(name: string) {
  const h = accountHarness(name, { config: CONFIG, restTimeoutMs: 1_500 });
  /** Steps the simulator and the account's clock together. */
  const step = async (ms: number) => {
    await control.step(ms);
    h.clock.now = await simNow();
  };
  const boot = async () => {
    for (let i = 0; i < 3; i++) await control.step(1_000); // the market makers quote
    h.clock.now = await simNow();
    await h.install();
    await h.start();
    await h.job("reconcile");
    const blockers = await h.inObj((a) => a.entryBlockers());
    expect(blockers).toEqual([]);
  };
  /** A watched market with a fresh book and both sides quoted, with its grid and best bids. */
  const market = () =>
    h.inObj((a) => {
      for (const t of a.feed.wanted) {
        const b = a.feed.book(t);
        const m = a.market(t);
        if (b?.fresh && m && b.top.yesBid !== null && b.top.noBid !== null && b.top.yesBid >= 1_000)
          return { ticker: t, grid: m.grid, top: b.top };
      }
      throw new Error("no fresh two-sided market");
    });
  /** After a rebuild (a new instance): load the markets, connect, reconcile. */
  const reopen = async () => {
    await h.job("universe");
    await h.beat();
    await h.job("reconcile");
  };
  const submit = (intent: Intent) => h.inObj((a) => a.submitManual(intent));
  const order = (intentId: string) => h.inObj((a) => a.orders.journal.order(intentId));
  /** Runs the unknown-order resolution until the order is no longer pending (clock moved past each wait). */
  const resolve = async (intentId: string) => {
    for (let i = 0; i < 12; i++) {
      const o = await order(intentId);
      if (o?.state !== "pending") return o;
      await step(2_000);
      await h.job("resolve");
    }
    return order(intentId);
  };
  return { ...h, step, boot, reopen, market, submit, order, resolve };
}

/** A resting bid for one YES contract well below the best bid: it will not fill. */
function restingBid(ticker: string, price: number): Intent {
  return {
    ticker,
    side: "yes",
    action: "buy",
    price,
    count: 100,
    purpose: "manual",
    tif: "good_till_canceled",
    postOnly: true,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    reason: "test",
  };
}

/** Creates the simulator carried out for this client order id (an answer it then lost included). */
function acceptedCreates(records: OrderRequestRecord[], clientOrderId: string): OrderRequestRecord[] {
  return records.filter(
    (r) =>
      r.method === "POST" &&
      r.clientOrderId === clientOrderId &&
      (r.outcome === "accepted" || r.outcome === "lost"),
  );
}

beforeEach(async () => {
  await control.reset();
});

describe("one intent, one order, whatever happens to the create", () => {
  it.each<[string, (c: SimControlClient) => Promise<unknown>]>([
    ["a 503", (c) => c.addFailure({ kind: "5xx", next: 1, pathPrefix: CREATE_PATH, method: "POST" })],
    ["a 429", (c) => c.addFailure({ kind: "429", next: 1, pathPrefix: CREATE_PATH, method: "POST" })],
    [
      "a request that times out",
      (c) => c.addFailure({ kind: "timeout", next: 1, pathPrefix: CREATE_PATH, method: "POST" }),
    ],
    ["an accepted order whose answer is dropped", (c) => c.loseResponses(1, "drop")],
    ["an accepted order whose answer never comes", (c) => c.loseResponses(1, "timeout")],
  ])(
    "after %s the exchange holds exactly one order for the intent, and the journal knows it",
    async (_name, fault) => {
      const t = setup(`once-${_name.replace(/\W+/g, "-")}`);
      await t.boot();
      const m = await t.market();
      const price = snapForBuy(m.grid, Math.max(100, (m.top.yesBid ?? 0) - 500)) as number;
      await fault(control);
      const r = await t.submit(restingBid(m.ticker, price));
      if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
      await t.inObj((a) => a.settled()); // let the first send finish (or fail)
      const o = await t.resolve(r.intentId);
      expect(o?.state).toBe("resting");
      expect(o?.orderId).not.toBeNull();
      const records = await control.ordersReceived();
      const accepted = acceptedCreates(records, o?.clientOrderId ?? "");
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.orderId).toBe(o?.orderId);
      // The simulator holds it once, resting, at our price.
      const resting = (await control.orders()).filter((x) => x.client_order_id === o?.clientOrderId);
      expect(resting).toHaveLength(1);
      expect(resting[0]?.status).toBe("resting");
    },
  );

  it("a restart between the journal write and the answer resends the same body once, and ends with one order", async () => {
    const t = setup("once-restart");
    await t.boot();
    const m = await t.market();
    const price = snapForBuy(m.grid, Math.max(100, (m.top.yesBid ?? 0) - 500)) as number;
    // The request reaches the exchange, but this instance dies before it hears the answer.
    await t.install({ rest: hangingCreates() });
    await t.reopen();
    await control.stallFeed(true); // and nothing reaches it over the socket either (user_order, fill)
    const r = await t.submit(restingBid(m.ticker, price));
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    const cid = (await t.order(r.intentId))?.clientOrderId ?? "";
    for (let i = 0; i < 100 && acceptedCreates(await control.ordersReceived(), cid).length === 0; i++);
    expect(acceptedCreates(await control.ordersReceived(), cid)).toHaveLength(1);
    expect((await t.order(r.intentId))?.ack).toBe("unsent");
    await control.stallFeed(false);
    await t.install(); // a new instance: only the journal survives
    await t.reopen();
    const o = await t.resolve(r.intentId);
    expect(o?.state).toBe("resting");
    const records = await control.ordersReceived();
    expect(acceptedCreates(records, cid)).toHaveLength(1);
    // Nothing was created twice: the new instance found it (reconciliation, or a resend's 409).
    expect(
      records.filter((x) => x.clientOrderId === cid && x.status < 300 && x.outcome !== "lost"),
    ).toHaveLength(1);
    expect((await control.orders()).filter((x) => x.client_order_id === cid)).toHaveLength(1);
  });

  it("an order whose creates kept timing out goes out again within 4 s of the exchange answering, however long the outage", async () => {
    const t = setup("once-long-outage");
    await t.boot();
    const m = await t.market();
    const price = snapForBuy(m.grid, Math.max(100, (m.top.yesBid ?? 0) - 500)) as number;
    await control.addFailure({ kind: "timeout", share: 1, pathPrefix: CREATE_PATH, method: "POST" });
    const r = await t.submit(restingBid(m.ticker, price));
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    await t.inObj((a) => a.settled());
    // The outage: every send times out, until four have (the waits grow 1, 2, 4 s, and then stay
    // at 4 s rather than 8); then the exchange answers again.
    let outageOverMs = 0;
    for (let i = 0; i < 30; i++) {
      const o = await t.order(r.intentId);
      if (o?.sends === 4 && o.state === "pending" && o.ack === "unknown") {
        await control.clearFaults();
        outageOverMs = await simNow();
        break;
      }
      await t.step(1_000);
      await t.job("resolve");
    }
    expect(outageOverMs, "the order never reached its fourth failed send").toBeGreaterThan(0);
    let restingAfterMs: number | null = null;
    for (let i = 0; i < 20; i++) {
      await t.step(1_000);
      await t.job("resolve");
      if ((await t.order(r.intentId))?.state === "resting") {
        restingAfterMs = (await simNow()) - outageOverMs;
        break;
      }
    }
    expect(restingAfterMs).not.toBeNull();
    expect(restingAfterMs).toBeLessThanOrEqual(4_000);
    const cid = (await t.order(r.intentId))?.clientOrderId ?? "";
    expect(acceptedCreates(await control.ordersReceived(), cid)).toHaveLength(1);
  });
});
