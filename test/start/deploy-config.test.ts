/**
 * What deploys can reach only Kalshi's hosts. Regression: wrangler.toml used to set
 * KALSHI_ENV = "sim" and the simulator's 127.0.0.1 URL in [vars], so `wrangler deploy` shipped
 * a Worker pointed at loopback without a word. Every environment in wrangler.toml deploys (with
 * `--env <name>`), so each is read the way wrangler reads it, and `wrangler deploy --dry-run`
 * shows the vars the default and the production deploys would upload.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { resolveTarget } from "../../shared/environment.ts";
import { REPO_ROOT } from "./start-support.ts";

const CONFIG = join(REPO_ROOT, "wrangler.toml");
const LOOPBACK = /127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|0\.0\.0\.0/i;

const raw = experimental_readRawConfig({ config: CONFIG }).rawConfig;
/** "" is the top level, what plain `wrangler deploy` uses. */
const ENVIRONMENTS = ["", ...Object.keys(raw.env ?? {})];

function varsOf(env: string): Record<string, unknown> {
  const c = unstable_readConfig({ config: CONFIG, ...(env ? { env } : {}) }, { hideWarnings: true });
  return c.vars as Record<string, unknown>;
}

describe("wrangler.toml", () => {
  it("holds no loopback address outside comments", () => {
    const text = readFileSync(CONFIG, "utf8")
      .split("\n")
      .map((l) => l.replace(/#.*$/, ""))
      .join("\n");
    expect(text).not.toMatch(LOOPBACK);
  });

  it("deploys the top level to demo and only the production environment to prod", () => {
    const resolved = Object.fromEntries(
      ENVIRONMENTS.map((env) => {
        const t = resolveTarget(varsOf(env));
        return [env || "(top level)", t.ok ? t.env : t.code];
      }),
    );
    expect(resolved).toEqual({ "(top level)": "demo", production: "prod" });
  });

  it.each(ENVIRONMENTS)("environment %j reaches only Kalshi's hosts and is not a local run", (env) => {
    const vars = varsOf(env);
    for (const v of Object.values(vars)) expect(JSON.stringify(v)).not.toMatch(LOOPBACK);
    expect(vars.KALSHI_SIM_URL).toBe("");
    expect(vars.KALSHI_LOCAL_RUN).toBe("");
    const t = resolveTarget(vars);
    expect(t.ok && new URL(t.restBase).hostname).toMatch(/^external-api(\.demo)?\.kalshi\.(co|com)$/);
    // The simulator is refused even if someone flips KALSHI_ENV alone.
    expect(resolveTarget({ ...vars, KALSHI_ENV: "sim" }).ok).toBe(false);
  });

  it.each(ENVIRONMENTS)(
    "environment %j binds the account object with both migrations and the cron",
    (env) => {
      const c = unstable_readConfig({ config: CONFIG, ...(env ? { env } : {}) }, { hideWarnings: true });
      expect(c.durable_objects.bindings).toEqual([{ name: "ACCOUNT", class_name: "AccountObject" }]);
      expect(c.migrations.map((m: { tag: string }) => m.tag)).toEqual(["v1", "v2"]);
      expect(c.triggers.crons?.length).toBeGreaterThan(0);
    },
  );

  it("deploys production as its own Worker, so its Durable Objects never share demo's storage", () => {
    const names = ENVIRONMENTS.map(
      (env) => unstable_readConfig({ config: CONFIG, ...(env ? { env } : {}) }, { hideWarnings: true }).name,
    );
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("wrangler deploy --dry-run", { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "dry-run-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  /** The vars in the bindings table wrangler prints: `env.NAME ("value")   Environment Variable`. */
  function dryRunVars(env: string): Record<string, string> {
    const childEnv: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_HIDE_BANNER: "true",
      // Offline by construction: an account API call would fail against a closed port.
      CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4",
    };
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
        "deploy",
        "--dry-run",
        "--outdir",
        join(out, env || "top"),
        `--env=${env}`,
      ],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 110_000,
        env: childEnv as NodeJS.ProcessEnv,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const vars: Record<string, string> = {};
    for (const m of r.stdout.matchAll(/^env\.([A-Z0-9_]+) \("(.*)"\)\s+Environment Variable/gm))
      vars[m[1] ?? ""] = m[2] ?? "";
    return vars;
  }

  it.each([
    ["", "demo"],
    ["production", "prod"],
  ])("of environment %j uploads KALSHI_ENV=%s and no loopback URL", (env, kalshiEnv) => {
    const vars = dryRunVars(env);
    expect(vars.KALSHI_ENV).toBe(kalshiEnv);
    expect(vars.KALSHI_SIM_URL).toBe("");
    expect(vars.KALSHI_LOCAL_RUN).toBe("");
    for (const v of Object.values(vars)) expect(v).not.toMatch(LOOPBACK);
    expect(resolveTarget(vars).ok).toBe(true);
  });
});
