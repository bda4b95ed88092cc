/**
 * One scripted `npm start` session (slow: a real `wrangler dev`). It shows that the local stack
 * survives its parts: the simulator is killed, the start script restarts it on the same port,
 * and the Worker, still the same wrangler process, reconnects its feed by itself. Regression:
 * the start script used to stop everything when the simulator exited.
 *
 * The session (`StartSession`) runs in a fresh persist directory with an empty dev vars file and
 * an ADMIN_TOKEN of its own. It cannot hang CI: every wait has a deadline, a hard timer kills the
 * session, and afterAll stops every process group it spawned, whatever happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, readRunState } from "../../scripts/local-run.ts";
import { StartSession } from "./start-support.ts";

const HARD_DEADLINE_MS = 280_000;
const TOKEN = `session-${process.pid}-token`;

let session: StartSession;

interface Status {
  running: boolean;
  socket: string;
  openedAtMs: number | null;
}

async function status(): Promise<Status | undefined> {
  const r = await session.api("GET", "/api/status");
  return r.ok ? ((await r.json()) as { feed: Status }).feed : undefined;
}

beforeAll(async () => {
  session = await StartSession.start("start-session", TOKEN, HARD_DEADLINE_MS);
}, 30_000);

afterAll(async () => {
  await session?.stop();
}, 30_000);

describe("an npm start session", () => {
  it(
    "restarts a killed simulator on its port while the same Worker reconnects its feed",
    async () => {
      await session.until("/health", 150_000, async () => {
        const r = await fetch(`${session.base}/health`, { signal: AbortSignal.timeout(3000) });
        return r.ok ? true : undefined;
      });
      const first = await session.until("the feed's socket to open", 60_000, async () => {
        const s = await status();
        return s?.socket === "open" && s.openedAtMs !== null ? s : undefined;
      });
      const before = session.runState();
      expect(before.workerPid).not.toBeNull();
      expect(before.simPid).not.toBeNull();
      const workerPid = before.workerPid ?? 0;
      const simPid = before.simPid ?? 0;
      session.track(simPid);

      // The banner names where the token came from and never prints it.
      expect(session.output).toContain("Authorization: Bearer <$ADMIN_TOKEN>");
      expect(session.output).not.toContain(TOKEN);

      // Routine polling shows once, not once per poll.
      for (let i = 0; i < 5; i++) await status();

      process.kill(simPid, "SIGKILL");

      const after = await session.until("a new simulator on the same port", 60_000, async () => {
        const s = readRunState(session.persist);
        if (!s?.simPid || s.simPid === simPid) return undefined;
        const r = await fetch(`http://127.0.0.1:${session.simPort}/_sim/state`, {
          signal: AbortSignal.timeout(3000),
        });
        return r.ok ? s : undefined;
      });
      session.track(after.simPid);
      const reopened = await session.until("the feed to reconnect", 90_000, async () => {
        const s = await status();
        return s?.socket === "open" && s.openedAtMs !== null && s.openedAtMs > (first.openedAtMs ?? 0)
          ? s
          : undefined;
      });

      expect(reopened.running).toBe(true);
      expect(after.workerPid).toBe(workerPid);
      expect(isAlive(workerPid)).toBe(true);
      expect(after.simRestarts).toBe(1);
      const startLines = session.output.split("\n").filter((l) => l.startsWith("[start] "));
      expect(startLines.filter((l) => l.includes("simulator exited"))).toHaveLength(1);
      expect(startLines.filter((l) => l.includes("simulator back on port"))).toHaveLength(1);
      expect(session.output.match(/GET \/api\/status 200/g)?.length).toBe(1);
    },
    HARD_DEADLINE_MS,
  );
});
