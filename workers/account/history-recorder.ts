/**
 * The order path's history hook: every order, fill, round trip and reconciliation difference
 * becomes a history row (`workers/history/rows.ts`) appended to the object's outbox in the
 * transaction of the change it records, so history can never disagree with the journal. A row that
 * fails its own schema becomes an error log row instead of aborting the trading transaction.
 */
import type { HistoryRecorder } from "../executor/order-path.ts";
import { fillRow, guardRows, type HistoryRow, orderRow, reconDiffRow, tradeRow } from "../history/rows.ts";
import { appendHistory } from "../history/store.ts";

export function sqlHistory(sql: SqlStorage, account: string, nowMs: () => number): HistoryRecorder {
  const add = (build: () => HistoryRow[]) => {
    const now = nowMs();
    appendHistory(sql, guardRows(account, now, build), now);
  };
  return {
    order: (o) => add(() => [orderRow(account, o)]),
    fill: (f) => add(() => [fillRow(account, f)]),
    roundTrip: (rt) => add(() => [tradeRow(account, rt)]),
    reconDiff: (d) =>
      add(() => [
        reconDiffRow(account, {
          eventId: d.id,
          foundMs: d.atMs,
          kind: d.kind,
          ticker: d.ticker,
          orderId: null,
          clientOrderId: null,
          ours: null,
          exchange: null,
          explained: !d.blocking,
          resolution: d.detail,
          acknowledgedMs: d.reviewedMs,
        }),
      ]),
  };
}
