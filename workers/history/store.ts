/**
 * The local history store and outbox, in the account Durable Object's own SQLite
 * (`ctx.storage.sql`). Every history row the bot produces lands here first, in the same
 * `transactionSync` as the state change it records; unflushed rows are the outbox that
 * flush.ts drains to Supabase; flushed rows stay a while for the admin API's local queries.
 *
 * Who calls it: the account object (schema at construction; `appendHistory` inside its state
 * transactions), the scheduler (flush, retention, the bound) and the admin API (`queryHistory`,
 * `outboxState`). Everything here is synchronous: nothing on the trading path awaits history.
 *
 * Lifecycle of a row (docs/history.md): appended (unflushed) -> sent by a flush -> flushed ->
 * deleted by retention. Appending a row whose (table, natural key) is already stored replaces it
 * with a new id and marks it unflushed again, so a flush that was sending the old version cannot
 * mark the new one flushed (`markFlushed` names ids).
 */

import { z } from "zod";
import type { HistoryRow, HistoryTable, RowOf } from "./rows.ts";
import { isHistoryTable, LOW_VALUE_TABLES, ROW_SCHEMAS } from "./rows.ts";

/** The local store's schema version; each entry of MIGRATIONS moves it up by one. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE history (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       tbl TEXT NOT NULL,
       key TEXT NOT NULL,
       at_ms INTEGER NOT NULL,
       written_ms INTEGER NOT NULL,
       row TEXT NOT NULL,
       flushed_ms INTEGER,
       rejected TEXT,
       UNIQUE (tbl, key)
     )`,
    // The outbox, oldest first; rows set aside as rejected are not sent again.
    "CREATE INDEX history_outbox ON history (id) WHERE flushed_ms IS NULL AND rejected IS NULL",
    "CREATE INDEX history_by_time ON history (tbl, at_ms, key)",
    "CREATE INDEX history_written ON history (written_ms)",
  ],
  // The outbox's size and age (every status read, every flush, every bound check) from the
  // unflushed rows alone, not a scan of all the history kept.
  ["CREATE INDEX history_unflushed ON history (written_ms, rejected) WHERE flushed_ms IS NULL"],
];
export const HISTORY_SCHEMA_VERSION = MIGRATIONS.length;

/** Creates or upgrades the history tables. Idempotent; call at construction. Returns the version. */
export function ensureHistorySchema(sql: SqlStorage): number {
  sql.exec("CREATE TABLE IF NOT EXISTS history_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  const found = sql
    .exec<{ value: number }>("SELECT value FROM history_meta WHERE name = 'schema_version'")
    .toArray();
  let version = found[0]?.value ?? 0;
  if (version > MIGRATIONS.length) {
    throw new Error(`history schema version ${version} is newer than this code (${MIGRATIONS.length})`);
  }
  for (; version < MIGRATIONS.length; version++) {
    for (const statement of MIGRATIONS[version] ?? []) sql.exec(statement);
  }
  sql.exec(
    "INSERT INTO history_meta (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    version,
  );
  return version;
}

/**
 * Stores rows as unflushed. Synchronous, so it runs inside the caller's `transactionSync` and
 * commits or rolls back with the state change it records. A row whose (table, key) is already
 * stored replaces it (new id, unflushed, no longer rejected).
 */
export function appendHistory(sql: SqlStorage, rows: readonly HistoryRow[], nowMs: number): void {
  for (const r of rows) {
    sql.exec(
      "INSERT OR REPLACE INTO history (tbl, key, at_ms, written_ms, row) VALUES (?, ?, ?, ?, ?)",
      r.table,
      r.key,
      r.atMs,
      nowMs,
      JSON.stringify(r.row),
    );
  }
}

/** One unflushed row as the flush sends it. */
export interface OutboxItem {
  id: number;
  table: HistoryTable;
  key: string;
  row: Record<string, unknown>;
}

interface StoredRow extends Record<string, SqlStorageValue> {
  id: number;
  tbl: string;
  key: string;
  at_ms: number;
  row: string;
  flushed_ms: number | null;
}

/**
 * The oldest unflushed rows, at most `limit`. A stored row that can no longer be read (unknown
 * table, broken JSON) is set aside as rejected rather than returned, so it cannot block the rest.
 */
export function takeBatch(sql: SqlStorage, limit: number): OutboxItem[] {
  const rows = sql
    .exec<StoredRow>(
      "SELECT id, tbl, key, at_ms, row, flushed_ms FROM history WHERE flushed_ms IS NULL AND rejected IS NULL ORDER BY id LIMIT ?",
      Math.max(1, Math.floor(limit)),
    )
    .toArray();
  const items: OutboxItem[] = [];
  const unreadable: { id: number; error: string }[] = [];
  for (const r of rows) {
    const row = parseObject(r.row);
    if (!isHistoryTable(r.tbl)) unreadable.push({ id: r.id, error: `unknown table ${r.tbl}` });
    else if (row === null) unreadable.push({ id: r.id, error: "stored row is not a JSON object" });
    else items.push({ id: r.id, table: r.tbl, key: r.key, row });
  }
  if (unreadable.length > 0) markRejected(sql, unreadable);
  return items;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Marks these ids flushed, if they are still unflushed. An id replaced since it was taken no
 * longer exists, so its newer version stays in the outbox. Returns how many were marked.
 */
export function markFlushed(sql: SqlStorage, ids: readonly number[], nowMs: number): number {
  if (ids.length === 0) return 0;
  return sql
    .exec(
      "UPDATE history SET flushed_ms = ? WHERE id IN (SELECT value FROM json_each(?)) AND flushed_ms IS NULL RETURNING id",
      nowMs,
      JSON.stringify(ids),
    )
    .toArray().length;
}

/**
 * Sets rows aside that Supabase refused for their content (a constraint or type error): they
 * stay stored, unflushed, counted in `outboxState().rejected`, and are not sent again until
 * `requeueRejected` (after the schema or the row is fixed).
 */
export function markRejected(sql: SqlStorage, rows: readonly { id: number; error: string }[]): void {
  for (const r of rows) {
    sql.exec(
      "UPDATE history SET rejected = ? WHERE id = ? AND flushed_ms IS NULL",
      r.error.slice(0, 500),
      r.id,
    );
  }
}

/** Puts every rejected row back in the outbox. Returns how many. */
export function requeueRejected(sql: SqlStorage): number {
  return sql.exec("UPDATE history SET rejected = NULL WHERE rejected IS NOT NULL RETURNING id").toArray()
    .length;
}

// ---------------------------------------------------------------- retention and the bound

export interface RetentionOptions {
  /** Rows last written more than this long ago are old. */
  retentionMs: number;
  /** With Supabase configured, unflushed rows are kept whatever their age. */
  supabaseConfigured: boolean;
  /** At most this many rows deleted per call, so one call stays short (default 5 000). */
  maxDelete?: number;
}

export interface RetentionResult {
  deleted: number;
  /** More old rows remain: call again. */
  more: boolean;
}

/**
 * Deletes old rows: flushed rows last written before `nowMs - retentionMs`; without Supabase,
 * unflushed ones too (they would never leave). Unflushed rows are never deleted while Supabase
 * is configured: only the bound (`enforceBound`) drops them, and only low-value ones.
 */
export function applyRetention(sql: SqlStorage, nowMs: number, opts: RetentionOptions): RetentionResult {
  const cutoff = nowMs - opts.retentionMs;
  const max = Math.max(1, Math.floor(opts.maxDelete ?? 5_000));
  const which = opts.supabaseConfigured ? "AND flushed_ms IS NOT NULL" : "";
  const deleted = sql
    .exec(
      `DELETE FROM history WHERE id IN (SELECT id FROM history WHERE written_ms < ? ${which} ORDER BY written_ms LIMIT ?) RETURNING id`,
      cutoff,
      max,
    )
    .toArray().length;
  return { deleted, more: deleted === max };
}

export interface OutboxState {
  /** Rows not yet in Supabase (rejected ones included). */
  unflushed: number;
  /** Of those, rows Supabase refused for their content, set aside. */
  rejected: number;
  /** When the oldest unflushed row was written; null when the outbox is empty. */
  oldestMs: number | null;
  bound: number;
  /** unflushed >= 80 % of the bound: time to alert. */
  nearBound: boolean;
  /** unflushed >= bound: low-value rows are being dropped. */
  full: boolean;
  /** Low-value rows dropped at the bound since the store was created, per table. */
  dropped: Partial<Record<HistoryTable, number>>;
}

export function outboxState(sql: SqlStorage, bound: number): OutboxState {
  const s = sql
    .exec<{ n: number; rejected: number; oldest: number | null }>(
      "SELECT count(*) AS n, count(rejected) AS rejected, min(written_ms) AS oldest FROM history WHERE flushed_ms IS NULL",
    )
    .one();
  const dropped: Partial<Record<HistoryTable, number>> = {};
  for (const r of sql.exec<{ name: string; value: number }>(
    "SELECT name, value FROM history_meta WHERE name LIKE 'dropped:%'",
  )) {
    const table = r.name.slice("dropped:".length);
    if (isHistoryTable(table)) dropped[table] = r.value;
  }
  return {
    unflushed: s.n,
    rejected: s.rejected,
    oldestMs: s.oldest,
    bound,
    nearBound: s.n >= bound * 0.8,
    full: s.n >= bound,
    dropped,
  };
}

export interface BoundResult {
  /** Low-value rows dropped by this call, per table. */
  dropped: Partial<Record<HistoryTable, number>>;
  /** Unflushed rows left; above the bound when trading records alone exceed it. */
  unflushed: number;
}

/**
 * Holds the outbox to `bound` unflushed rows. Past it, low-value rows (logs, markets seen,
 * account snapshots) are dropped oldest-first and counted; trading records (orders, fills,
 * trades, risk events, recon diffs, alerts, reports) are always kept, so the outbox may stay
 * above the bound on them alone (`outboxState().full` says so).
 */
export function enforceBound(sql: SqlStorage, bound: number): BoundResult {
  const n = sql.exec<{ n: number }>("SELECT count(*) AS n FROM history WHERE flushed_ms IS NULL").one().n;
  const excess = n - Math.max(0, Math.floor(bound));
  const dropped: Partial<Record<HistoryTable, number>> = {};
  if (excess <= 0) return { dropped, unflushed: n };
  const gone = sql
    .exec<{ tbl: string }>(
      `DELETE FROM history WHERE id IN (
         SELECT id FROM history WHERE flushed_ms IS NULL AND tbl IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?
       ) RETURNING tbl`,
      JSON.stringify(LOW_VALUE_TABLES),
      excess,
    )
    .toArray();
  for (const { tbl } of gone) if (isHistoryTable(tbl)) dropped[tbl] = (dropped[tbl] ?? 0) + 1;
  for (const [table, k] of Object.entries(dropped)) {
    sql.exec(
      "INSERT INTO history_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
      `dropped:${table}`,
      k,
    );
  }
  return { dropped, unflushed: n - gone.length };
}

// ---------------------------------------------------------------- local queries (admin API)

export interface HistoryQuery {
  /** Rows about this time or later (ms, inclusive). */
  since?: number;
  /** Rows about a time before this (ms, exclusive). */
  until?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1 to 500. */
  limit: number;
}

export interface HistoryItem<T extends HistoryTable> {
  row: RowOf[T];
  /** The time the row is about (order created, fill, trade closed, snapshot taken, ...). */
  atMs: number;
  flushed: boolean;
}

export interface HistoryPage<T extends HistoryTable> {
  items: HistoryItem<T>[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
  /** Stored rows of this page that no longer match their schema (reported, never cast). */
  invalid: number;
}

export type HistoryQueryResult<T extends HistoryTable> =
  | { ok: true; page: HistoryPage<T> }
  | { ok: false; error: string };

export const MAX_QUERY_LIMIT = 500;

const Cursor = z.tuple([z.int(), z.string()]);

function encodeCursor(atMs: number, key: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([atMs, key]));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): [number, string] | null {
  try {
    const bin = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const text = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    const parsed = Cursor.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * One page of a table's local history, newest first (by the time each row is about, then by
 * natural key, so the order is total and a cursor stays valid while rows are appended or
 * replaced). Each row is checked against its table's schema.
 */
export function queryHistory<T extends HistoryTable>(
  sql: SqlStorage,
  table: T,
  q: HistoryQuery,
): HistoryQueryResult<T> {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_QUERY_LIMIT) {
    return { ok: false, error: `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}` };
  }
  const where = ["tbl = ?"];
  const args: (string | number)[] = [table];
  if (q.since !== undefined) {
    where.push("at_ms >= ?");
    args.push(q.since);
  }
  if (q.until !== undefined) {
    where.push("at_ms < ?");
    args.push(q.until);
  }
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    if (c === null) return { ok: false, error: "cursor is not one this API returned" };
    where.push("(at_ms < ? OR (at_ms = ? AND key < ?))");
    args.push(c[0], c[0], c[1]);
  }
  const rows = sql
    .exec<StoredRow>(
      `SELECT id, tbl, key, at_ms, row, flushed_ms FROM history WHERE ${where.join(" AND ")}
       ORDER BY at_ms DESC, key DESC LIMIT ?`,
      ...args,
      q.limit + 1,
    )
    .toArray();
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const schema = ROW_SCHEMAS[table];
  const items: HistoryItem<T>[] = [];
  let invalid = 0;
  for (const r of pageRows) {
    const parsed = schema.safeParse(parseObject(r.row));
    if (parsed.success) items.push({ row: parsed.data, atMs: r.at_ms, flushed: r.flushed_ms !== null });
    else invalid++;
  }
  const last = pageRows[pageRows.length - 1];
  return {
    ok: true,
    page: {
      items,
      nextCursor: more && last !== undefined ? encodeCursor(last.at_ms, last.key) : null,
      invalid,
    },
  };
}
