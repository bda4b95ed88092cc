/**
 * What `npm start` (scripts/start.mjs) and `npm run reset-state` (scripts/reset-state.mjs) share:
 * the local environments and where each keeps its state, the `.dev.vars` checks, the port check
 * done before anything is spawned, the run-state file that says which `npm start` uses a state
 * directory, and the two "once per change" log filters that keep routine polling and repeated
 * failures out of the terminal. Node only; the start script's tests (test/start/) use it too.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseEnv } from "node:util";
import type { KalshiEnv } from "../shared/environment.ts";

export const HOST = "127.0.0.1";
export const DEFAULT_WORKER_PORT = 8787;
export const DEFAULT_SIM_PORT = 8788;

export const LOCAL_ENVS: readonly KalshiEnv[] = ["sim", "demo", "prod"];

/** `--env` values; `production` is accepted for `prod`, as in `wrangler deploy --env production`. */
export function parseLocalEnv(v: string | undefined): KalshiEnv | null {
  if (v === undefined) return "sim";
  if (v === "production") return "prod";
  return (LOCAL_ENVS as readonly string[]).includes(v) ? (v as KalshiEnv) : null;
}

/**
 * The wrangler.toml environment a local run of `env` uses: the top level (demo) for sim and
 * demo, `production` (which carries the production opt-in) for prod.
 */
export function wranglerEnvFor(env: KalshiEnv): "" | "production" {
  return env === "prod" ? "production" : "";
}

/** Local Durable Object storage of one environment: nothing leaks from the simulator into demo. */
export function defaultPersistDir(env: KalshiEnv): string {
  return join(".wrangler", "state", env);
}

/** A TCP port: an integer from 1 to 65535 written in decimal digits; anything else is null. */
export function parsePort(v: string | undefined, fallback: number): number | null {
  if (v === undefined) return fallback;
  if (!/^\d{1,5}$/.test(v)) return null;
  const n = Number(v);
  return n >= 1 && n <= 65535 ? n : null;
}

/** Resolves true when nothing listens on host:port (we could bind it), false when it is taken. */
export function portFree(port: number, host: string = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** KEY=value pairs of a dotenv file (`.dev.vars`); an absent file is empty. */
export function readDevVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const parsed = parseEnv(readFileSync(path, "utf8"));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Vars that choose the environment. They belong to wrangler.toml and the `--env` flag, never to
 * `.dev.vars`, where they would silently override (or be overridden by) what `--env` chose.
 */
export const ENV_SELECTING_VARS = ["KALSHI_ENV", "KALSHI_SIM_URL", "KALSHI_LOCAL_RUN", "KALSHI_PROD_ENABLED"];

/** One line naming what to change, or null when the dev vars choose nothing. */
export function devVarsConflict(devVars: Record<string, string>, file: string): string | null {
  const found = ENV_SELECTING_VARS.filter((k) => k in devVars);
  if (found.length === 0) return null;
  const env = devVars.KALSHI_ENV;
  const how = env && parseLocalEnv(env) ? `run \`npm start -- --env ${env}\` and ` : "";
  return `${file} sets ${found.join(", ")}, but the environment is chosen with --env (sim, demo or prod): ${how}delete ${found.length > 1 ? "those lines" : "that line"} from ${file}`;
}

// ---------------------------------------------------------------- run-state file

/** Written by `npm start` into its persist directory while it runs. */
export const RUN_STATE_FILE = "npm-start.json";

export interface RunState {
  pid: number;
  env: KalshiEnv;
  workerPort: number;
  simPort: number | null;
  workerPid: number | null;
  simPid: number | null;
  simRestarts: number;
}

export function writeRunState(dir: string, state: RunState): void {
  writeFileSync(join(dir, RUN_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeRunState(dir: string): void {
  rmSync(join(dir, RUN_STATE_FILE), { force: true });
}

/** The run-state of `dir`, or null when there is none or it cannot be read. */
export function readRunState(dir: string): RunState | null {
  try {
    const v: unknown = JSON.parse(readFileSync(join(dir, RUN_STATE_FILE), "utf8"));
    if (typeof v !== "object" || v === null) return null;
    const pid = (v as { pid?: unknown }).pid;
    return typeof pid === "number" && Number.isInteger(pid) ? (v as RunState) : null;
  } catch {
    return null;
  }
}

/** Is a process with this pid alive (and ours to signal)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// ---------------------------------------------------------------- once-per-change logging

/**
 * Remembers the last message per topic and lets a message through only when it differs, so a
 * failure that repeats every second prints once and its recovery prints once.
 */
export class LogOnce {
  #last = new Map<string, string>();

  /** The message when it is new for `topic`, else null. */
  next(topic: string, message: string): string | null {
    if (this.#last.get(topic) === message) return null;
    this.#last.set(topic, message);
    return message;
  }

  forget(topic: string): void {
    this.#last.delete(topic);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters
const ANSI = /\u001b\[[0-9;]*m/g;

/** wrangler dev's request log line, e.g. `[wrangler:info] GET /api/status 200 OK (12ms)`. */
const REQUEST_LOG = /^\[wrangler:info\] (GET|HEAD) (\S+) (\d{3})\b/;

/**
 * wrangler dev logs every request it serves, and the dashboard polls `/api/status` every two
 * seconds. wrangler has no switch for this log alone (`--log-level` would hide the Worker's own
 * `console.log` lines with it), so the start script filters it: a GET or HEAD is shown when its
 * status differs from the last one shown for that path, with the number of identical requests
 * in between. Writes (POST and the rest) and every other line pass unchanged.
 */
export class RequestLogFilter {
  #byPath = new Map<string, { status: string; hidden: number }>();

  /** The line to print, or null to drop it. */
  filter(line: string): string | null {
    const m = REQUEST_LOG.exec(line.replace(ANSI, ""));
    if (!m) return line;
    const [, method, target = "", status = ""] = m;
    const key = `${method} ${target.split("?")[0]}`;
    const prev = this.#byPath.get(key);
    if (prev && prev.status === status) {
      prev.hidden += 1;
      return null;
    }
    this.#byPath.set(key, { status, hidden: 0 });
    return prev && prev.hidden > 0 ? `${line}   (${prev.hidden} more ${prev.status} before it)` : line;
  }
}

/**
 * Lines of wrangler dev's output that are wrong in a local run. Its types check compares the
 * committed types (generated from `.dev.vars.example` and checked by `npm test` with
 * `wrangler types --check`) with types built from whatever `.dev.vars` exists, so it warns on
 * every start without a `.dev.vars` holding exactly the example's keys.
 */
const WRANGLER_NOISE = [/Your types might be out of date/];

export function isWranglerNoise(line: string): boolean {
  const plain = line.replace(ANSI, "");
  return WRANGLER_NOISE.some((re) => re.test(plain));
}

/** Restart delay of the simulator after `attempt` failed starts in a row: 0.5 s doubling to 10 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
}

/**
 * Environment for the wrangler child: no telemetry, no `Request.cf` download from
 * workers.cloudflare.com and no banner with its npm update check (each a network lookup that
 * fails offline and prints a stack). A value the user set in their own environment wins.
 */
export function quietWranglerEnv(
  base: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    ...base,
  };
}
