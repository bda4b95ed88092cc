/**
 * The account object's read RPCs the admin API relies on (`order`, `workingOrders`,
 * `equityMarks`, `reviewDifference`), in workerd: state is written straight into the object's
 * SQLite through the `INTERNALS` seam (journal orders, reconciliation differences, equity marks),
 * then read back over the typed stub and through the routes that use them. No simulator: none of
 * these reaches the exchange (a finished order is refused before any request is sent).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Account } from "../../workers/account/account.ts";
import { type AccountObject, INTERNALS } from "../../workers/account/account-object.ts";
import { EQUITY_WINDOW_MS, loadDashboard } from "../../workers/admin/dashboard-data.ts";
import type { ReconDiff } from "../../workers/executor/journal.ts";
import { journalOrder } from "../../workers/executor/test-support.ts";
import { accountName, adminEnv, call, json } from "./admin-support.ts";

const T0 = 1_795_000_000_000;

interface ErrorBody {
  error: string;
  message: string;
  state?: string;
  reviewedMs?: number;
}

/** The admin env, the account's stub and a way to write into its SQLite, for account `name`. */
function account(name: string) {
  const stub = env.ACCOUNT.getByName(accountName(name));
  const seed = <T>(fn: (a: Account) => T) =>
    runInDurableObject(stub, (o: AccountObject) => fn(o[INTERNALS]().account));
  return { e: adminEnv(name), stub, seed };
}

/** `n` finished orders created after `fromMs`, one millisecond apart. */
function finishedOrders(n: number, fromMs: number) {
  return Array.from({ length: n }, (_, i) =>
    journalOrder({
      intentId: `done-${i}`,
      orderId: `ord-done-${i}`,
      state: i % 2 === 0 ? "filled" : "cancelled",
      ack: "accepted",
      createdMs: fromMs + 1 + i,
      updatedMs: fromMs + 1 + i,
    }),
  );
}

function diff(id: string, atMs: number): ReconDiff {
  return {
    id,
    atMs,
    kind: "unknown_order",
    ticker: "KXTEST-26MAY01-T50",
    detail: "an order at the exchange the journal never placed",
    blocking: true,
    reviewedMs: null,
  };
}

describe("order(intentId)", () => {
  it("returns the journal's order without its create body, and null for an id it never had", async () => {
    const a = account("rpc-order");
    await a.seed((acc) =>
      acc.orders.journal.insertOrder(
        journalOrder({
          intentId: "i-one",
          orderId: "ord-one",
          state: "partially_filled",
          ack: "accepted",
          filled: 400,
          body: '{"secret-ish":"raw create body"}',
        }),
      ),
    );
    const o = await a.stub.order("i-one");
    expect(o).toMatchObject({
      intentId: "i-one",
      orderId: "ord-one",
      state: "partially_filled",
      filled: 400,
    });
    expect(o).not.toHaveProperty("body");
    expect(await a.stub.order("i-none")).toBeNull();
  });

  // Regression: the cancel route looked the order up among the 500 newest and called an older
  // finished order unknown (404).
  it("lets cancel tell an unknown order (404) from a finished one older than the 500 newest (409)", async () => {
    const a = account("rpc-cancel");
    await a.seed((acc) => {
      const j = acc.orders.journal;
      j.insertOrder(
        journalOrder({
          intentId: "i-old",
          orderId: "ord-old",
          state: "expired",
          ack: "accepted",
          createdMs: T0,
        }),
      );
      for (const o of finishedOrders(500, T0)) j.insertOrder(o);
    });
    const old = await json<ErrorBody>(call(a.e, "/api/orders/i-old/cancel", { method: "POST" }));
    expect(old).toEqual({
      status: 409,
      body: {
        error: "order_not_working",
        message: "order i-old is expired: nothing to cancel",
        state: "expired",
      },
    });
    const unknown = await json<ErrorBody>(call(a.e, "/api/orders/i-never/cancel", { method: "POST" }));
    expect(unknown).toEqual({
      status: 404,
      body: { error: "order_not_found", message: "no order i-never in the journal" },
    });
    // Refusing changed nothing.
    expect((await a.stub.order("i-old"))?.state).toBe("expired");
  });
});

describe("workingOrders()", () => {
  it("lists every order not yet terminal, however many finished ones are newer, newest first", async () => {
    const a = account("rpc-working");
    await a.seed((acc) => {
      const j = acc.orders.journal;
      j.insertOrder(
        journalOrder({
          intentId: "i-resting",
          orderId: "ord-r",
          state: "resting",
          ack: "accepted",
          createdMs: T0,
        }),
      );
      for (const o of finishedOrders(500, T0)) j.insertOrder(o);
      j.insertOrder(
        journalOrder({ intentId: "i-pending", state: "pending", ack: "unknown", createdMs: T0 + 600 }),
      );
      j.insertOrder(
        journalOrder({
          intentId: "i-partial",
          orderId: "ord-p",
          state: "partially_filled",
          ack: "accepted",
          filled: 100,
          createdMs: T0 + 700,
        }),
      );
    });
    const working = await a.stub.workingOrders();
    expect(working.map((o) => [o.intentId, o.state])).toEqual([
      ["i-partial", "partially_filled"],
      ["i-pending", "pending"],
      ["i-resting", "resting"],
    ]);
    expect(working.some((o) => "body" in o)).toBe(false);

    // The dashboard's open-orders panel lists exactly these (the resting one is behind 500 finished).
    const d = await loadDashboard(a.stub, T0 + 1_000);
    expect(d.workingOrders.map((o) => o.intentId)).toEqual(["i-partial", "i-pending", "i-resting"]);
    const html = await (await call(a.e, "/api/dashboard")).text();
    expect([...html.matchAll(/data-order="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "i-partial",
      "i-pending",
      "i-resting",
    ]);
  });
});

describe("equityMarks(sinceMs, untilMs)", () => {
  it("returns the marks from sinceMs (inclusive) to untilMs (exclusive), oldest first", async () => {
    const a = account("rpc-marks");
    await a.seed((acc) => {
      for (const [at, eq] of [
        [T0 + 300_000, 101_000_000],
        [T0, 100_000_000],
        [T0 + 600_000, 99_500_000],
        [T0 + 900_000, 102_000_000],
      ] as const)
        acc.ledger.equityMark(at, eq);
    });
    expect(await a.stub.equityMarks(T0, T0 + 900_000)).toEqual([
      { atMs: T0, equity: 100_000_000 },
      { atMs: T0 + 300_000, equity: 101_000_000 },
      { atMs: T0 + 600_000, equity: 99_500_000 },
    ]);
    expect(await a.stub.equityMarks(T0 + 1, T0 + 300_001)).toEqual([
      { atMs: T0 + 300_000, equity: 101_000_000 },
    ]);
    expect(await a.stub.equityMarks(T0 + 900_001, T0 + 10_000_000)).toEqual([]);
  });

  it("holds each snapshot's cash plus positions, and feeds the dashboard's chart for the last 24 h", async () => {
    const a = account("rpc-equity");
    await a.seed((acc) => acc.orders.journal.setState({ balance: 250_000_000, balance_ms: T0 }));
    const snap = await a.stub.snapshot();
    expect(await a.stub.equityMarks(snap.takenMs, snap.takenMs + 1)).toEqual([
      { atMs: snap.takenMs, equity: snap.cash + snap.portfolioValue },
    ]);
    expect(snap.cash + snap.portfolioValue).toBe(250_000_000);

    const now = snap.takenMs;
    await a.seed((acc) => {
      acc.ledger.equityMark(now - EQUITY_WINDOW_MS - 1, 1); // a day and a millisecond ago: left out
      acc.ledger.equityMark(now - EQUITY_WINDOW_MS, 240_000_000);
      acc.ledger.equityMark(now - 3_600_000, 245_000_000);
    });
    const d = await loadDashboard(a.stub, now);
    expect(d.equity).toEqual([
      { atMs: now - EQUITY_WINDOW_MS, equity: 240_000_000 },
      { atMs: now - 3_600_000, equity: 245_000_000 },
      { atMs: now, equity: 250_000_000 },
    ]);
  });
});

describe("reviewDifference(id)", () => {
  it("tells an unknown difference from one it reviews now and one reviewed before", async () => {
    const a = account("rpc-review");
    await a.seed((acc) => acc.orders.journal.insertDiff(diff("d-1", T0)));
    expect((await a.stub.status()).reconcile.openDifferences).toBe(1);

    expect(await a.stub.reviewDifference("d-none")).toEqual({
      found: false,
      reviewed: false,
      reviewedMs: null,
    });
    const first = await a.stub.reviewDifference("d-1");
    expect(first).toEqual({ found: true, reviewed: true, reviewedMs: expect.any(Number) });
    // Reviewed: it no longer blocks entries.
    expect((await a.stub.status()).reconcile.openDifferences).toBe(0);
    expect(await a.stub.reconciliationDifferences(true)).toEqual([]);
    const stored = (await a.stub.reconciliationDifferences(false)).find((x) => x.id === "d-1");
    expect(stored?.reviewedMs).toBe(first.reviewedMs);

    expect(await a.stub.reviewDifference("d-1")).toEqual({
      found: true,
      reviewed: false,
      reviewedMs: first.reviewedMs,
    });
  });

  // Regression: the route looked a difference up among the 200 newest to tell 409 from 404.
  it("answers 200, then 409 with when, for a difference older than the 200 newest, and 404 for none", async () => {
    const a = account("rpc-review-route");
    await a.seed((acc) => {
      const j = acc.orders.journal;
      j.insertDiff(diff("d-old", T0));
      for (let i = 0; i < 200; i++) j.insertDiff({ ...diff(`d-new-${i}`, T0 + 1 + i), blocking: false });
    });
    const ok = await json<{ ok: boolean; id: string; reviewedMs: number }>(
      call(a.e, "/api/reconciliation/d-old/review", { method: "POST" }),
    );
    expect(ok).toEqual({ status: 200, body: { ok: true, id: "d-old", reviewedMs: expect.any(Number) } });
    const again = await json<ErrorBody>(call(a.e, "/api/reconciliation/d-old/review", { method: "POST" }));
    expect(again).toEqual({
      status: 409,
      body: {
        error: "difference_already_reviewed",
        message: "difference d-old was reviewed already",
        reviewedMs: ok.body.reviewedMs,
      },
    });
    const none = await json<ErrorBody>(call(a.e, "/api/reconciliation/d-none/review", { method: "POST" }));
    expect(none).toEqual({
      status: 404,
      body: { error: "difference_not_found", message: "no reconciliation difference d-none" },
    });
  });
});
