/**
 * vitest globalSetup of the workers project: starts, in Node, a PGlite database with the
 * Supabase migrations applied and the PostgREST-compatible test server over it
 * (test/support/postgrest-server.ts) on 127.0.0.1, so the history flush runs inside workerd
 * against it with the real supabase-js client. Provides the server's URL and service key, and
 * the URL of a loopback port nothing listens on (connections to it are refused).
 */
import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import { openHistoryDb } from "../support/history-db.ts";
import { startPostgrestServer } from "../support/postgrest-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    historyUrl: string;
    historyServiceKey: string;
    historyRefusedUrl: string;
  }
}

/** A throwaway key for the local test server only; it opens nothing real. */
export const TEST_SERVICE_KEY = "test-service-role-key";

/** A loopback port that was free a moment ago and is closed now. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await openHistoryDb();
  const server = await startPostgrestServer({ db, serviceKey: TEST_SERVICE_KEY });
  project.provide("historyUrl", server.url);
  project.provide("historyServiceKey", TEST_SERVICE_KEY);
  project.provide("historyRefusedUrl", `http://127.0.0.1:${await closedPort()}`);
  return async () => {
    await server.close();
    await db.close();
  };
}
