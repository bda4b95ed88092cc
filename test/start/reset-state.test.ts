/**
 * `npm run reset-state`: deletes one environment's local state, and refuses while an `npm start`
 * uses it, while something listens on the Worker's port, or when the directory is not wrangler's.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeRunState } from "../../scripts/local-run.ts";
import { freePort, holdPort, linesOf, runScript } from "./start-support.ts";

let dir: string;
let state: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reset-state-"));
  state = join(dir, "sim");
  mkdirSync(join(state, "v3", "do"), { recursive: true });
  writeFileSync(join(state, "v3", "do", "blob"), "wanted markets, a tripped breaker");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function reset(args: string[]) {
  return runScript("scripts/reset-state.mjs", [
    "--env",
    "sim",
    "--persist-to",
    state,
    "--port",
    String(await freePort()),
    ...args,
  ]);
}

describe("npm run reset-state", { timeout: 30_000 }, () => {
  it("deletes the environment's state directory", async () => {
    const r = await reset([]);
    expect(r.code).toBe(0);
    expect(existsSync(state)).toBe(false);
    expect(r.stdout).toContain("npm start -- --env sim starts with empty state");
  });

  it("deletes the state an npm start left behind after it stopped", async () => {
    // A pid that cannot be alive: the run-state file of a run that was killed.
    writeRunState(state, {
      pid: 2 ** 22 + 1,
      env: "sim",
      workerPort: 8787,
      simPort: 8788,
      workerPid: null,
      simPid: null,
      simRestarts: 0,
    });
    const r = await reset([]);
    expect(r.code).toBe(0);
    expect(existsSync(state)).toBe(false);
  });

  it("refuses while an npm start uses the directory", async () => {
    writeRunState(state, {
      pid: process.pid,
      env: "sim",
      workerPort: 8787,
      simPort: 8788,
      workerPid: null,
      simPid: null,
      simRestarts: 0,
    });
    const r = await reset([]);
    expect(r.code).toBe(1);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`npm start (pid ${process.pid}`);
    expect(existsSync(join(state, "v3", "do", "blob"))).toBe(true);
  });

  it("refuses while something listens on the Worker's port, unless forced", async () => {
    const held = await holdPort();
    try {
      const args = ["--env", "sim", "--persist-to", state, "--port", String(held.port)];
      const refused = await runScript("scripts/reset-state.mjs", args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--force");
      expect(existsSync(state)).toBe(true);
      const forced = await runScript("scripts/reset-state.mjs", [...args, "--force"]);
      expect(forced.code).toBe(0);
      expect(existsSync(state)).toBe(false);
    } finally {
      await held.close();
    }
  });

  it("refuses a directory that is not wrangler's local state", async () => {
    writeFileSync(join(state, "notes.txt"), "mine");
    const r = await reset([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not look like wrangler's local state");
    expect(existsSync(join(state, "notes.txt"))).toBe(true);
  });

  it("needs an environment", async () => {
    const r = await runScript("scripts/reset-state.mjs", []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--env sim|demo|prod");
  });
});
