/**
 * A real Postgres (PGlite, in-process) with the repository's Supabase migrations applied, for
 * the history tests. Node only.
 *
 * Supabase creates the Data API roles (`anon`, `authenticated`, `service_role`, which bypasses
 * row-level security) and grants them everything on new public tables by default; plain Postgres
 * has none of that, so `SUPABASE_STUB` recreates just those parts before the migrations run,
 * the way a fresh Supabase project has them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

/** What a new Supabase project has that the migrations rely on. */
export const SUPABASE_STUB = `
  create role anon nologin noinherit;
  create role authenticated nologin noinherit;
  create role service_role nologin noinherit bypassrls;
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
`;

/** The Supabase CLI's migration file name: a 14-digit UTC timestamp, an underscore, a name. */
export const MIGRATION_NAME = /^(\d{14})_([a-z0-9_]+)\.sql$/;

/** Migration files in the order the Supabase CLI applies them (by timestamp). */
export function migrationFiles(dir: string = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
}

/** Applies each migration in its own transaction, in order, as `supabase db push` does. */
export async function applyMigrations(db: PGlite, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const applied: string[] = [];
  for (const file of migrationFiles(dir)) {
    const sql = readFileSync(join(dir, file), "utf8");
    try {
      await db.transaction(async (tx) => {
        await tx.exec(sql);
      });
    } catch (err) {
      throw new Error(`migration ${file} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    applied.push(file);
  }
  return applied;
}

/** A fresh in-memory database with the Supabase stub and every migration applied. */
export async function openHistoryDb(): Promise<PGlite> {
  const db = await PGlite.create();
  await db.exec(SUPABASE_STUB);
  await applyMigrations(db);
  return db;
}

/** Every base table the migrations created in `public`. */
export async function historyTableNames(db: PGlite): Promise<string[]> {
  const r = await db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
  );
  return r.rows.map((x) => x.table_name);
}

/** Empties every history table (between tests sharing one database). */
export async function truncateHistory(db: PGlite): Promise<void> {
  const tables = await historyTableNames(db);
  if (tables.length > 0) await db.exec(`truncate ${tables.map((t) => `public."${t}"`).join(", ")}`);
}
