/**
 * The Worker's log writes nothing while the event that logs is still running (an entry's request
 * must not wait behind a log line), and then every line, in order, as one JSON object each.
 */
import { describe, expect, it } from "vitest";
import { deferredConsole } from "../../workers/account/account-object.ts";

describe("deferredConsole", () => {
  it("writes nothing during the call, then every line in order after the delay", async () => {
    const written: string[] = [];
    const log = deferredConsole((line) => written.push(line), 5);
    log("entry.sent", { ticker: "KXA", price: 9_160 });
    log("order.unknown", { intentId: "i-1" });
    expect(written).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(written.map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: "entry.sent", ticker: "KXA", price: 9_160 },
      { event: "order.unknown", intentId: "i-1" },
    ]);
    log("later", {});
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toHaveLength(3);
  });
});
