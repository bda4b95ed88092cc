/**
 * A small PostgREST-compatible HTTP server over a PGlite database, for testing the history flush
 * end to end with the real `@supabase/supabase-js` client. Node only; listens on 127.0.0.1.
 *
 * It speaks the subset of PostgREST (https://postgrest.org/en/stable/references/api/tables_views.html)
 * that supabase-js uses for history:
 * - `POST /rest/v1/<table>` with a JSON array or object: an insert; with
 *   `Prefer: resolution=merge-duplicates` (or `ignore-duplicates`) an upsert on the `on_conflict`
 *   columns (the primary key when absent), over the `columns` given (else the first row's keys),
 *   missing keys becoming null; `Prefer: return=representation` returns the rows.
 * - `GET /rest/v1/<table or view>?select=a,b&col=eq.v&order=col.desc&limit=n`: rows as a JSON
 *   array built by Postgres itself (numeric as JSON numbers, timestamptz as ISO strings), with
 *   the filters eq, neq, gt, gte, lt, lte and is (null, true, false).
 * - Keys: `apikey` and `Authorization: Bearer` must both carry the service key (statements then
 *   run as `service_role`, which bypasses row-level security) or the anon key (as `anon`).
 *   Anything else is 401.
 * - Errors as PostgREST sends them: `{ code, details, hint, message }` with its status mapping
 *   (23505/23503 -> 409, 42501 -> 401/403, 42P01 -> 404, other Postgres errors -> 400), and
 *   404 `PGRST205` for an unknown table.
 *
 * Faults for outage tests: `setFault("unavailable")` answers 503, `"reset"` drops each
 * connection without an answer, `"hang"` never answers (until the fault is cleared or the server
 * closes); `suspend()` stops listening (connections refused) and `resume()` listens again on the
 * same port. The same controls are reachable over HTTP for tests running inside workerd:
 * `POST /_test/fault {"mode": ...}` and `POST /_test/reset` (empties every table), both with the
 * service key.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { truncateHistory } from "./history-db.ts";

export type FaultMode = "none" | "unavailable" | "reset" | "hang";
export const FAULT_MODES: readonly FaultMode[] = ["none", "unavailable", "reset", "hang"];

export interface PostgrestServerOptions {
  db: PGlite;
  serviceKey: string;
  /** Optional: requests with this key run as `anon`. */
  anonKey?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface PostgrestServer {
  /** The project URL to give supabase-js, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  setFault(mode: FaultMode): void;
  /** Stops listening: new connections are refused until `resume()`. */
  suspend(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message ?? status));
    this.status = status;
    this.body = body;
  }
}

function pgrstError(status: number, code: string, message: string, details: string | null = null): HttpError {
  return new HttpError(status, { code, details, hint: null, message });
}

function quote(ident: string): string {
  if (!IDENT.test(ident)) throw pgrstError(400, "PGRST100", `"${ident}" is not a plain identifier`);
  return `"${ident}"`;
}

/** PostgREST's status for a Postgres error code. */
export function statusForSqlState(code: string, anonymous: boolean): number {
  if (code === "23503" || code === "23505") return 409;
  if (code === "42501") return anonymous ? 401 : 403;
  if (code === "42P01" || code === "42883") return 404;
  if (code === "25006") return 405;
  if (code === "P0001") return 400;
  if (/^(08|53)/.test(code)) return 503;
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(code)) return 500;
  if (/^(28|0L|0P)/.test(code)) return 403;
  return 400;
}

interface PgErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isPgError(e: unknown): e is PgErrorLike {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw pgrstError(413, "PGRST413", "request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function preferences(req: IncomingMessage): Set<string> {
  const raw = req.headers.prefer;
  const all = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
  return new Set(
    all
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
}

async function relationKind(tx: Transaction, name: string): Promise<string | null> {
  const r = await tx.query<{ relkind: string }>(
    `select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname = $1 and c.relkind in ('r', 'v', 'm', 'p')`,
    [name],
  );
  return r.rows[0]?.relkind ?? null;
}

async function primaryKey(tx: Transaction, table: string): Promise<string[]> {
  const r = await tx.query<{ attname: string }>(
    `select a.attname from pg_index i
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = ('public.' || quote_ident($1))::regclass and i.indisprimary
     order by array_position(i.indkey, a.attnum)`,
    [table],
  );
  return r.rows.map((x) => x.attname);
}

async function handleUpsert(
  tx: Transaction,
  table: string,
  url: URL,
  req: IncomingMessage,
): Promise<[number, string]> {
  const text = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw pgrstError(400, "PGRST102", "Empty or invalid json");
  }
  const rows = Array.isArray(parsed) ? parsed : [parsed];
  if (!rows.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))) {
    throw pgrstError(400, "PGRST102", "All object keys must match");
  }
  const prefer = preferences(req);
  const columnsParam = url.searchParams.get("columns");
  const columns =
    columnsParam !== null
      ? columnsParam.split(",").map((c) => c.trim().replace(/^"|"$/g, ""))
      : Object.keys((rows[0] as Record<string, unknown> | undefined) ?? {});
  if (rows.length === 0 || columns.length === 0)
    return [201, prefer.has("return=representation") ? "[]" : ""];
  const cols = columns.map(quote).join(", ");
  let conflict = "";
  const resolution = prefer.has("resolution=merge-duplicates")
    ? "merge"
    : prefer.has("resolution=ignore-duplicates")
      ? "ignore"
      : null;
  if (resolution !== null) {
    const onConflict = url.searchParams.get("on_conflict");
    const keys =
      onConflict !== null ? onConflict.split(",").map((c) => c.trim()) : await primaryKey(tx, table);
    const target = keys.map(quote).join(", ");
    conflict =
      resolution === "merge"
        ? ` on conflict (${target}) do update set ${columns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(", ")}`
        : ` on conflict (${target}) do nothing`;
  }
  const insert = `insert into public.${quote(table)} (${cols})
    select ${cols} from json_populate_recordset(null::public.${quote(table)}, $1::json)${conflict}`;
  if (prefer.has("return=representation")) {
    const r = await tx.query<{ body: string }>(
      `with ins as (${insert} returning *)
       select coalesce(json_agg(t), '[]'::json)::text as body from (select ${selectList(url)} from ins) t`,
      [JSON.stringify(rows)],
    );
    return [201, r.rows[0]?.body ?? "[]"];
  }
  await tx.query(insert, [JSON.stringify(rows)]);
  return [201, ""];
}

/** The `select` parameter as a column list (`*` or plain column names). */
function selectList(url: URL): string {
  const select = (url.searchParams.get("select") ?? "*").trim();
  if (select === "*") return "*";
  return select
    .split(",")
    .map((c) => quote(c.trim()))
    .join(", ");
}

const OPS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };

async function handleSelect(tx: Transaction, table: string, url: URL): Promise<[number, string]> {
  const cols = selectList(url);
  const where: string[] = [];
  const args: string[] = [];
  let order = "";
  let limit = "";
  for (const [name, value] of url.searchParams) {
    if (name === "select" || name === "columns") continue;
    if (name === "order") {
      order = ` order by ${value
        .split(",")
        .map((part) => {
          const [col = "", dir = "asc"] = part.split(".");
          if (dir !== "asc" && dir !== "desc") throw pgrstError(400, "PGRST100", `bad order ${part}`);
          return `${quote(col)} ${dir}`;
        })
        .join(", ")}`;
      continue;
    }
    if (name === "limit") {
      if (!/^\d+$/.test(value)) throw pgrstError(400, "PGRST100", `bad limit ${value}`);
      limit = ` limit ${value}`;
      continue;
    }
    const dot = value.indexOf(".");
    const op = value.slice(0, dot);
    const operand = value.slice(dot + 1);
    if (op === "is") {
      if (!["null", "true", "false"].includes(operand))
        throw pgrstError(400, "PGRST100", `bad is.${operand}`);
      where.push(`${quote(name)} is ${operand}`);
    } else {
      const sqlOp = OPS[op];
      if (dot < 0 || sqlOp === undefined)
        throw pgrstError(400, "PGRST100", `unsupported filter ${name}=${value}`);
      args.push(operand);
      where.push(`${quote(name)} ${sqlOp} $${args.length}`);
    }
  }
  const filter = where.length > 0 ? ` where ${where.join(" and ")}` : "";
  const r = await tx.query<{ body: string }>(
    `select coalesce(json_agg(t), '[]'::json)::text as body from (select ${cols} from public.${quote(table)}${filter}${order}${limit}) t`,
    args,
  );
  return [200, r.rows[0]?.body ?? "[]"];
}

/** Starts the server on 127.0.0.1. */
export async function startPostgrestServer(opts: PostgrestServerOptions): Promise<PostgrestServer> {
  const { db, serviceKey } = opts;
  let fault: FaultMode = "none";
  const hanging = new Set<ServerResponse>();
  let queue: Promise<unknown> = Promise.resolve();
  /** One database operation at a time (PGlite has one connection). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  function roleOf(req: IncomingMessage): "service_role" | "anon" | null {
    const apikey = req.headers.apikey;
    const auth = req.headers.authorization;
    if (apikey === serviceKey && auth === `Bearer ${serviceKey}`) return "service_role";
    if (opts.anonKey !== undefined && apikey === opts.anonKey && auth === `Bearer ${opts.anonKey}`)
      return "anon";
    return null;
  }

  function send(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  function releaseHanging(): void {
    for (const res of hanging) res.destroy();
    hanging.clear();
  }

  async function control(path: string, req: IncomingMessage): Promise<[number, string]> {
    if (roleOf(req) !== "service_role") return [401, JSON.stringify({ message: "Invalid API key" })];
    if (path === "/_test/fault") {
      const body = JSON.parse(await readBody(req)) as { mode?: unknown };
      const mode = FAULT_MODES.find((m) => m === body.mode);
      if (mode === undefined)
        return [400, JSON.stringify({ message: `mode is one of ${FAULT_MODES.join(", ")}` })];
      setFault(mode);
      return [200, JSON.stringify({ mode })];
    }
    if (path === "/_test/reset") {
      await serial(() => truncateHistory(db));
      return [200, JSON.stringify({ reset: true })];
    }
    return [404, JSON.stringify({ message: "no such control" })];
  }

  async function rest(table: string, url: URL, req: IncomingMessage): Promise<[number, string]> {
    const role = roleOf(req);
    if (role === null) return [401, JSON.stringify({ message: "Invalid API key" })];
    if (!IDENT.test(table)) throw pgrstError(400, "PGRST100", `bad relation name ${table}`);
    if (req.method !== "GET" && req.method !== "POST") {
      throw pgrstError(405, "PGRST117", `unsupported method ${req.method ?? ""}`);
    }
    try {
      return await serial(() =>
        db.transaction(async (tx) => {
          if ((await relationKind(tx, table)) === null) {
            throw pgrstError(
              404,
              "PGRST205",
              `Could not find the table 'public.${table}' in the schema cache`,
            );
          }
          await tx.exec(`set local role ${role}`);
          return req.method === "GET" ? handleSelect(tx, table, url) : handleUpsert(tx, table, url, req);
        }),
      );
    } catch (err) {
      if (err instanceof HttpError || !isPgError(err)) throw err;
      throw new HttpError(statusForSqlState(err.code, role === "anon"), {
        code: err.code,
        details: err.detail ?? null,
        hint: err.hint ?? null,
        message: err.message,
      });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/_test/")) {
      const [status, body] = await control(url.pathname, req);
      send(res, status, body);
      return;
    }
    const match = /^\/rest\/v1\/([^/]+)$/.exec(url.pathname);
    if (match === null) {
      send(res, 404, JSON.stringify({ message: "no route" }));
      return;
    }
    if (fault === "reset") {
      // Read the request first so the client sees a lost answer rather than a failed upload.
      await readBody(req);
      req.socket.destroy();
      return;
    }
    if (fault === "hang") {
      hanging.add(res);
      return;
    }
    if (fault === "unavailable") {
      send(res, 503, JSON.stringify({ message: "Service Unavailable" }));
      return;
    }
    const [status, body] = await rest(decodeURIComponent(match[1] ?? ""), url, req);
    send(res, status, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof HttpError) send(res, err.status, JSON.stringify(err.body));
      else send(res, 500, JSON.stringify({ code: "XX000", details: null, hint: null, message: String(err) }));
    });
  });

  function setFault(mode: FaultMode): void {
    fault = mode;
    if (mode !== "hang") releaseHanging();
  }

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      releaseHanging();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const port = await listen(opts.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setFault,
    suspend: stop,
    resume: async () => {
      await listen(port);
    },
    close: stop,
  };
}
