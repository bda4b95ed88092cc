/**
 * Bad requests to the admin API, in workerd through `app.request`: each is a 400 (or 415, 413)
 * with a stable code and, for bodies and queries, the field that is wrong; nothing is applied.
 * The config cases go to the real account object, which validates the merged document whole.
 */
import { describe, expect, it } from "vitest";
import { adminEnv, call, json } from "./admin-support.ts";

const e = adminEnv("validation");

interface ErrorBody {
  error: string;
  message: string;
  fields?: { path: string; message: string }[];
}

const ORDER = { ticker: "KXA-1", side: "yes", action: "buy", price: "0.5000", count: "1" };

describe("bad bodies", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a price with five decimals", { ...ORDER, price: "0.12345" }, "price"],
    ["a price of a dollar", { ...ORDER, price: "1.0000" }, "price"],
    ["a fractional price in units", { ...ORDER, price: 50.5 }, "price"],
    ["a zero count", { ...ORDER, count: "0" }, "count"],
    ["a count as a number", { ...ORDER, count: 1 }, "count"],
    ["no ticker", { ...ORDER, ticker: undefined }, "ticker"],
    ["a side that is not yes or no", { ...ORDER, side: "bid" }, "side"],
    [
      "an expiration on an IOC order",
      { ...ORDER, time_in_force: "immediate_or_cancel", expiration: 1 },
      "expiration",
    ],
    ["an unknown field", { ...ORDER, postOnly: true }, "(root)"],
  ])("refuses an order with %s, naming the field", async (_what, body, path) => {
    const { status, body: b } = await json<ErrorBody>(call(e, "/api/orders", { body }));
    expect(status).toBe(400);
    expect(b.error).toBe("invalid_body");
    expect(b.fields?.map((f) => f.path)).toContain(path);
    expect(b.fields?.every((f) => f.message.length > 0)).toBe(true);
  });

  it("lists every wrong field of an order at once", async () => {
    const { body } = await json<ErrorBody>(
      call(e, "/api/orders", { body: { ticker: "KXA-1", price: "2", count: "x" } }),
    );
    expect(body.fields?.map((f) => f.path).sort()).toEqual(["action", "count", "price", "side"]);
  });

  it.each<[string, unknown, string]>([
    ["no reason", {}, "reason"],
    ["an empty reason", { reason: "   " }, "reason"],
    ["a reason that is not text", { reason: 5 }, "reason"],
    ["a reason over 300 characters", { reason: "x".repeat(301) }, "reason"],
  ])("refuses a halt with %s", async (_what, body, path) => {
    const { status, body: b } = await json<ErrorBody>(call(e, "/api/halt", { body }));
    expect(status).toBe(400);
    expect(b).toMatchObject({ error: "invalid_body", fields: [expect.objectContaining({ path })] });
  });

  it("refuses a halt with no body at all, naming the reason", async () => {
    const { status, body } = await json<ErrorBody>(call(e, "/api/halt", { method: "POST" }));
    expect(status).toBe(400);
    expect(body.fields?.[0]?.path).toBe("reason");
  });

  it("refuses a report day that is not a date", async () => {
    const { status, body } = await json<ErrorBody>(
      call(e, "/api/report/send", { body: { day: "yesterday" } }),
    );
    expect(status).toBe(400);
    expect(body.fields?.[0]?.path).toBe("day");
  });

  it("refuses a body that is not JSON, and JSON sent as something else", async () => {
    const bad = await json<ErrorBody>(
      call(e, "/api/halt", { raw: "{reason:", contentType: "application/json" }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_json");
    const form = await json<ErrorBody>(call(e, "/api/halt", { raw: "reason=x", contentType: "text/plain" }));
    expect(form.status).toBe(415);
    expect(form.body.error).toBe("unsupported_media_type");
  });

  it("refuses a body above its size limit", async () => {
    const { status, body } = await json<ErrorBody>(
      call(e, "/api/halt", { raw: JSON.stringify({ reason: "x".repeat(70_000) }) }),
    );
    expect(status).toBe(413);
    expect(body.error).toBe("body_too_large");
  });
});

describe("bad config updates", () => {
  it.each<[string, unknown, string]>([
    ["a value out of range", { risk: { maxOrderCount: -5 } }, "risk.maxOrderCount"],
    ["a value of the wrong type", { feed: { heartbeatMs: "fast" } }, "feed.heartbeatMs"],
    ["an unknown section", { nonsense: {} }, "nonsense"],
  ])("refuses %s with the field's path, and changes nothing", async (_what, patch, path) => {
    const before = await json<{ version: number; config: unknown }>(call(e, "/api/config"));
    const { status, body } = await json<ErrorBody>(call(e, "/api/config", { method: "PATCH", body: patch }));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_config");
    const field = body.fields?.find((f) => f.path === path);
    expect(field, JSON.stringify(body.fields)).toBeDefined();
    const after = await json<{ version: number; config: unknown }>(call(e, "/api/config"));
    expect(after.body).toEqual(before.body);
  });

  // Regression: a strict section (risk, strategy's parts) reported only the section's path
  // (`risk`), with the key named in zod's message alone.
  it.each<[string, unknown, string[]]>([
    ["a misspelt risk setting", { risk: { maxOrderCountt: 5 } }, ["risk.maxOrderCountt"]],
    [
      "two unknown keys in one section",
      { risk: { maxOrderCountt: 5, maxOrderCont: 5 } },
      ["risk.maxOrderCont", "risk.maxOrderCountt"],
    ],
    [
      "an unknown key two levels down",
      { strategy: { exits: { stopPointz: 10 } } },
      ["strategy.exits.stopPointz"],
    ],
  ])("names %s by its full path, and changes nothing", async (_what, patch, paths) => {
    const before = await json<{ version: number; config: unknown }>(call(e, "/api/config"));
    const { status, body } = await json<ErrorBody>(call(e, "/api/config", { method: "PATCH", body: patch }));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_config");
    expect(body.fields?.map((f) => `${f.path}: ${f.message}`).sort()).toEqual(
      paths.map((p) => `${p}: unknown setting`),
    );
    const after = await json<{ version: number; config: unknown }>(call(e, "/api/config"));
    expect(after.body).toEqual(before.body);
  });

  it("refuses a patch that is not an object", async () => {
    const { status, body } = await json<ErrorBody>(call(e, "/api/config", { method: "PATCH", body: [1, 2] }));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_body");
  });
});

describe("bad queries and ids", () => {
  it.each([
    ["/api/orders?limit=0", "limit"],
    ["/api/orders?limit=501", "limit"],
    ["/api/trades?before=soon", "before"],
    ["/api/pnl?days=0", "days"],
    ["/api/reconciliation?open=maybe", "open"],
    ["/api/history/orders?limit=abc", "limit"],
    ["/api/history/orders?since=20&until=10", "since"],
    ["/api/reports?day=2026-13-01", "day"],
    ["/api/orders?colour=red", "(root)"],
  ])("refuses %s, naming %s", async (path, field) => {
    const { status, body } = await json<ErrorBody>(call(e, path));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_query");
    expect(body.fields?.map((f) => f.path)).toContain(field);
  });

  it("refuses a history table that does not exist, listing the ones that do", async () => {
    const { status, body } = await json<ErrorBody>(call(e, "/api/history/passwords"));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_params");
    expect(body.fields?.[0]?.message).toContain("risk_events");
  });

  it("refuses a history cursor the API never made", async () => {
    const { status, body } = await json<ErrorBody>(call(e, "/api/history/orders?cursor=bm90LWEtY3Vyc29y"));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_history_query");
  });

  it("answers 404 for an order, a difference and a market it does not know", async () => {
    const order = await json<ErrorBody>(call(e, "/api/orders/no-such-order/cancel", { method: "POST" }));
    expect(order).toMatchObject({ status: 404, body: { error: "order_not_found" } });
    const diff = await json<ErrorBody>(
      call(e, "/api/reconciliation/no-such-diff/review", { method: "POST" }),
    );
    expect(diff).toMatchObject({ status: 404, body: { error: "difference_not_found" } });
    const why = await json<ErrorBody>(call(e, "/api/why/KXNOPE-1"));
    expect(why).toMatchObject({ status: 404, body: { error: "market_not_watched" } });
    const ticker = await json<ErrorBody>(call(e, "/api/why/not%20a%20ticker"));
    expect(ticker).toMatchObject({ status: 400, body: { error: "invalid_params" } });
  });
});
