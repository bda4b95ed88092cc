/**
 * Builders shared by the order path's pure-core tests (`*.test.ts` next to this file): a journal
 * order with every field filled in, and the fast-check settings every property uses (bounded runs,
 * a fixed seed so a failure replays). Test code only; nothing in the Worker imports it.
 */
import type { Parameters } from "fast-check";
import type { JournalOrder } from "./journal.ts";

/** fast-check settings: fixed seed (a failure prints the path to replay), bounded runs. */
export function runs(numRuns: number, seed = 20_260_501): Parameters<unknown> {
  return { numRuns, seed };
}

let serial = 0;

/** A journal order: a pending GTC YES buy of 10 contracts at 0.50, unsent, unless overridden. */
export function journalOrder(over: Partial<JournalOrder> = {}): JournalOrder {
  serial++;
  const id = over.intentId ?? `intent-${serial}`;
  return {
    intentId: id,
    clientOrderId: id,
    orderId: null,
    ticker: "KXTEST-26MAY01-T50",
    side: "yes",
    action: "buy",
    price: 5_000,
    count: 1_000,
    purpose: "entry",
    tif: "good_till_canceled",
    postOnly: false,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    exchangeIndex: 0,
    orderGroupId: null,
    state: "pending",
    ack: "unsent",
    filled: 0,
    reportedFilled: 0,
    fillSum: 0,
    fees: 0,
    fillCost: 0,
    createdMs: 1_000,
    updatedMs: 1_000,
    reason: "test",
    error: null,
    body: "{}",
    sends: 1,
    lastSentMs: 1_000,
    nextCheckMs: null,
    ...over,
  };
}
