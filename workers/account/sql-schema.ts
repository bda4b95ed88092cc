/**
 * Versioned SQLite schemas for the account object's modules. Each module that keeps durable state
 * (market data, the order path, the scheduler, history, the object itself) owns its tables and
 * lists its migrations here-style: an array of SQL scripts, applied in order, once each, recorded
 * in `schema_versions`. Called from each module's constructor with `ctx.storage.sql`; idempotent,
 * so a restarted object finds its tables as they were.
 *
 * Rows are read back through zod (`readRows` / `readRow`): a row that fails its schema is a bug
 * or a hand edit, reported with the table name, never cast.
 */
import type { z } from "zod";

export interface ModuleSchema {
  /** Module name, the key in `schema_versions`. */
  module: string;
  /** SQL scripts; index + 1 is the version they bring the module to. Never edit a shipped one. */
  migrations: readonly string[];
}

/** Brings `schema.module` up to its latest version; returns that version. */
export function applySchema(sql: SqlStorage, schema: ModuleSchema): number {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)",
  );
  const row = sql
    .exec<{ version: number }>("SELECT version FROM schema_versions WHERE module = ?", schema.module)
    .toArray()[0];
  const current = row?.version ?? 0;
  if (current > schema.migrations.length) {
    throw new Error(
      `schema ${schema.module} is at version ${current}, newer than this code (${schema.migrations.length}): refusing to run an older build on newer state`,
    );
  }
  for (let v = current; v < schema.migrations.length; v++) {
    sql.exec(schema.migrations[v] as string);
    sql.exec(
      "INSERT INTO schema_versions (module, version, applied_ms) VALUES (?, ?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version, applied_ms = excluded.applied_ms",
      schema.module,
      v + 1,
      Date.now(),
    );
  }
  return schema.migrations.length;
}

/** A row that does not match its schema. */
export class RowError extends Error {
  override name = "RowError";
}

type SqlValue = ArrayBuffer | string | number | null;

/** Runs a query and checks every row against `schema`. */
export function readRows<T>(
  sql: SqlStorage,
  table: string,
  schema: z.ZodType<T>,
  query: string,
  ...bindings: SqlValue[]
): T[] {
  const out: T[] = [];
  for (const raw of sql.exec(query, ...bindings)) {
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new RowError(
        `${table}: row does not match its schema (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`,
      );
    }
    out.push(r.data);
  }
  return out;
}

/** The first row of a query checked against `schema`, or undefined. */
export function readRow<T>(
  sql: SqlStorage,
  table: string,
  schema: z.ZodType<T>,
  query: string,
  ...bindings: SqlValue[]
): T | undefined {
  return readRows(sql, table, schema, query, ...bindings)[0];
}

/** SQLite stores booleans as 0/1. */
export function bool(b: boolean): number {
  return b ? 1 : 0;
}
