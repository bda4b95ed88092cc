/**
 * Alerts: what tells the trader, by email, that something needs them. A pure policy over a small
 * JSON state that the account object persists (the `alerts` table):
 *
 * - `planAlert(state, alert, nowMs, cfg)` runs where the event happens (a breaker trips, a
 *   position opens, ...), synchronously and without I/O. At most one email per kind per window
 *   (5 minutes by default, per kind in config): the first alert of a kind is queued; the next
 *   ones inside the window are counted per key (the same kind + key is a duplicate, another key
 *   is rate-limited) and the counts ride on the next email of that kind. While an email of a
 *   kind waits in the queue (say Resend is down), new alerts of that kind are counted too, so
 *   the queue holds at most one email per kind.
 * - The alert job (`runAlertJob` in `notify-jobs.ts`, from the scheduler) turns counts whose
 *   window has passed into a digest email (`flushAlerts`), sends what is due (`alertsDue`) and
 *   records each outcome (`recordAlertResult`): delivered emails leave the queue, a retryable
 *   failure is retried with backoff (same idempotency key, same body), a final one is dropped and
 *   counted. Nothing here can block or slow trading.
 * - `renderAlert(alert)` is the email, a pure function of the alert.
 */
import { z } from "zod";
import type { Position, RoundTrip } from "../../shared/domain.ts";
import { avgEntry } from "../../shared/domain.ts";
import { ALERT_KINDS, type AlertConfig, AlertKind, kindEnabled, windowOf } from "./config.ts";
import type { SendResult } from "./resend.ts";
import { MAX_RETRY_AGE_MS, retryDelayMs } from "./retry.ts";

export { ALERT_KINDS, AlertKind } from "./config.ts";
export { MAX_RETRY_AGE_MS, retryDelayMs } from "./retry.ts";

// ---------------------------------------------------------------- the alerts

const Ms = z.number().int().nonnegative();
const Money = z.number().int();
const SideSchema = z.enum(["yes", "no"]);

const RoundTripSchema = z.object({
  positionId: z.string(),
  ticker: z.string(),
  side: SideSchema,
  contracts: z.number().int(),
  avgEntry: z.number().int(),
  avgExit: z.number().int(),
  openedMs: Ms,
  closedMs: Ms,
  reason: z.enum([
    "take_profit",
    "stop",
    "timeout",
    "pre_close",
    "deactivated",
    "settled",
    "flatten",
    "manual",
    "external",
  ]),
  fees: Money,
  pnl: Money,
});

/** Every alert, a union on `kind`; plain JSON so it persists as is. */
export const Alert = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("breaker_trip"),
    atMs: Ms,
    breaker: z.string(),
    reason: z.string(),
    numbers: z.record(z.string(), z.number()),
    /** The trading state the trip left. */
    tradingState: z.enum(["active", "reducing", "halted"]),
  }),
  z.object({
    kind: z.literal("resume"),
    atMs: Ms,
    /** What cleared: a breaker's name, `admin`, `feed`. */
    what: z.string(),
    detail: z.string(),
    tradingState: z.enum(["active", "reducing", "halted"]),
  }),
  z.object({
    kind: z.literal("position_opened"),
    atMs: Ms,
    positionId: z.string(),
    ticker: z.string(),
    side: SideSchema,
    contracts: z.number().int(),
    avgEntry: z.number().int(),
    cost: Money,
  }),
  z.object({ kind: z.literal("position_closed"), atMs: Ms, roundTrip: RoundTripSchema }),
  z.object({
    kind: z.literal("recon_difference"),
    atMs: Ms,
    diffKind: z.string(),
    ticker: z.string().nullable(),
    detail: z.string(),
    /** True when entries are blocked until the difference is acknowledged. */
    blocksEntries: z.boolean(),
  }),
  z.object({ kind: z.literal("feed_loss"), atMs: Ms, silentMs: Ms, reason: z.string() }),
  z.object({
    kind: z.literal("outbox_near_bound"),
    atMs: Ms,
    rows: z.number().int(),
    bound: z.number().int(),
  }),
  z.object({ kind: z.literal("critical_error"), atMs: Ms, where: z.string(), message: z.string() }),
]);
export type Alert = z.infer<typeof Alert>;
export type AlertOf<K extends AlertKind> = Extract<Alert, { kind: K }>;

/** The alert for a position that opened (the zod shape accepts the domain types: a compile check). */
export function positionOpenedAlert(p: Position, atMs: number): AlertOf<"position_opened"> {
  return {
    kind: "position_opened",
    atMs,
    positionId: p.positionId,
    ticker: p.ticker,
    side: p.side,
    contracts: p.contracts,
    avgEntry: avgEntry(p),
    cost: p.cost,
  };
}

/** The alert for a round trip that closed. */
export function positionClosedAlert(roundTrip: RoundTrip, atMs: number): AlertOf<"position_closed"> {
  return { kind: "position_closed", atMs, roundTrip };
}

/** What makes two alerts of one kind "the same" for de-duplication. */
export function alertKey(a: Alert): string {
  switch (a.kind) {
    case "breaker_trip":
      return a.breaker;
    case "resume":
      return a.what;
    case "position_opened":
      return a.positionId;
    case "position_closed":
      return a.roundTrip.positionId;
    case "recon_difference":
      return `${a.diffKind}:${a.ticker ?? "-"}`;
    case "feed_loss":
      return "feed";
    case "outbox_near_bound":
      return "outbox";
    case "critical_error":
      return a.where;
  }
}

export type Severity = "critical" | "warning" | "info";

export const SEVERITY: Readonly<Record<AlertKind, Severity>> = {
  breaker_trip: "critical",
  critical_error: "critical",
  feed_loss: "warning",
  recon_difference: "warning",
  outbox_near_bound: "warning",
  resume: "info",
  position_opened: "info",
  position_closed: "info",
};

// ---------------------------------------------------------------- the state

/** Alerts of one kind and key counted since the kind's last email. */
export const SuppressedCount = z.object({
  key: z.string(),
  count: z.number().int().positive(),
  firstMs: Ms,
  lastMs: Ms,
});
export type SuppressedCount = z.infer<typeof SuppressedCount>;

const PendingEntry = SuppressedCount.extend({ last: Alert });
type PendingEntry = z.infer<typeof PendingEntry>;

const KindState = z.object({
  /** When the kind's last email was queued: the rate-limit window runs from here. */
  lastQueuedMs: Ms,
  lastKey: z.string(),
  pending: z.array(PendingEntry),
});
type KindState = z.infer<typeof KindState>;

/** An email waiting to be (re)sent. Its content never changes once queued, so every retry sends the same body. */
export const QueuedAlert = z.object({
  /** Unique per account (`<kind>/<queuedMs>-<seq>`); the idempotency key is built from it. */
  id: z.string(),
  kind: AlertKind,
  alert: Alert,
  /** Every alert of this kind since its previous email, per key, the headline included. */
  merged: z.array(SuppressedCount),
  queuedMs: Ms,
  attempts: z.number().int().nonnegative(),
  nextAttemptMs: Ms,
  lastError: z.string().nullable(),
});
export type QueuedAlert = z.infer<typeof QueuedAlert>;

export const AlertState = z.object({
  v: z.literal(1),
  seq: z.number().int().nonnegative(),
  kinds: z.partialRecord(AlertKind, KindState),
  queue: z.array(QueuedAlert),
  /** Emails given up on (a final failure, or retried past `MAX_RETRY_AGE_MS`). */
  dropped: z.number().int().nonnegative(),
  lastDrop: z.object({ id: z.string(), reason: z.string(), atMs: Ms }).nullable(),
});
export type AlertState = z.infer<typeof AlertState>;

export function emptyAlertState(): AlertState {
  return { v: 1, seq: 0, kinds: {}, queue: [], dropped: 0, lastDrop: null };
}

/** Distinct keys counted per kind; past it, new keys are counted under `OTHER_KEY`. */
export const MAX_PENDING_KEYS = 20;
export const OTHER_KEY = "(other)";

// ---------------------------------------------------------------- the policy

export type SuppressReason = "disabled" | "duplicate" | "rate_limited" | "awaiting_delivery";

export interface AlertPlan {
  /** True when an email was queued for this alert. */
  send: boolean;
  state: AlertState;
  /** Why no email was queued. */
  suppressed?: SuppressReason;
  /** The email queued. */
  queued?: QueuedAlert;
}

function countPending(
  pending: readonly PendingEntry[],
  alert: Alert,
  key: string,
  nowMs: number,
): PendingEntry[] {
  const existing = pending.find((p) => p.key === key);
  if (existing === undefined && pending.length >= MAX_PENDING_KEYS) key = OTHER_KEY;
  const out: PendingEntry[] = [];
  let found = false;
  for (const p of pending) {
    if (p.key === key) {
      out.push({ ...p, count: p.count + 1, lastMs: nowMs, last: alert });
      found = true;
    } else {
      out.push(p);
    }
  }
  if (!found) out.push({ key, count: 1, firstMs: nowMs, lastMs: nowMs, last: alert });
  return out;
}

function queueEmail(
  state: AlertState,
  kind: AlertKind,
  alert: Alert,
  merged: SuppressedCount[],
  nowMs: number,
): { state: AlertState; queued: QueuedAlert } {
  const queued: QueuedAlert = {
    id: `${kind}/${nowMs}-${state.seq}`,
    kind,
    alert,
    merged,
    queuedMs: nowMs,
    attempts: 0,
    nextAttemptMs: nowMs,
    lastError: null,
  };
  const ks: KindState = { lastQueuedMs: nowMs, lastKey: alertKey(alert), pending: [] };
  return {
    queued,
    state: {
      ...state,
      seq: state.seq + 1,
      kinds: { ...state.kinds, [kind]: ks },
      queue: [...state.queue, queued],
    },
  };
}

function stripLast(p: PendingEntry): SuppressedCount {
  return { key: p.key, count: p.count, firstMs: p.firstMs, lastMs: p.lastMs };
}

/**
 * Decides whether `alert` is emailed now (queued) or counted into the kind's next email.
 * Pure and synchronous: safe to call in the transaction that records the event.
 */
export function planAlert(state: AlertState, alert: Alert, nowMs: number, cfg: AlertConfig): AlertPlan {
  const kind = alert.kind;
  if (!kindEnabled(cfg, kind)) return { send: false, state, suppressed: "disabled" };
  const key = alertKey(alert);
  const ks = state.kinds[kind];
  const inWindow = ks !== undefined && nowMs < ks.lastQueuedMs + windowOf(cfg, kind);
  const waiting = state.queue.some((q) => q.kind === kind);
  if (ks !== undefined && (inWindow || waiting)) {
    const duplicate = key === ks.lastKey || ks.pending.some((p) => p.key === key);
    const suppressed: SuppressReason = !inWindow
      ? "awaiting_delivery"
      : duplicate
        ? "duplicate"
        : "rate_limited";
    const next: KindState = { ...ks, pending: countPending(ks.pending, alert, key, nowMs) };
    return { send: false, state: { ...state, kinds: { ...state.kinds, [kind]: next } }, suppressed };
  }
  const merged = countPending(ks?.pending ?? [], alert, key, nowMs).map(stripLast);
  const r = queueEmail(state, kind, alert, merged, nowMs);
  return { send: true, state: r.state, queued: r.queued };
}

/**
 * Queues a digest for every kind whose window has passed with alerts counted and nothing of the
 * kind waiting in the queue: the latest counted alert is the headline, with the counts.
 * Counts of a kind that config has since disabled are discarded. Called by the alert job.
 */
export function flushAlerts(
  state: AlertState,
  nowMs: number,
  cfg: AlertConfig,
): { state: AlertState; queued: QueuedAlert[] } {
  let s = state;
  const queued: QueuedAlert[] = [];
  for (const kind of ALERT_KINDS) {
    const ks = s.kinds[kind];
    if (ks === undefined || ks.pending.length === 0) continue;
    if (!kindEnabled(cfg, kind)) {
      s = { ...s, kinds: { ...s.kinds, [kind]: { ...ks, pending: [] } } };
      continue;
    }
    if (nowMs < ks.lastQueuedMs + windowOf(cfg, kind) || s.queue.some((q) => q.kind === kind)) continue;
    let head = ks.pending[0] as PendingEntry;
    for (const p of ks.pending) if (p.lastMs >= head.lastMs) head = p;
    const r = queueEmail(s, kind, head.last, ks.pending.map(stripLast), nowMs);
    s = r.state;
    queued.push(r.queued);
  }
  return { state: s, queued };
}

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

/** Queued emails whose (next) attempt is due, most severe first, then oldest first. */
export function alertsDue(state: AlertState, nowMs: number): QueuedAlert[] {
  return state.queue
    .filter((q) => q.nextAttemptMs <= nowMs)
    .sort(
      (a, b) =>
        SEVERITY_ORDER[SEVERITY[a.kind]] - SEVERITY_ORDER[SEVERITY[b.kind]] || a.queuedMs - b.queuedMs,
    );
}

/**
 * Records the outcome of sending queued email `id`: delivered -> out of the queue; retryable ->
 * retried later with the same key and body; final, or still failing after `MAX_RETRY_AGE_MS` ->
 * dropped and counted. An unknown id (already recorded) leaves the state as it is.
 */
export function recordAlertResult(
  state: AlertState,
  id: string,
  result: SendResult,
  nowMs: number,
): AlertState {
  const q = state.queue.find((x) => x.id === id);
  if (q === undefined) return state;
  const rest = state.queue.filter((x) => x.id !== id);
  if (result.ok) return { ...state, queue: rest };
  if (result.retryable && nowMs - q.queuedMs < MAX_RETRY_AGE_MS) {
    const attempts = q.attempts + 1;
    const retried: QueuedAlert = {
      ...q,
      attempts,
      nextAttemptMs: nowMs + retryDelayMs(attempts, result.retryAfterMs),
      lastError: result.reason,
    };
    return { ...state, queue: state.queue.map((x) => (x.id === id ? retried : x)) };
  }
  return {
    ...state,
    queue: rest,
    dropped: state.dropped + 1,
    lastDrop: {
      id,
      reason: result.retryable ? `gave up after 23 h: ${result.reason}` : result.reason,
      atMs: nowMs,
    },
  };
}

/** The Resend idempotency key of a queued alert email. */
export function alertIdempotencyKey(account: string, q: QueuedAlert): string {
  return `alert/${account}/${q.id}`;
}
