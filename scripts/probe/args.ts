/**
 * `npm run probe` flags and credentials, pure: what to probe, refused with one clear line when
 * it cannot or must not run. Called by scripts/probe.ts before anything touches the network.
 *
 *   (none)                 Kalshi's demo exchange, with the API key in .dev.vars
 *   --sim                  the simulator: one started in this process, or --sim-url's
 *   --target sim|demo|prod the same choice spelled out; prod also needs --i-know-this-trades-real-money
 *   --dev-vars <file>      where the key is (default .dev.vars)
 *   --only <id,id>         run only these checks (cleanup always runs)
 *   --json                 print the rows as JSON instead of a table
 */
import { parseArgs } from "node:util";
import { secretsStatus } from "../../shared/environment.ts";
import type { ProbeTarget } from "./types.ts";

export const REAL_MONEY_FLAG = "i-know-this-trades-real-money";

export interface ProbeOptions {
  target: ProbeTarget;
  /** with target sim: a running simulator's root URL; null = start one in this process */
  simUrl: string | null;
  devVarsPath: string;
  /** check ids to run; null = all */
  only: string[] | null;
  json: boolean;
  help: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export const USAGE = `usage: npm run probe -- [--sim [--sim-url http://127.0.0.1:8788] | --target demo|prod] [--dev-vars .dev.vars] [--only id,id] [--json]
  default: Kalshi's demo exchange with KALSHI_KEY_ID and KALSHI_PRIVATE_KEY from .dev.vars
  --target prod trades real money and also needs --${REAL_MONEY_FLAG}`;

export function parseProbeArgs(argv: readonly string[]): Parsed<ProbeOptions> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        target: { type: "string" },
        sim: { type: "boolean", default: false },
        "sim-url": { type: "string" },
        "dev-vars": { type: "string" },
        only: { type: "string" },
        json: { type: "boolean", default: false },
        [REAL_MONEY_FLAG]: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return { ok: false, message: `${err instanceof Error ? err.message : String(err)}\n${USAGE}` };
  }
  const rawTarget = values.target;
  if (rawTarget !== undefined && rawTarget !== "sim" && rawTarget !== "demo" && rawTarget !== "prod")
    return { ok: false, message: `--target must be sim, demo or prod, got ${String(rawTarget)}` };
  if (values.sim === true && rawTarget !== undefined && rawTarget !== "sim")
    return { ok: false, message: `--sim and --target ${rawTarget} contradict each other: pick one` };
  const simUrl = typeof values["sim-url"] === "string" ? values["sim-url"] : null;
  const target: ProbeTarget = rawTarget ?? (values.sim === true || simUrl !== null ? "sim" : "demo");
  if (simUrl !== null && target !== "sim")
    return { ok: false, message: `--sim-url is for the simulator, but the target is ${target}` };
  const realMoney = values[REAL_MONEY_FLAG] === true;
  if (target === "prod" && !realMoney)
    return {
      ok: false,
      message: `refusing --target prod: the probe places and cancels real orders on Kalshi's production exchange (real money). If you mean it, add --${REAL_MONEY_FLAG}`,
    };
  if (target !== "prod" && realMoney)
    return { ok: false, message: `--${REAL_MONEY_FLAG} only goes with --target prod` };
  let only: string[] | null = null;
  if (typeof values.only === "string") {
    only = values.only
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (only.length === 0) return { ok: false, message: "--only needs at least one check id" };
  }
  return {
    ok: true,
    value: {
      target,
      simUrl,
      devVarsPath: typeof values["dev-vars"] === "string" ? values["dev-vars"] : ".dev.vars",
      only,
      json: values.json === true,
      help: values.help === true,
    },
  };
}

export interface ProbeKeys {
  keyId: string;
  privateKeyPem: string;
}

/**
 * The API key for demo or prod from the dev vars (`KALSHI_KEY_ID`, `KALSHI_PRIVATE_KEY`, the PEM
 * with literal `\n` allowed: the signer normalises it). The message never repeats a value.
 */
export function keysFromDevVars(
  target: "demo" | "prod",
  devVars: Record<string, string>,
  devVarsPath: string,
  fileExists: boolean,
): Parsed<ProbeKeys> {
  const where = fileExists ? `${devVarsPath} has no usable` : `${devVarsPath} does not exist, so there is no`;
  if (secretsStatus(devVars).kalshiKey !== "present")
    return {
      ok: false,
      message: `npm run probe (${target}) needs a Kalshi ${target} API key, but ${where} KALSHI_KEY_ID and KALSHI_PRIVATE_KEY. Copy .dev.vars.example to ${devVarsPath} and fill in both (the PEM may use literal \\n), pass another file with --dev-vars, or probe the simulator with --sim.`,
    };
  return {
    ok: true,
    value: {
      keyId: (devVars.KALSHI_KEY_ID as string).trim(),
      privateKeyPem: devVars.KALSHI_PRIVATE_KEY as string,
    },
  };
}
