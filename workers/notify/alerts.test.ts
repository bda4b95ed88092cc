/**
 * Node tests of the alert policy (`alerts.ts`): per-kind rate limits at the window's edges,
 * de-duplication by key, counts carried into the next email, digests, the queue's bound, retries
 * and drops, and a state that survives a JSON round trip.
 */
import { describe, expect, it } from "vitest";
import {
  type Alert,
  type AlertState,
  AlertState as AlertStateSchema,
  alertIdempotencyKey,
  alertsDue,
  emptyAlertState,
  flushAlerts,
  MAX_PENDING_KEYS,
  MAX_RETRY_AGE_MS,
  OTHER_KEY,
  planAlert,
  recordAlertResult,
  retryDelayMs,
} from "./alerts.ts";
import { AlertConfig } from "./config.ts";

const cfg = AlertConfig.parse({});
const T0 = Date.parse("2026-03-09T15:00:00Z");
const W = 300_000;

function breaker(breakerName: string, atMs = T0): Alert {
  return {
    kind: "breaker_trip",
    atMs,
    breaker: breakerName,
    reason: "limit reached",
    numbers: { limit: 3 },
    tradingState: "halted",
  };
}

function feedLoss(atMs = T0): Alert {
  return { kind: "feed_loss", atMs, silentMs: 20_000, reason: "no frame" };
}

/** Plans `alerts` in order, marking every queued email delivered at once (the usual case). */
function planDelivered(
  alerts: [Alert, number][],
  c = cfg,
): { state: AlertState; sent: boolean[]; reasons: (string | undefined)[] } {
  let state = emptyAlertState();
  const sent: boolean[] = [];
  const reasons: (string | undefined)[] = [];
  for (const [a, at] of alerts) {
    const p = planAlert(state, a, at, c);
    state = p.queued ? recordAlertResult(p.state, p.queued.id, { ok: true, id: "e" }, at) : p.state;
    sent.push(p.send);
    reasons.push(p.suppressed);
  }
  return { state, sent, reasons };
}

describe("planAlert rate limit", () => {
  it.each([
    ["just inside the window", W - 1, false, "duplicate"],
    ["at the window's end", W, true, undefined],
    ["well after", 10 * W, true, undefined],
  ])("the same breaker again %s (%i ms later): sent %s", (_label, dt, sent, reason) => {
    const r = planDelivered([
      [breaker("daily_loss"), T0],
      [breaker("daily_loss"), T0 + dt],
    ]);
    expect(r.sent).toEqual([true, sent]);
    expect(r.reasons[1]).toBe(reason);
  });

  it.each([
    ["just inside", W - 1, false, "rate_limited"],
    ["at the end", W, true, undefined],
  ])("another breaker %s the window: sent %s", (_label, dt, sent, reason) => {
    const r = planDelivered([
      [breaker("daily_loss"), T0],
      [breaker("consecutive_losses"), T0 + dt],
    ]);
    expect(r.sent).toEqual([true, sent]);
    expect(r.reasons[1]).toBe(reason);
  });

  it("limits each kind on its own", () => {
    const r = planDelivered([
      [breaker("daily_loss"), T0],
      [feedLoss(), T0 + 1],
      [breaker("daily_loss"), T0 + 2],
    ]);
    expect(r.sent).toEqual([true, true, false]);
  });

  it.each([
    [60_000, 59_999, false],
    [60_000, 60_000, true],
    [0, 1, true],
  ])("honours a per-kind window of %i ms: again after %i ms sent %s", (windowMs, dt, sent) => {
    const c = AlertConfig.parse({ perKind: { feed_loss: { windowMs } } });
    const r = planDelivered(
      [
        [feedLoss(), T0],
        [feedLoss(), T0 + dt],
      ],
      c,
    );
    expect(r.sent[1]).toBe(sent);
  });

  it("sends nothing and counts nothing for a disabled kind or with alerts off", () => {
    const off = AlertConfig.parse({ perKind: { position_opened: { enabled: false } } });
    const opened: Alert = {
      kind: "position_opened",
      atMs: T0,
      positionId: "p1",
      ticker: "KXHIGHNY-26MAR09-B45",
      side: "yes",
      contracts: 1000,
      avgEntry: 5600,
      cost: 5_600_000,
    };
    const s = emptyAlertState();
    expect(planAlert(s, opened, T0, off)).toEqual({ send: false, state: s, suppressed: "disabled" });
    expect(planAlert(s, breaker("x"), T0, AlertConfig.parse({ enabled: false }))).toEqual({
      send: false,
      state: s,
      suppressed: "disabled",
    });
  });
});

describe("merged counts", () => {
  it("carries the alerts counted in the window into the next email of the kind", () => {
    const r0 = planDelivered([
      [breaker("daily_loss"), T0],
      [breaker("daily_loss"), T0 + 10],
      [breaker("consecutive_losses"), T0 + 20],
      [breaker("daily_loss"), T0 + 30],
    ]);
    const next = planAlert(r0.state, breaker("error_rate", T0 + W), T0 + W, cfg);
    expect(next.send).toBe(true);
    expect(next.queued?.merged).toEqual([
      { key: "daily_loss", count: 2, firstMs: T0 + 10, lastMs: T0 + 30 },
      { key: "consecutive_losses", count: 1, firstMs: T0 + 20, lastMs: T0 + 20 },
      { key: "error_rate", count: 1, firstMs: T0 + W, lastMs: T0 + W },
    ]);
    // and the counts start again after that email
    expect(next.state.kinds.breaker_trip?.pending).toEqual([]);
  });

  it("folds keys past the per-kind bound into one count", () => {
    const seq: [Alert, number][] = [[breaker("first"), T0]];
    for (let i = 0; i < MAX_PENDING_KEYS + 5; i++) seq.push([breaker(`b${i}`), T0 + 1 + i]);
    const pending = planDelivered(seq).state.kinds.breaker_trip?.pending ?? [];
    expect(pending).toHaveLength(MAX_PENDING_KEYS + 1);
    expect(pending.find((p) => p.key === OTHER_KEY)?.count).toBe(5);
  });
});

describe("flushAlerts", () => {
  const counted = planDelivered([
    [breaker("daily_loss"), T0],
    [breaker("consecutive_losses", T0 + 10), T0 + 10],
    [breaker("daily_loss", T0 + 20), T0 + 20],
  ]).state;

  it.each([
    [W - 1, 0],
    [W, 1],
  ])("at %i ms after the last email queues %i digest(s)", (dt, n) => {
    expect(flushAlerts(counted, T0 + dt, cfg).queued).toHaveLength(n);
  });

  it("makes the latest counted alert the headline, with every count", () => {
    const { queued, state } = flushAlerts(counted, T0 + W, cfg);
    expect(queued[0]?.alert).toEqual(breaker("daily_loss", T0 + 20));
    expect(queued[0]?.merged).toEqual([
      { key: "consecutive_losses", count: 1, firstMs: T0 + 10, lastMs: T0 + 10 },
      { key: "daily_loss", count: 1, firstMs: T0 + 20, lastMs: T0 + 20 },
    ]);
    expect(state.kinds.breaker_trip?.pending).toEqual([]);
    expect(flushAlerts(state, T0 + W, cfg).queued).toEqual([]);
  });

  it("drops the counts of a kind that has since been disabled", () => {
    const off = AlertConfig.parse({ perKind: { breaker_trip: { enabled: false } } });
    const r = flushAlerts(counted, T0 + W, off);
    expect(r.queued).toEqual([]);
    expect(r.state.kinds.breaker_trip?.pending).toEqual([]);
  });
});

describe("the queue", () => {
  it("holds one email per kind while it is undelivered and counts the rest", () => {
    let s = emptyAlertState();
    const first = planAlert(s, breaker("a"), T0, cfg);
    s = first.state;
    const later = planAlert(s, breaker("b"), T0 + 10 * W, cfg);
    expect(later).toMatchObject({ send: false, suppressed: "awaiting_delivery" });
    expect(later.state.queue).toHaveLength(1);
  });

  it("retries a retryable failure later with backoff and the same email", () => {
    const p = planAlert(emptyAlertState(), breaker("a"), T0, cfg);
    const id = p.queued?.id ?? "";
    const s1 = recordAlertResult(
      p.state,
      id,
      { ok: false, retryable: true, reason: "503 application_error" },
      T0,
    );
    expect(alertsDue(s1, T0 + retryDelayMs(1) - 1)).toEqual([]);
    const due = alertsDue(s1, T0 + retryDelayMs(1));
    expect(due.map((q) => [q.id, q.attempts, q.alert])).toEqual([[id, 1, breaker("a")]]);
    expect(due[0]?.lastError).toBe("503 application_error");
  });

  it("waits at least as long as Resend's retry-after", () => {
    const p = planAlert(emptyAlertState(), breaker("a"), T0, cfg);
    const s = recordAlertResult(
      p.state,
      p.queued?.id ?? "",
      { ok: false, retryable: true, reason: "429", retryAfterMs: 120_000 },
      T0,
    );
    expect(s.queue[0]?.nextAttemptMs).toBe(T0 + 120_000);
  });

  it.each([
    [1, 30_000],
    [2, 60_000],
    [6, 960_000],
    [7, 1_800_000],
    [20, 1_800_000],
  ])("waits before retry %i for %i ms", (attempt, ms) => {
    expect(retryDelayMs(attempt)).toBe(ms);
  });

  it.each([
    ["a final failure", { ok: false as const, retryable: false, reason: "403 invalid_api_key" }, 0],
    [
      "a retryable failure past the key's life",
      { ok: false as const, retryable: true, reason: "503" },
      MAX_RETRY_AGE_MS,
    ],
  ])("drops the email and counts it on %s", (_label, result, dt) => {
    const p = planAlert(emptyAlertState(), breaker("a"), T0, cfg);
    const s = recordAlertResult(p.state, p.queued?.id ?? "", result, T0 + dt);
    expect(s.queue).toEqual([]);
    expect(s.dropped).toBe(1);
    expect(s.lastDrop?.id).toBe(p.queued?.id);
  });

  it("releases the kind once its email is delivered, so counts flush after the window", () => {
    let s = planAlert(emptyAlertState(), breaker("a"), T0, cfg).state;
    s = planAlert(s, breaker("b"), T0 + 1, cfg).state;
    expect(flushAlerts(s, T0 + W, cfg).queued).toEqual([]); // the first is still undelivered
    s = recordAlertResult(s, s.queue[0]?.id ?? "", { ok: true, id: "e1" }, T0 + W);
    expect(flushAlerts(s, T0 + W, cfg).queued.map((q) => q.alert)).toEqual([breaker("b")]);
  });

  it("sends the most severe first", () => {
    let s = emptyAlertState();
    s = planAlert(s, { kind: "outbox_near_bound", atMs: T0, rows: 9000, bound: 10_000 }, T0, cfg).state;
    s = planAlert(
      s,
      { kind: "critical_error", atMs: T0 + 1, where: "executor", message: "boom" },
      T0 + 1,
      cfg,
    ).state;
    expect(alertsDue(s, T0 + 1).map((q) => q.kind)).toEqual(["critical_error", "outbox_near_bound"]);
  });

  it("gives each email its own idempotency key", () => {
    let s = emptyAlertState();
    s = planAlert(s, breaker("a"), T0, cfg).state;
    s = planAlert(s, feedLoss(), T0, cfg).state;
    const keys = s.queue.map((q) => alertIdempotencyKey("default", q));
    expect(new Set(keys).size).toBe(2);
    expect(keys[0]).toBe("alert/default/breaker_trip/1773068400000-0");
  });
});

describe("state", () => {
  it("survives a JSON round trip through its schema", () => {
    const r = planDelivered([
      [breaker("daily_loss"), T0],
      [breaker("x"), T0 + 1],
      [feedLoss(), T0 + 2],
    ]);
    const s = planAlert(
      r.state,
      {
        kind: "recon_difference",
        atMs: T0,
        diffKind: "unknown_order",
        ticker: null,
        detail: "d",
        blocksEntries: true,
      },
      T0,
      cfg,
    ).state;
    expect(AlertStateSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it("refuses a stored state that is not one", () => {
    expect(
      AlertStateSchema.safeParse({ v: 1, seq: 0, kinds: {}, queue: [{ id: 1 }], dropped: 0, lastDrop: null })
        .success,
    ).toBe(false);
  });
});
