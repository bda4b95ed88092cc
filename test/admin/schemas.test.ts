/**
 * The admin API's request schemas, alone: a manual order body becomes the domain intent in
 * integer units (prices and counts parsed once, exactly), and every boundary of price, count and
 * expiration is refused just outside it with a message naming the field.
 */
import { describe, expect, it } from "vitest";
import {
  HistoryQuery,
  ManualOrderBody,
  manualIntent,
  PageQuery,
  ReconQuery,
} from "../../workers/admin/schemas.ts";

const BASE = { ticker: "KXHIGHNY-24JAN01-T60", side: "yes", action: "buy", price: "0.5600", count: "10" };

function parse(over: Record<string, unknown>) {
  return ManualOrderBody.safeParse({ ...BASE, ...over });
}

function firstIssue(over: Record<string, unknown>): { path: string; message: string } | undefined {
  const r = parse(over);
  if (r.success) return undefined;
  const i = r.error.issues[0];
  return i && { path: i.path.join("."), message: i.message };
}

describe("a manual order body", () => {
  it("becomes the domain intent in integer units, with Kalshi's defaults for what is left out", () => {
    const r = parse({});
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(manualIntent(r.data)).toEqual({
      ticker: "KXHIGHNY-24JAN01-T60",
      side: "yes",
      action: "buy",
      price: 5_600,
      count: 1_000,
      purpose: "manual",
      tif: "good_till_canceled",
      postOnly: false,
      reduceOnly: false,
      expirationMs: null,
      positionId: null,
      reason: "admin",
    });
  });

  it.each([
    ["0.9100", 9_100],
    ["0.91", 9_100],
    [9_100, 9_100],
    ["0.0001", 1],
    [1, 1],
    ["0.9999", 9_999],
    [9_999, 9_999],
  ])("takes price %j as %i units", (price, units) => {
    const r = parse({ price });
    expect(r.success && r.data.price).toBe(units);
  });

  it.each([
    ["0.0000"],
    [0],
    ["1.0000"],
    [10_000],
    ["0.12345"],
    [9_100.5],
    ["-0.5"],
    ["$0.91"],
    [" 0.91"],
    [""],
    [null],
  ])("refuses price %j, naming the price", (price) => {
    expect(firstIssue({ price })?.path).toBe("price");
  });

  it.each([
    ["2", 200],
    ["2.00", 200],
    ["0.01", 1],
    ["1.5", 150],
  ])("takes count %j as %i units", (count, units) => {
    const r = parse({ count });
    expect(r.success && r.data.count).toBe(units);
  });

  it.each([["0"], ["0.00"], ["0.001"], ["-1"], ["two"], [2]])(
    "refuses count %j, naming the count",
    (count) => {
      expect(firstIssue({ count })?.path).toBe("count");
    },
  );

  it("reads an expiration as ISO 8601 or Unix milliseconds", () => {
    const iso = parse({ expiration: "2026-11-23T15:00:00Z" });
    const ms = parse({ expiration: 1_795_446_000_000 });
    expect(iso.success && iso.data.expiration).toBe(Date.parse("2026-11-23T15:00:00Z"));
    expect(ms.success && ms.data.expiration).toBe(1_795_446_000_000);
    expect(firstIssue({ expiration: "tomorrow" })?.path).toBe("expiration");
    expect(firstIssue({ expiration: "2026-11-23T15:00:00" })?.path).toBe("expiration"); // no offset
  });

  it("refuses an expiration on an immediate-or-cancel or fill-or-kill order", () => {
    for (const time_in_force of ["immediate_or_cancel", "fill_or_kill"])
      expect(firstIssue({ time_in_force, expiration: 1_795_446_000_000 })).toMatchObject({
        path: "expiration",
        message: expect.stringContaining("good_till_canceled"),
      });
    expect(parse({ time_in_force: "good_till_canceled", expiration: 1_795_446_000_000 }).success).toBe(true);
  });

  it("refuses unknown fields, a lower-case ticker and a side that is not yes or no", () => {
    expect(firstIssue({ postOnly: true })?.message).toContain("postOnly");
    expect(firstIssue({ ticker: "kxhigh" })?.path).toBe("ticker");
    expect(firstIssue({ side: "bid" })?.path).toBe("side");
    expect(firstIssue({ action: "short" })?.path).toBe("action");
    expect(firstIssue({ time_in_force: "gtt" })?.path).toBe("time_in_force");
  });
});

describe("query strings", () => {
  it.each([
    [{}, { limit: 100 }],
    [{ limit: "1" }, { limit: 1 }],
    [
      { limit: "500", before: "1795000000000" },
      { limit: 500, before: 1_795_000_000_000 },
    ],
  ])("pages %j as %j", (q, out) => {
    expect(PageQuery.parse(q)).toEqual(out);
  });

  it.each([[{ limit: "0" }], [{ limit: "501" }], [{ limit: "ten" }], [{ before: "-1" }], [{ cursor: "x" }]])(
    "refuses the page %j",
    (q) => {
      expect(PageQuery.safeParse(q).success).toBe(false);
    },
  );

  it("reads open=true and open=1 as only open differences, anything else as refused", () => {
    expect(ReconQuery.parse({ open: "true" }).open).toBe(true);
    expect(ReconQuery.parse({ open: "1" }).open).toBe(true);
    expect(ReconQuery.parse({}).open).toBe(false);
    expect(ReconQuery.safeParse({ open: "yes" }).success).toBe(false);
  });

  it("refuses a history window whose since is not before its until", () => {
    expect(HistoryQuery.safeParse({ since: "10", until: "20" }).success).toBe(true);
    expect(HistoryQuery.safeParse({ since: "20", until: "20" }).success).toBe(false);
  });
});
