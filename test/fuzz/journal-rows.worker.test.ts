/**
 * The one corruption of a journal row that Node's SQLite cannot stand in for (journal-rows.test.ts
 * runs the rest there): an integer past 2^53. Node refuses to read it; workerd's `SqlStorage`
 * returns it as the nearest double, so only the journal's schema stands between it and an order
 * count off by one. Read here through the account object's own storage.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RowError } from "../../workers/account/sql-schema.ts";
import { Journal } from "../../workers/executor/journal.ts";
import { journalOrder } from "../../workers/executor/test-support.ts";

describe("journal rows in the account object's SQLite", () => {
  it.each([
    ["count", 2 ** 53 + 1],
    ["filled", -(2 ** 53) - 1],
    ["fees", 2 ** 60],
  ])("reports an order whose %s holds an integer past 2^53 (%d) as a RowError", async (column, value) => {
    const thrown = await runInDurableObject(env.ACCOUNT.getByName(`fuzz-journal-${column}`), (_o, state) => {
      const sql = state.storage.sql;
      const j = new Journal(sql);
      j.insertOrder(journalOrder({ intentId: "i-big", clientOrderId: "c-big" }));
      // A literal, as a hand edit would write it: a double cannot even carry it to SQLite.
      sql.exec(`UPDATE orders SET ${column} = ${BigInt(value).toString()} WHERE intent_id = 'i-big'`);
      try {
        j.order("i-big");
        return null;
      } catch (err) {
        return err instanceof RowError ? `RowError: ${err.message}` : `other: ${String(err)}`;
      }
    });
    expect(thrown).toMatch(new RegExp(`^RowError: orders: .*${column}`));
  });
});
