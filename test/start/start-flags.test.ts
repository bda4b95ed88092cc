/**
 * `npm start` refuses what cannot work with one line and a non-zero exit, before it spawns
 * anything (the persist directory it would create stays absent).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort, holdPort, linesOf, runScript } from "./start-support.ts";

let dir: string;
let persist: string;
let emptyVars: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "start-flags-"));
  persist = join(dir, "state");
  emptyVars = join(dir, "empty.vars");
  writeFileSync(emptyVars, "");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]) {
  return runScript("scripts/start.mjs", [...args, "--persist-to", persist]);
}

describe("npm start with a busy port", { timeout: 30_000 }, () => {
  // Regression: a port in use used to end in a raw EADDRINUSE stack from a child.
  it("names --port when the Worker's port is taken, and spawns nothing", async () => {
    const held = await holdPort();
    try {
      const r = await start(["--port", String(held.port), "--sim-port", String(await freePort())]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(linesOf(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`port ${held.port}`);
      expect(r.stderr).toContain("--port <n>");
      expect(existsSync(persist)).toBe(false);
    } finally {
      await held.close();
    }
  });

  it("names --sim-port when the simulator's port is taken", async () => {
    const held = await holdPort();
    try {
      const r = await start(["--port", String(await freePort()), "--sim-port", String(held.port)]);
      expect(r.code).not.toBe(0);
      expect(linesOf(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain("--sim-port <n>");
      expect(existsSync(persist)).toBe(false);
    } finally {
      await held.close();
    }
  });
});

describe("npm start refuses", { timeout: 30_000 }, () => {
  // Regression: KALSHI_ENV=demo in .dev.vars was silently overridden by the simulator run.
  it("a .dev.vars that chooses the environment, naming --env", async () => {
    const vars = join(dir, "dev.vars");
    writeFileSync(vars, "KALSHI_ENV=demo\nKALSHI_KEY_ID=abc\n");
    const r = await start(["--dev-vars", vars, "--port", String(await freePort())]);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("npm start -- --env demo");
    expect(r.stderr).not.toContain("abc");
    expect(existsSync(persist)).toBe(false);
  });

  it("demo without a Kalshi key, naming the two secrets", async () => {
    const r = await start(["--env", "demo", "--dev-vars", emptyVars, "--port", String(await freePort())]);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("KALSHI_KEY_ID and KALSHI_PRIVATE_KEY");
  });

  it.each([
    [["--env", "staging"], "--env must be sim, demo or prod"],
    [["--port", "99999"], "--port must be a port number"],
    [["--sim-port", "x"], "--sim-port must be a port number"],
    [["--port", "9000", "--sim-port", "9000"], "--port and --sim-port must differ"],
    [["--env", "demo", "--sim-port", "9001"], "--sim-port is for the simulator"],
    [["--bogus"], "--help"],
  ])("%j with one line", async (args, text) => {
    const r = await start([...args, "--dev-vars", emptyVars]);
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(text);
  });
});

describe("npm start -- --help", { timeout: 30_000 }, () => {
  it("documents every flag", async () => {
    const r = await runScript("scripts/start.mjs", ["--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--env",
      "--port",
      "--sim-port",
      "--persist-to",
      "--dev-vars",
      "--seed",
      "--markets",
      "--speed",
    ])
      expect(r.stdout).toContain(flag);
  });
});
