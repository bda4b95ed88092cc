/**
 * The account's one config document: every module's settings under one zod schema (defaults =
 * the documented values), stored in the object's SQLite (`config` table) and applied live. A
 * `PATCH` is a deep partial merged over the current document and validated whole, so an update
 * either applies entirely or is refused with field-level errors, and nothing is half-written.
 */
import { z } from "zod";
import { RiskConfig } from "../../shared/risk/config.ts";
import { StrategyConfig } from "../../shared/strategy/config.ts";
import { ExecutorConfig } from "../executor/config.ts";
import { FeedConfig } from "../feed/feed-config.ts";
import { AlertConfig, ReportConfig } from "../notify/config.ts";
import { type ModuleSchema, readRow } from "./sql-schema.ts";

export const JobsConfig = z.object({
  /** Exchange status (`trading_active`) is read this often; a pause blocks entries. */
  exchangeStatusMs: z.number().int().min(1_000).default(30_000),
  /** Balance (for equity) is read this often besides every reconciliation. */
  balanceMs: z.number().int().min(5_000).default(60_000),
  /** Order groups are checked (created, reset after a trigger) this often. */
  orderGroupsMs: z.number().int().min(1_000).default(30_000),
});
export type JobsConfig = z.infer<typeof JobsConfig>;

export const HistoryConfig = z.object({
  /** The outbox is flushed to Supabase this often (and by the cron). */
  flushMs: z.number().int().min(5_000).default(60_000),
  /** Rows per upsert batch. */
  batchSize: z.number().int().min(1).max(1_000).default(200),
  /** Unflushed rows kept at most (low-value rows are dropped past it; trading records never); alert at 80 %. */
  outboxBound: z.number().int().min(1_000).default(50_000),
  /** Local history is kept this long (flushed rows; every row when Supabase is not configured). */
  retentionDays: z.number().int().min(1).max(3_650).default(90),
});
export type HistoryConfig = z.infer<typeof HistoryConfig>;

export const AccountConfig = z.object({
  feed: FeedConfig.default(FeedConfig.parse({})),
  executor: ExecutorConfig.default(ExecutorConfig.parse({})),
  jobs: JobsConfig.default(JobsConfig.parse({})),
  history: HistoryConfig.default(HistoryConfig.parse({})),
  strategy: StrategyConfig.default(StrategyConfig.parse({})),
  risk: RiskConfig.default(RiskConfig.parse({})),
  alerts: AlertConfig.default(AlertConfig.parse({})),
  report: ReportConfig.default(ReportConfig.parse({})),
});
export type AccountConfig = z.infer<typeof AccountConfig>;

export const DEFAULT_ACCOUNT_CONFIG: AccountConfig = AccountConfig.parse({});

export const CONFIG_SCHEMA: ModuleSchema = {
  module: "config",
  migrations: [
    `CREATE TABLE config (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      version INTEGER NOT NULL,
      doc TEXT NOT NULL,
      updated_ms INTEGER NOT NULL
    )`,
  ],
};

export interface FieldError {
  path: string;
  message: string;
}

export type ConfigUpdate =
  | { ok: true; config: AccountConfig; version: number }
  | { ok: false; errors: FieldError[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * `patch` merged over `base`: objects merge key by key, anything else (arrays included) replaces.
 * Only own keys count, and every key lands as an own property: a JSON patch may carry
 * `constructor` or `__proto__`, which must neither read Object's members nor set a prototype.
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const value = Object.hasOwn(base, k) ? deepMerge(base[k], v) : v;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * zod issues as field errors (`strategy.takeProfitPoints: Number must be ...`). A strict section's
 * unknown keys are one issue at the section's path; each becomes its own error at the key's full
 * path (`risk.maxOrderCountt: unknown setting`), as an unknown key of a non-strict section is.
 */
export function fieldErrors(err: z.ZodError): FieldError[] {
  return err.issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => ({ path: pathOf([...i.path, k === "" ? '""' : k]), message: "unknown setting" }))
      : [{ path: pathOf(i.path), message: i.message }],
  );
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(".") || "(root)";
}

const Row = z.object({ version: z.number().int(), doc: z.string(), updated_ms: z.number().int() });

/**
 * Reads and writes the config document. A stored document that no longer validates (a field
 * removed by an upgrade, a hand edit) is reported and the defaults are used for what fails, never
 * a half-parsed object.
 */
export class ConfigStore {
  readonly #sql: SqlStorage;
  #config: AccountConfig;
  #version: number;
  /** why the stored document could not be used, if it could not */
  readonly loadError: string | null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    const r = readRow(sql, "config", Row, "SELECT version, doc, updated_ms FROM config WHERE id = 1");
    let loadError: string | null = null;
    let config = DEFAULT_ACCOUNT_CONFIG;
    if (r) {
      let raw: unknown;
      try {
        raw = JSON.parse(r.doc);
      } catch {
        raw = {};
        loadError = "stored config is not JSON; using defaults";
      }
      const parsed = AccountConfig.safeParse(raw);
      if (parsed.success) config = parsed.data;
      else
        loadError = `stored config is invalid (${fieldErrors(parsed.error)
          .map((e) => `${e.path}: ${e.message}`)
          .join("; ")
          .slice(0, 300)}); using defaults`;
    }
    this.loadError = loadError;
    this.#config = config;
    this.#version = r?.version ?? 0;
  }

  get(): AccountConfig {
    return this.#config;
  }

  get version(): number {
    return this.#version;
  }

  /** Validates `patch` merged over the current document; on success stores and returns it. */
  update(patch: unknown, nowMs: number): ConfigUpdate {
    if (!isPlainObject(patch))
      return { ok: false, errors: [{ path: "(root)", message: "expected a JSON object" }] };
    const merged = deepMerge(this.#config, patch);
    const parsed = AccountConfig.safeParse(merged);
    if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
    const unknown = unknownKeys(patch, parsed.data);
    if (unknown.length > 0)
      return { ok: false, errors: unknown.map((path) => ({ path, message: "unknown setting" })) };
    this.#version += 1;
    this.#sql.exec(
      "INSERT INTO config (id, version, doc, updated_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc, updated_ms = excluded.updated_ms",
      this.#version,
      JSON.stringify(parsed.data),
      nowMs,
    );
    this.#config = parsed.data;
    return { ok: true, config: parsed.data, version: this.#version };
  }
}

/**
 * Keys of `patch` that the parsed config does not have (zod strips them silently otherwise). Own
 * keys only: `constructor` or `toString` is not a setting because every object inherits one.
 */
function unknownKeys(patch: Record<string, unknown>, parsed: unknown, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    const name = k === "" ? '""' : k;
    const path = prefix === "" ? name : `${prefix}.${name}`;
    if (!isPlainObject(parsed) || !Object.hasOwn(parsed, k)) {
      out.push(path);
      continue;
    }
    if (isPlainObject(v)) out.push(...unknownKeys(v, parsed[k], path));
  }
  return out;
}
