/**
 * Everything one refresh of the dashboard shows, gathered from the account object over typed RPC
 * (`loadDashboard`) and reduced by pure helpers (`thinSeries`, `recentEvents`, `chartOf`) that
 * the tests call alone. The route `GET /api/dashboard` renders it with `dashboard.tsx`.
 */
import type { AccountObject } from "../account/account-object.ts";
import type { ReconDiff } from "../executor/journal.ts";
import { AlertRow, type HistoryTable, ReconDiffRow, RiskEventRow } from "../history/rows.ts";
import { presentOrder, presentPnlDay, presentStatus, type StatusOut } from "./present.ts";

/** How far back the equity chart reaches, and how many points it draws at most. */
export const EQUITY_WINDOW_MS = 24 * 3_600_000;
export const EQUITY_POINTS = 300;
const EVENTS_SHOWN = 15;

export interface DashboardEvent {
  atMs: number;
  source: "risk" | "alert" | "reconciliation";
  kind: string;
  severity: "info" | "warning" | "critical";
  message: string;
}

export interface EquityPoint {
  atMs: number;
  equity: number;
}

export interface DashboardData {
  nowMs: number;
  status: StatusOut;
  workingOrders: ReturnType<typeof presentOrder>[];
  /** realised P&L of the latest trading day with closed round trips in the last day */
  realized: ReturnType<typeof presentPnlDay> | null;
  equity: EquityPoint[];
  events: DashboardEvent[];
  /** reconciliation differences not yet reviewed */
  openDifferences: ReconDiff[];
}

interface HistoryItemIn {
  atMs: number;
  row: unknown;
}

/**
 * At most `max` points of an oldest-first series, evenly spaced by index, the first and the last
 * always kept (a 5-minute mark makes 288 a day; more only if snapshots are taken more often).
 */
export function thinSeries<T>(series: readonly T[], max = EQUITY_POINTS): T[] {
  if (series.length <= max) return [...series];
  if (max < 2) return max < 1 ? [] : series.slice(-1);
  const out: T[] = [];
  for (let i = 0; i < max; i++) {
    const p = series[Math.round((i * (series.length - 1)) / (max - 1))];
    if (p !== undefined) out.push(p);
  }
  return out;
}

/** Risk events, alerts and reconciliation differences from history, newest first. */
export function recentEvents(
  risk: readonly HistoryItemIn[],
  alerts: readonly HistoryItemIn[],
  diffs: readonly HistoryItemIn[],
  limit = EVENTS_SHOWN,
): DashboardEvent[] {
  const out: DashboardEvent[] = [];
  for (const it of risk) {
    const r = RiskEventRow.safeParse(it.row);
    if (r.success)
      out.push({
        atMs: it.atMs,
        source: "risk",
        kind: r.data.code,
        severity: r.data.kind === "breaker_trip" ? "critical" : "info",
        message: r.data.message,
      });
  }
  for (const it of alerts) {
    const r = AlertRow.safeParse(it.row);
    if (r.success)
      out.push({
        atMs: it.atMs,
        source: "alert",
        kind: r.data.kind,
        severity: r.data.severity,
        message: r.data.message,
      });
  }
  for (const it of diffs) {
    const r = ReconDiffRow.safeParse(it.row);
    if (r.success)
      out.push({
        atMs: it.atMs,
        source: "reconciliation",
        kind: r.data.kind,
        severity: r.data.explained ? "info" : "warning",
        message: [r.data.ticker, r.data.resolution].filter((s) => s !== null && s !== "").join(": "),
      });
  }
  return out.sort((a, b) => b.atMs - a.atMs).slice(0, limit);
}

export interface Chart {
  width: number;
  height: number;
  /** SVG polyline points, oldest left */
  points: string;
  min: number;
  max: number;
  fromMs: number;
  toMs: number;
}

/** The equity series scaled into a `width` x `height` box (null with fewer than two points). */
export function chartOf(series: readonly EquityPoint[], width = 600, height = 140): Chart | null {
  const first = series[0];
  const last = series[series.length - 1];
  if (series.length < 2 || first === undefined || last === undefined) return null;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of series) {
    min = Math.min(min, p.equity);
    max = Math.max(max, p.equity);
  }
  const span = Math.max(1, last.atMs - first.atMs);
  const range = max - min;
  const pad = 4;
  const pts = series.map((p) => {
    const x = pad + ((p.atMs - first.atMs) / span) * (width - 2 * pad);
    // A flat series sits in the middle.
    const y = range === 0 ? height / 2 : pad + (1 - (p.equity - min) / range) * (height - 2 * pad);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return { width, height, points: pts.join(" "), min, max, fromMs: first.atMs, toMs: last.atMs };
}

type AccountStub = DurableObjectStub<AccountObject>;

/** One page of `history`, with each row as `unknown` (callers check rows with the table's schema). */
export type HistoryPageOut =
  | {
      ok: true;
      page: {
        items: { row: unknown; atMs: number; flushed: boolean }[];
        nextCursor: string | null;
        invalid: number;
      };
    }
  | { ok: false; error: string };

/**
 * The `history` RPC seen with its rows as `unknown`: the stub's own type for it (the recursive
 * JSON row types, serialised) is too deep for the type checker. The shape is the same.
 */
export function historyRpc(account: AccountStub): {
  history(
    table: HistoryTable,
    q: { since?: number; until?: number; cursor?: string; limit: number },
  ): Promise<HistoryPageOut>;
} {
  return account as unknown as ReturnType<typeof historyRpc>;
}

async function historyItems(
  account: AccountStub,
  table: "risk_events" | "alerts" | "recon_diffs",
  q: { since?: number; limit: number },
): Promise<HistoryItemIn[]> {
  const r = await historyRpc(account).history(table, q);
  return r.ok ? r.page.items.map((i) => ({ atMs: i.atMs, row: i.row })) : [];
}

/** One dashboard refresh: the status and what the panels list beside it. */
export async function loadDashboard(account: AccountStub, nowMs: number): Promise<DashboardData> {
  const [status, working, pnl, marks, risk, alerts, diffs, open] = await Promise.all([
    account.status(),
    account.workingOrders(),
    account.pnlByDay(1),
    // The marks `snapshot()` writes beside each account_snapshots row, in exact integers.
    account.equityMarks(nowMs - EQUITY_WINDOW_MS, nowMs + 1),
    historyItems(account, "risk_events", { limit: EVENTS_SHOWN }),
    historyItems(account, "alerts", { limit: EVENTS_SHOWN }),
    historyItems(account, "recon_diffs", { limit: EVENTS_SHOWN }),
    account.reconciliationDifferences(true),
  ]);
  const latest = pnl[0];
  return {
    nowMs,
    status: presentStatus(status),
    workingOrders: working.map(presentOrder),
    realized: latest === undefined ? null : presentPnlDay(latest),
    equity: thinSeries(marks),
    events: recentEvents(risk, alerts, diffs),
    openDifferences: open,
  };
}
