/**
 * Which exchange this Worker talks to, decided once from its vars and refused when they do not
 * add up. Pure: no I/O, no clock.
 *
 * Three environments (docs/environments.md):
 * - `sim`: the local Kalshi simulator. Only a local run may use it (`npm start`, the tests): the
 *   URL must be loopback and `KALSHI_LOCAL_RUN` must be `"true"`, a marker only those set.
 * - `demo`: Kalshi's demo exchange, at Kalshi's fixed hosts. What plain `wrangler deploy` ships.
 * - `prod`: Kalshi's production exchange (real money), at Kalshi's fixed hosts, and only with the
 *   explicit opt-in `KALSHI_PROD_ENABLED = "true"` (set by `[env.production]` in wrangler.toml).
 *
 * A simulator URL next to demo or prod is a mismatch, never silently ignored: it means someone
 * meant one environment and configured another. Error messages name the variable and what it
 * must be, and never repeat a value (a misplaced secret must not reach a log or an HTTP client).
 *
 * `accountKey` (`<env>:<ACCOUNT_NAME>`) is the Durable Object name, so each environment keeps its
 * own state: wanted markets, breakers or orders from the simulator never reach demo or prod.
 *
 * Callers: the Worker (the account object and the admin API resolve the target before trading
 * and for readiness), `scripts/start.mjs` (the banner), the deploy-configuration tests.
 */
import type { KalshiEnv } from "./kalshi/rest-client.ts";
import { baseUrlsFor } from "./kalshi/rest-client.ts";

export type { KalshiEnv };

/** The Worker vars `resolveTarget` reads; `Env` fits. Values are `unknown`: vars may be JSON. */
export interface TargetVars {
  readonly KALSHI_ENV?: unknown;
  readonly KALSHI_SIM_URL?: unknown;
  readonly KALSHI_LOCAL_RUN?: unknown;
  readonly KALSHI_PROD_ENABLED?: unknown;
  readonly ACCOUNT_NAME?: unknown;
}

export interface Target {
  ok: true;
  env: KalshiEnv;
  /** REST base including `/trade-api/v2`. */
  restBase: string;
  /** WebSocket URL in its http(s) form: Workers open it with `fetch` and `Upgrade: websocket`. */
  wsUrl: string;
  accountName: string;
  /** `<env>:<ACCOUNT_NAME>`: the account object's name, one per environment and account. */
  accountKey: string;
}

export type TargetErrorCode =
  | "env_unknown"
  | "env_url_mismatch"
  | "sim_url_invalid"
  | "sim_not_local"
  | "prod_not_enabled"
  | "account_name_invalid";

export interface TargetError {
  ok: false;
  code: TargetErrorCode;
  message: string;
}

export type TargetResult = Target | TargetError;

/** The value that turns a marker or an opt-in on; anything else (`"1"`, `"yes"`, `true`) is off. */
export const ENABLED = "true";

const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function refuse(code: TargetErrorCode, message: string): TargetError {
  return { ok: false, code, message };
}

/** A var that is unset or the empty string; a non-string value counts as set. */
function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  // `new URL` has already normalised IPv4 (`127.1` becomes `127.0.0.1`).
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

type SimUrlCheck = { ok: true; root: string } | TargetError;

/** The simulator's root URL: http(s), loopback host, no credentials, path, query or fragment. */
function checkSimUrl(raw: unknown): SimUrlCheck {
  if (isBlank(raw) || typeof raw !== "string")
    return refuse(
      "sim_url_invalid",
      "KALSHI_ENV=sim needs KALSHI_SIM_URL, the simulator's loopback root URL",
    );
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return refuse("sim_url_invalid", "KALSHI_SIM_URL is not a URL (expected e.g. http://127.0.0.1:8788)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return refuse("sim_url_invalid", "KALSHI_SIM_URL must be an http:// URL");
  if (url.username !== "" || url.password !== "")
    return refuse("sim_url_invalid", "KALSHI_SIM_URL must not contain credentials");
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "")
    return refuse(
      "sim_url_invalid",
      "KALSHI_SIM_URL must be the simulator's root (no path, query or fragment)",
    );
  if (!isLoopbackHost(url.hostname))
    return refuse(
      "sim_not_local",
      "KALSHI_SIM_URL must point at loopback (127.0.0.1, localhost or [::1]): the simulator runs only locally",
    );
  return { ok: true, root: url.origin };
}

/**
 * The exchange this Worker may trade on, or why it must not trade at all. Check order: the
 * environment name, then its URL, then the local-run marker or the production opt-in, then the
 * account name.
 */
export function resolveTarget(vars: TargetVars): TargetResult {
  const env = vars.KALSHI_ENV;
  if (env !== "sim" && env !== "demo" && env !== "prod")
    return refuse("env_unknown", "KALSHI_ENV must be one of sim, demo or prod");

  let urls: { rest: string; ws: string };
  if (env === "sim") {
    const sim = checkSimUrl(vars.KALSHI_SIM_URL);
    if (!sim.ok) return sim;
    if (vars.KALSHI_LOCAL_RUN !== ENABLED)
      return refuse(
        "sim_not_local",
        "KALSHI_ENV=sim is for local runs only (npm start, the tests), and KALSHI_LOCAL_RUN is not set",
      );
    urls = baseUrlsFor("sim", sim.root);
  } else {
    if (!isBlank(vars.KALSHI_SIM_URL))
      return refuse(
        "env_url_mismatch",
        `KALSHI_ENV=${env} uses Kalshi's own hosts, but KALSHI_SIM_URL is set: empty it, or run the simulator with npm start`,
      );
    if (env === "prod" && vars.KALSHI_PROD_ENABLED !== ENABLED)
      return refuse(
        "prod_not_enabled",
        `KALSHI_ENV=prod trades real money and needs KALSHI_PROD_ENABLED="${ENABLED}" (wrangler deploy --env production sets it)`,
      );
    urls = baseUrlsFor(env);
  }

  const name = vars.ACCOUNT_NAME;
  if (typeof name !== "string" || !ACCOUNT_NAME_RE.test(name))
    return refuse(
      "account_name_invalid",
      "ACCOUNT_NAME must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );

  return {
    ok: true,
    env,
    restBase: urls.rest,
    wsUrl: urls.ws.replace(/^ws/, "http"),
    accountName: name,
    accountKey: `${env}:${name}`,
  };
}

/** The secret vars `secretsStatus` looks at; `Env` fits. */
export interface SecretVars {
  readonly KALSHI_KEY_ID?: unknown;
  readonly KALSHI_PRIVATE_KEY?: unknown;
  readonly ADMIN_TOKEN?: unknown;
  readonly SUPABASE_URL?: unknown;
  readonly SUPABASE_SERVICE_KEY?: unknown;
  readonly RESEND_API_KEY?: unknown;
}

export type SecretState = "present" | "missing";

export interface SecretsStatus {
  /** KALSHI_KEY_ID and KALSHI_PRIVATE_KEY, both needed to sign */
  kalshiKey: SecretState;
  adminToken: SecretState;
  /** SUPABASE_URL and SUPABASE_SERVICE_KEY, both needed to write history */
  supabase: SecretState;
  resend: SecretState;
}

/**
 * A secret is present when it is a non-empty string that is not the `<...>` placeholder of
 * `.dev.vars.example`. Only that is reported: never a value, a length or a prefix.
 */
function present(...values: unknown[]): SecretState {
  const ok = values.every((v) => {
    if (typeof v !== "string") return false;
    const t = v.trim();
    return t !== "" && !(t.startsWith("<") && t.endsWith(">"));
  });
  return ok ? "present" : "missing";
}

/** Which secrets are configured, for readiness reports and the start banner. */
export function secretsStatus(vars: SecretVars): SecretsStatus {
  return {
    kalshiKey: present(vars.KALSHI_KEY_ID, vars.KALSHI_PRIVATE_KEY),
    adminToken: present(vars.ADMIN_TOKEN),
    supabase: present(vars.SUPABASE_URL, vars.SUPABASE_SERVICE_KEY),
    resend: present(vars.RESEND_API_KEY),
  };
}
