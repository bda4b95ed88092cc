/**
 * `POST /api/outbox/requeue`: rows Supabase refused for their content are set aside, not retried
 * for ever; once the schema or the data is fixed the operator puts them back, and the next flush
 * (run at once) delivers them. Against the PostgREST-compatible test server over a real Postgres.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { createHistoryClient } from "../../workers/history/flush.ts";
import { logRow } from "../../workers/history/rows.ts";
import { appendHistory, markRejected, outboxState } from "../../workers/history/store.ts";
import { accountHarness } from "../support/account-harness.ts";
import { accountName, adminEnv, call, json } from "./admin-support.ts";

const URL_ = inject("historyUrl");
const KEY = inject("historyServiceKey");
const NAME = "outbox-requeue";

beforeEach(async () => {
  const res = await fetch(`${URL_}/_test/fault`, {
    method: "POST",
    headers: { apikey: KEY, authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ mode: "none" }),
  });
  expect(res.status).toBe(200);
});

describe("requeueing the rows Supabase refused", () => {
  it("puts them back in the outbox and the next flush delivers them", async () => {
    const h = accountHarness(accountName(NAME), {
      overrides: { historyClient: createHistoryClient(URL_, KEY, fetch, 2_000) },
    });
    await h.install();
    const eventId = `requeue-${crypto.randomUUID()}`;
    const state = () => runInDurableObject(h.stub, (_o, s) => outboxState(s.storage.sql, 50_000));
    // A row an earlier flush had to set aside.
    await runInDurableObject(h.stub, (_o, s) => {
      const sql = s.storage.sql;
      appendHistory(
        sql,
        [
          logRow("sim:default", {
            eventId,
            atMs: h.clock.now,
            level: "info",
            event: "test.row",
            message: "m",
            data: {},
          }),
        ],
        h.clock.now,
      );
      const id = sql.exec<{ id: number }>("SELECT id FROM history WHERE key LIKE ?", `%${eventId}%`).one().id;
      markRejected(sql, [{ id, error: "23514: a check constraint refused it" }]);
    });
    await h.job("flush");
    expect(await state()).toMatchObject({ unflushed: 1, rejected: 1 }); // set aside: not sent again

    const r = await json<{ requeued: number }>(
      call(adminEnv(NAME), "/api/outbox/requeue", { method: "POST" }),
    );
    expect(r).toEqual({ status: 200, body: { requeued: 1 } });
    await h.job("flush");
    expect(await state()).toMatchObject({ unflushed: 0, rejected: 0 });
    const stored = await fetch(
      `${URL_}/rest/v1/logs?select=event_id&event_id=eq.${encodeURIComponent(eventId)}`,
      {
        headers: { apikey: KEY, authorization: `Bearer ${KEY}` },
      },
    );
    expect(await stored.json()).toEqual([{ event_id: eventId }]);

    // Nothing left to requeue: a second call says so.
    expect(await json(call(adminEnv(NAME), "/api/outbox/requeue", { method: "POST" }))).toEqual({
      status: 200,
      body: { requeued: 0 },
    });
  });
});
