/**
 * Kalshi's token-bucket rules as pure functions: endpoint costs, which write shards a request
 * bills, and all-or-nothing charging across shard buckets.
 */

import { describe, expect, it } from "vitest";
import { BASIC_TIER, costOf, isWrite, RateLimits, SHARDS, shardsFor } from "./rate-limit.ts";

describe("costs", () => {
  it.each([
    ["DELETE", "/portfolio/events/orders/abc-123", 2],
    ["DELETE", "/portfolio/events/orders/batched", 2],
    ["POST", "/portfolio/events/orders", 10],
    ["GET", "/portfolio/orders/abc-123", 2],
    ["GET", "/portfolio/orders", 10],
    ["POST", "/portfolio/orders", 100],
    ["DELETE", "/portfolio/orders/abc", 20],
    ["GET", "/markets", 10],
  ] as const)("%s %s costs %i tokens", (method, path, cost) => {
    expect(costOf(method, path)).toBe(cost);
  });

  it("puts portfolio writes in the write bucket and every GET in the read bucket", () => {
    expect(isWrite("POST", "/portfolio/events/orders")).toBe(true);
    expect(isWrite("DELETE", "/portfolio/events/orders/x")).toBe(true);
    expect(isWrite("GET", "/portfolio/orders")).toBe(false);
    expect(isWrite("GET", "/markets")).toBe(false);
  });
});

describe("sharded write buckets", () => {
  it("bills an explicit shard, the unscoped bucket for 0, every shard when auto-routed, the unscoped one for batches", () => {
    expect(shardsFor(2, false, false)).toEqual([2]);
    expect(shardsFor(0, false, false)).toEqual([0]);
    expect(shardsFor(undefined, true, false)).toEqual([...SHARDS]);
    expect(shardsFor(undefined, false, false)).toEqual([0]);
    expect(shardsFor(3, false, true)).toEqual([0]);
  });

  it("takes nothing from any bucket when one of them is short", () => {
    const rl = new RateLimits(BASIC_TIER);
    for (let i = 0; i < 10; i++)
      expect(rl.take("u", { bucket: "write", cost: 10, shards: [1] }, 0)).toBe(true);
    expect(rl.take("u", { bucket: "write", cost: 10, shards: [0, 1] }, 0)).toBe(false);
    // shard 0 was not charged by the refused request: ten creates still fit
    for (let i = 0; i < 10; i++)
      expect(rl.take("u", { bucket: "write", cost: 10, shards: [0] }, 0)).toBe(true);
    expect(rl.take("u", { bucket: "write", cost: 10, shards: [0] }, 0)).toBe(false);
  });

  it("refills continuously at the tier's rate up to the bucket's capacity", () => {
    const rl = new RateLimits(BASIC_TIER);
    for (let i = 0; i < 40; i++) rl.take("u", { bucket: "read", cost: 10, shards: [] }, 0);
    expect(rl.take("u", { bucket: "read", cost: 10, shards: [] }, 0)).toBe(false);
    expect(rl.take("u", { bucket: "read", cost: 10, shards: [] }, 50)).toBe(true); // 50 ms x 200/s = 10 tokens
    expect(rl.take("u", { bucket: "read", cost: 10, shards: [] }, 50)).toBe(false);
  });
});
