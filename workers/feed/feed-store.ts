/**
 * Market data's durable part in the account object's SQLite: whether the feed runs, the markets it
 * watches and the feed breaker, in one checked row (`feed_state`). Books, sids and the socket are
 * memory only: they are rebuilt from fresh snapshots after a restart.
 */
import { z } from "zod";
import { type ModuleSchema, readRow } from "../account/sql-schema.ts";
import type { FeedPersisted, FeedStore } from "./market-data.ts";

export const FEED_SCHEMA: ModuleSchema = {
  module: "feed",
  migrations: [
    `CREATE TABLE feed_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      running INTEGER NOT NULL,
      wanted TEXT NOT NULL,
      breaker_tripped INTEGER NOT NULL,
      breaker_reason TEXT,
      breaker_since_ms INTEGER,
      updated_ms INTEGER NOT NULL
    )`,
  ],
};

const Row = z.object({
  running: z.number().int(),
  wanted: z.string(),
  breaker_tripped: z.number().int(),
  breaker_reason: z.string().nullable(),
  breaker_since_ms: z.number().int().nullable(),
});

const Wanted = z.array(z.string());

export function sqlFeedStore(sql: SqlStorage, nowMs: () => number): FeedStore {
  return {
    load(): FeedPersisted | undefined {
      const r = readRow(sql, "feed_state", Row, "SELECT * FROM feed_state WHERE id = 1");
      if (!r) return undefined;
      const wanted = Wanted.safeParse(JSON.parse(r.wanted));
      return {
        running: r.running === 1,
        wanted: wanted.success ? wanted.data : [],
        breaker: { tripped: r.breaker_tripped === 1, reason: r.breaker_reason, sinceMs: r.breaker_since_ms },
      };
    },
    save(s: FeedPersisted): void {
      sql.exec(
        `INSERT INTO feed_state (id, running, wanted, breaker_tripped, breaker_reason, breaker_since_ms, updated_ms)
         VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET running = excluded.running, wanted = excluded.wanted,
          breaker_tripped = excluded.breaker_tripped, breaker_reason = excluded.breaker_reason,
          breaker_since_ms = excluded.breaker_since_ms, updated_ms = excluded.updated_ms`,
        s.running ? 1 : 0,
        JSON.stringify(s.wanted),
        s.breaker.tripped ? 1 : 0,
        s.breaker.reason,
        s.breaker.sinceMs,
        nowMs(),
      );
    },
  };
}
