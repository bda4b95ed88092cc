import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  devVarsConflict,
  LogOnce,
  parseLocalEnv,
  parsePort,
  portFree,
  quietWranglerEnv,
  RequestLogFilter,
  readRunState,
  restartDelayMs,
  wranglerEnvFor,
  writeRunState,
} from "../../scripts/local-run.ts";

describe("--env", () => {
  it.each([
    [undefined, "sim"],
    ["sim", "sim"],
    ["demo", "demo"],
    ["prod", "prod"],
    ["production", "prod"],
    ["Demo", null],
    ["staging", null],
    ["", null],
  ])("reads %j as %j", (flag, env) => {
    expect(parseLocalEnv(flag)).toBe(env);
  });

  it("runs prod under wrangler.toml's production environment (the one with the opt-in) and the rest at the top level", () => {
    expect(wranglerEnvFor("prod")).toBe("production");
    expect(wranglerEnvFor("demo")).toBe("");
    expect(wranglerEnvFor("sim")).toBe("");
  });
});

describe("port flags", () => {
  it.each([
    [undefined, 8787],
    ["1", 1],
    ["65535", 65535],
    ["0", null],
    ["65536", null],
    ["80a", null],
    ["-1", null],
    ["8787.5", null],
  ])("reads %j as %j", (flag, port) => {
    expect(parsePort(flag, 8787)).toBe(port);
  });

  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it("tells a taken port from a free one", async () => {
    server = createServer();
    const port = await new Promise<number>((resolve) =>
      server?.listen(0, "127.0.0.1", () => {
        const a = server?.address();
        resolve(typeof a === "object" && a ? a.port : 0);
      }),
    );
    expect(await portFree(port)).toBe(false);
    await new Promise<void>((r) => server?.close(() => r()));
    server = undefined;
    expect(await portFree(port)).toBe(true);
  });
});

describe(".dev.vars", () => {
  it("may hold secrets", () => {
    expect(
      devVarsConflict({ KALSHI_KEY_ID: "k", ADMIN_TOKEN: "t", ACCOUNT_NAME: "a" }, ".dev.vars"),
    ).toBeNull();
  });

  // Regression: KALSHI_ENV=demo in .dev.vars used to be overridden by npm start without a word.
  it("may not choose the environment, and the refusal names the flag that does", () => {
    const m = devVarsConflict({ KALSHI_ENV: "demo", KALSHI_KEY_ID: "k" }, ".dev.vars");
    expect(m).toContain("npm start -- --env demo");
    expect(m).toContain("KALSHI_ENV");
    expect(m?.split("\n")).toHaveLength(1);
  });

  it.each(["KALSHI_SIM_URL", "KALSHI_LOCAL_RUN", "KALSHI_PROD_ENABLED"])("may not set %s", (k) => {
    expect(devVarsConflict({ [k]: "x" }, ".dev.vars")).toContain(k);
  });
});

describe("run-state file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("reads back what was written, and nothing from a directory without one", () => {
    const dir = mkdtempSync(join(tmpdir(), "run-state-"));
    dirs.push(dir);
    expect(readRunState(dir)).toBeNull();
    const state = {
      pid: 42,
      env: "sim" as const,
      workerPort: 8787,
      simPort: 8788,
      workerPid: 43,
      simPid: 44,
      simRestarts: 1,
    };
    writeRunState(dir, state);
    expect(readRunState(dir)).toEqual(state);
  });
});

describe("RequestLogFilter", () => {
  it("shows a polled GET once per status, with the count of identical ones hidden before a change", () => {
    const f = new RequestLogFilter();
    const shown = [
      "[wrangler:info] GET /api/status 200 OK (12ms)",
      "[wrangler:info] GET /api/status 200 OK (9ms)",
      "[wrangler:info] GET /api/status?x=1 200 OK (7ms)",
      "[wrangler:info] GET /health 200 OK (1ms)",
      "[wrangler:info] GET /api/status 503 Service Unavailable (3ms)",
      "[wrangler:info] GET /api/status 503 Service Unavailable (3ms)",
      "[wrangler:info] GET /api/status 200 OK (8ms)",
    ]
      .map((l) => f.filter(l))
      .filter((l) => l !== null);
    expect(shown).toEqual([
      "[wrangler:info] GET /api/status 200 OK (12ms)",
      "[wrangler:info] GET /health 200 OK (1ms)",
      "[wrangler:info] GET /api/status 503 Service Unavailable (3ms)   (2 more 200 before it)",
      "[wrangler:info] GET /api/status 200 OK (8ms)   (1 more 503 before it)",
    ]);
  });

  it("always shows writes and the Worker's own lines", () => {
    const f = new RequestLogFilter();
    const lines = [
      "[wrangler:info] POST /api/feed/start 200 OK (31ms)",
      "[wrangler:info] POST /api/feed/start 200 OK (30ms)",
      '{"event":"feed.connected","attempt":0}',
      '{"event":"feed.connected","attempt":0}',
    ];
    expect(lines.map((l) => f.filter(l))).toEqual(lines);
  });

  it("recognises a coloured request line", () => {
    const f = new RequestLogFilter();
    f.filter("\u001b[2m[wrangler:info] GET /api/status 200 OK (1ms)\u001b[0m");
    expect(f.filter("[wrangler:info] GET /api/status 200 OK (2ms)")).toBeNull();
  });
});

describe("LogOnce", () => {
  it("lets a repeated message through once and a changed one again", () => {
    const once = new LogOnce();
    const out = ["down", "down", "down", "up", "down"].map((m) => once.next("sim", m));
    expect(out).toEqual(["down", null, null, "up", "down"]);
    expect(once.next("worker", "down")).toBe("down");
  });
});

describe("simulator restart backoff", () => {
  it.each([
    [0, 500],
    [1, 1000],
    [4, 8000],
    [5, 10_000],
    [50, 10_000],
  ])("waits %i failed starts -> %i ms", (attempt, ms) => {
    expect(restartDelayMs(attempt)).toBe(ms);
  });
});

describe("wrangler's environment", () => {
  it("turns off telemetry, the Request.cf download and the banner's update check", () => {
    const env = quietWranglerEnv({ PATH: "/bin" });
    expect(env).toMatchObject({
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      PATH: "/bin",
    });
  });

  it("keeps a choice the user made", () => {
    expect(quietWranglerEnv({ WRANGLER_SEND_METRICS: "true" }).WRANGLER_SEND_METRICS).toBe("true");
  });
});
