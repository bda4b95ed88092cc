/**
 * The outbox flush: sends the oldest unflushed history rows to Supabase as idempotent upserts
 * on their natural keys (`@supabase/supabase-js`, `.from(table).upsert(rows, { onConflict })`)
 * and marks flushed exactly the rows Supabase accepted.
 *
 * Who calls it: the account object's scheduler (a slow job behind a busy flag), never the
 * trading path. It never throws; every request has a timeout; a failed flush loses nothing
 * (the rows stay unflushed) and a repeated one duplicates nothing (upserts on natural keys).
 *
 * Failures: a transport failure, a timeout, a 5xx, 429, 401/403 or an unknown table stops the
 * flush (the next run retries the same rows). A 4xx naming the data (a Postgres data or
 * integrity error, SQLSTATE class 22 or 23) is narrowed by splitting the group in halves until
 * the offending rows are alone; those are set aside as rejected (store.ts) and the rest go through.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { createClient } from "@supabase/supabase-js";
import type { HistoryTable } from "./rows.ts";
import { onConflictOf } from "./rows.ts";
import type { OutboxItem } from "./store.ts";
import { markFlushed, markRejected, takeBatch } from "./store.ts";

/** Per-request timeout of the history client unless told otherwise. */
export const DEFAULT_HISTORY_TIMEOUT_MS = 10_000;

/**
 * A supabase-js client for the history flush, safe in Workers: no session persisted, no token
 * refresh timer, no URL session detection; every request aborted after `timeoutMs`. The service
 * key bypasses row-level security (docs/history.md). `fetchImpl` is for tests.
 */
export function createHistoryClient(
  url: string,
  serviceKey: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs: number = DEFAULT_HISTORY_TIMEOUT_MS,
): SupabaseClient {
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetchImpl(input, { ...init, signal });
  };
  return createClient(url, serviceKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: timedFetch },
  });
}

/** The history client from the Worker's secrets, or null when Supabase is not configured. */
export function historyClientFromEnv(
  env: { SUPABASE_URL?: string; SUPABASE_SERVICE_KEY?: string },
  timeoutMs: number = DEFAULT_HISTORY_TIMEOUT_MS,
): SupabaseClient | null {
  const url = env.SUPABASE_URL?.trim() ?? "";
  const key = env.SUPABASE_SERVICE_KEY?.trim() ?? "";
  if (url === "" || key === "") return null;
  return createHistoryClient(url, key, fetch, timeoutMs);
}

export interface TableFlush {
  sent: number;
  failed: number;
  rejected: number;
  error?: string;
}

export interface FlushResult {
  /** False when no client was given (Supabase not configured): nothing was sent or changed. */
  configured: boolean;
  /** Rows Supabase accepted and that are now marked flushed. */
  sent: number;
  /** Rows taken but not sent; they stay in the outbox for the next flush. */
  failed: number;
  /** Rows Supabase refused for their content, now set aside (not sent again). */
  rejected: number;
  byTable: Partial<Record<HistoryTable, TableFlush>>;
  /** The first failure that stopped the flush, bounded and without secrets. */
  error?: string;
}

export interface FlushOptions {
  sql: SqlStorage;
  client: SupabaseClient | null;
  /** Rows taken from the outbox in this flush. */
  batchSize: number;
  nowMs: number;
}

/** What one upsert request came back with. */
type Outcome = { ok: true } | { ok: false; data: boolean; error: string };

/** Postgres SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function isDataError(status: number, code: string | undefined): boolean {
  return (status === 400 || status === 409) && typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

function bounded(s: string): string {
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}

async function upsert(
  client: SupabaseClient,
  table: HistoryTable,
  items: readonly OutboxItem[],
): Promise<Outcome> {
  try {
    const { error, status } = await client.from(table).upsert(
      items.map((i) => i.row),
      { onConflict: onConflictOf(table) },
    );
    if (error === null) return { ok: true };
    const code = typeof error.code === "string" && error.code !== "" ? error.code : undefined;
    return {
      ok: false,
      data: isDataError(status, code),
      error: bounded(`${table}: HTTP ${status}${code ? ` ${code}` : ""}: ${error.message}`),
    };
  } catch (err) {
    return {
      ok: false,
      data: false,
      error: bounded(`${table}: ${err instanceof Error ? err.message : String(err)}`),
    };
  }
}

interface GroupResult {
  sent: OutboxItem[];
  rejected: { item: OutboxItem; error: string }[];
  /** Set when the flush must stop (the service, not the data, failed). */
  stop: string | null;
}

/** Upserts a group; on a data error splits it in halves until the refused rows stand alone. */
async function sendGroup(
  client: SupabaseClient,
  table: HistoryTable,
  items: OutboxItem[],
): Promise<GroupResult> {
  const out = await upsert(client, table, items);
  if (out.ok) return { sent: items, rejected: [], stop: null };
  if (!out.data) return { sent: [], rejected: [], stop: out.error };
  if (items.length === 1) {
    const only = items[0] as OutboxItem;
    return { sent: [], rejected: [{ item: only, error: out.error }], stop: null };
  }
  const mid = Math.ceil(items.length / 2);
  const left = await sendGroup(client, table, items.slice(0, mid));
  if (left.stop !== null) return left;
  const right = await sendGroup(client, table, items.slice(mid));
  return {
    sent: [...left.sent, ...right.sent],
    rejected: [...left.rejected, ...right.rejected],
    stop: right.stop,
  };
}

/**
 * Takes up to `batchSize` unflushed rows (oldest first), upserts them table by table, marks
 * flushed what Supabase accepted and sets aside what it refused for content. Never throws.
 */
export async function flushHistory(opts: FlushOptions): Promise<FlushResult> {
  const result: FlushResult = {
    configured: opts.client !== null,
    sent: 0,
    failed: 0,
    rejected: 0,
    byTable: {},
  };
  if (opts.client === null) return result;
  const client = opts.client;
  let batch: OutboxItem[];
  try {
    batch = takeBatch(opts.sql, opts.batchSize);
  } catch (err) {
    result.error = bounded(
      `history: reading the outbox failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return result;
  }
  const groups = new Map<HistoryTable, OutboxItem[]>();
  for (const item of batch) {
    const g = groups.get(item.table);
    if (g) g.push(item);
    else groups.set(item.table, [item]);
  }
  for (const [table, items] of groups) {
    const t: TableFlush = { sent: 0, failed: 0, rejected: 0 };
    result.byTable[table] = t;
    if (result.error !== undefined) {
      // An earlier group found the service down: do not spend a timeout per table.
      t.failed = items.length;
      result.failed += items.length;
      continue;
    }
    const g = await sendGroup(client, table, items);
    try {
      // Rows appended again since they were taken have new ids and stay unflushed.
      markFlushed(
        opts.sql,
        g.sent.map((i) => i.id),
        opts.nowMs,
      );
      markRejected(
        opts.sql,
        g.rejected.map((r) => ({ id: r.item.id, error: r.error })),
      );
    } catch (err) {
      result.error = bounded(
        `history: marking rows failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    t.sent = g.sent.length;
    t.rejected = g.rejected.length;
    t.failed = items.length - t.sent - t.rejected;
    if (g.stop !== null) t.error = g.stop;
    if (g.rejected.length > 0 && t.error === undefined) t.error = g.rejected[0]?.error;
    result.sent += t.sent;
    result.rejected += t.rejected;
    result.failed += t.failed;
    if (g.stop !== null && result.error === undefined) result.error = g.stop;
  }
  return result;
}
