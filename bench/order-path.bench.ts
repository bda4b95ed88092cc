/**
 * The order path's own costs on the hot path (issue: "the cost of the journal write per intent and
 * of one state-machine event, next to the signature cost"): a real `OrderPath` over SQLite
 * (`node:sqlite` standing in for the Durable Object's, `node-sql.ts`) with the real history rows.
 *
 * - journal write per intent: `submit` up to the moment the request is handed to the REST client
 *   (the order row and its history row in one transaction); the request itself is answered at once
 *   by a stand-in and not timed.
 * - one state-machine event: the pure fold (`applyOrderEvent`), and the same event as the order
 *   path applies it to a journaled order (fold + row update + history row, one transaction).
 */
import type { Intent, MarketInfo } from "../shared/domain.ts";
import { parseTickGrid } from "../shared/kalshi/tick-grid.ts";
import { sqlHistory } from "../workers/account/history-recorder.ts";
import { DEFAULT_EXECUTOR_CONFIG } from "../workers/executor/config.ts";
import type { JournalOrder } from "../workers/executor/journal.ts";
import { OrderPath, type OrderRest } from "../workers/executor/order-path.ts";
import { applyOrderEvent } from "../workers/executor/order-state.ts";
import { ensureHistorySchema } from "../workers/history/store.ts";
import { atMost, info, timeSync } from "./harness.ts";
import { nodeSqlStorage } from "./node-sql.ts";
import type { BenchResult } from "./types.ts";

const NOW = 1_795_000_000_000;
const GRID = parseTickGrid([{ start: "0.0000", end: "1.0000", step: "0.0100" }]);

function market(ticker: string): MarketInfo {
  return {
    ticker,
    eventTicker: "EV",
    seriesTicker: "S",
    status: "active",
    openTimeMs: 0,
    closeTimeMs: NOW + 86_400_000,
    grid: GRID,
    exchangeIndex: 0,
    volume24h: 0,
    top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 100_000 },
    fee: { feeType: "quadratic", multiplierPpm: 1_000_000, waiverUntilMs: null },
    canCloseEarly: false,
    multivariate: false,
  };
}

/** Answers every create at once, as accepted and resting (the request is not what is timed). */
function instantRest(): OrderRest {
  let n = 0;
  const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });
  return {
    createOrder: () =>
      Promise.resolve({
        ok: true,
        value: { order_id: `o-${++n}`, fill_count: "0.00", remaining_count: "1.00", ts_ms: NOW },
        request: {} as never,
      }),
  } as unknown as OrderRest & { listOrders: () => ReturnType<typeof ok> };
}

function intent(i: number): Intent {
  return {
    ticker: `MKT-${i % 50}`,
    side: "yes",
    action: "buy",
    price: 8_000,
    count: 100,
    purpose: "manual",
    tif: "good_till_canceled",
    postOnly: true,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    reason: "bench",
  };
}

export default async function run(): Promise<BenchResult[]> {
  const { sql, transaction } = nodeSqlStorage();
  ensureHistorySchema(sql);
  let id = 0;
  const markets = new Map(Array.from({ length: 50 }, (_, i) => [`MKT-${i}`, market(`MKT-${i}`)]));
  const path = new OrderPath({
    sql,
    transaction,
    rest: instantRest(),
    groups: null,
    config: () => DEFAULT_EXECUTOR_CONFIG,
    nowMs: () => NOW,
    newId: () => `00000000-0000-4000-8000-${String(++id).padStart(12, "0")}`,
    log: () => {},
    history: sqlHistory(sql, "bench:default", () => NOW),
    market: (t) => markets.get(t),
    book: () => undefined,
    tradable: () => true,
    exitPlanFor: () => ({ takeProfit: 9_900, stop: 100, deadlineMs: null }),
    exitPrice: () => null,
    checkExit: () => ({ ok: true }),
    onEvent: () => {},
  });

  let i = 0;
  const submit = timeSync(
    () => {
      const r = path.submit(intent(i++));
      if (!r.ok) throw new Error(`submit refused: ${r.message}`);
      return r.order.intentId;
    },
    { minRoundMs: 40 },
  );
  await path.settled();

  const sample = path.journal.order(path.journal.recentOrders(1)[0]?.intentId ?? "") as JournalOrder;
  let filled = 0;
  const fold = timeSync(() => {
    filled = (filled % 90) + 1;
    return applyOrderEvent(sample, {
      kind: "report",
      orderId: "o-1",
      status: "resting",
      filled,
      remaining: 100 - filled,
      atMs: NOW,
    }).order.filled;
  });

  // The same report, journaled: fold + UPDATE + history row, one transaction each.
  const working = path.journal.recentOrders(200).filter((o) => o.orderId !== null);
  let k = 0;
  const journaled = timeSync(
    () => {
      const o = working[k++ % working.length] as JournalOrder;
      path.onUserOrder({
        orderId: o.orderId as string,
        clientOrderId: o.clientOrderId,
        ticker: o.ticker,
        exchangeIndex: 0,
        status: "resting",
        outcomeSide: "yes",
        bookSide: "bid",
        yesPrice: o.price,
        fillCount: 0,
        remainingCount: 100,
        initialCount: 100,
        takerFillCost: 0,
        makerFillCost: 0,
        takerFees: 0,
        makerFees: 0,
        createdTsMs: NOW,
        lastUpdatedTsMs: NOW + k,
      });
      return k;
    },
    { minRoundMs: 40 },
  );
  await path.settled();

  return [
    // Measured about 60-90 µs on the shared 2-core box (most of it the history row's validation).
    atMost(
      "order path: journal write per intent (order + history row)",
      Number((submit.nsPerItem / 1e3).toFixed(1)),
      "µs",
      500,
    ),
    info("order path: one state-machine event, pure fold", Number((fold.nsPerItem / 1e3).toFixed(2)), "µs"),
    atMost(
      "order path: one state-machine event, journaled",
      Number((journaled.nsPerItem / 1e3).toFixed(1)),
      "µs",
      500,
    ),
  ];
}
