import { describe, expect, it } from "vitest";
import { DELTA_OK, DELTA_OVER_REMOVE, Ladder, OrderBook } from "./order-book.ts";

function ladderOf(levels: [number, number][]): Ladder {
  const l = new Ladder(2);
  l.replace(levels.map(([price, size]) => ({ price, size })));
  return l;
}

describe("Ladder", () => {
  it("sorts snapshot levels and reports the highest price as best bid", () => {
    const l = ladderOf([
      [2200, 33_300],
      [800, 30_000],
      [5000, 100],
    ]);
    expect(l.bestPrice()).toBe(5000);
    expect(l.bestSize()).toBe(100);
    expect(l.levels().map((x) => x.price)).toEqual([5000, 2200, 800]);
  });

  it.each([
    { name: "adds to an existing level", delta: 550, want: [[2200, 33_850]] },
    { name: "takes part of a level", delta: -300, want: [[2200, 33_000]] },
    { name: "drops the level when its size reaches zero", delta: -33_300, want: [] },
  ])("$name", ({ delta, want }) => {
    const l = ladderOf([[2200, 33_300]]);
    expect(l.apply(2200, delta)).toBe(DELTA_OK);
    expect(l.levels().map((x) => [x.price, x.size])).toEqual(want);
  });

  it("refuses a delta that removes more than rests and leaves the level untouched", () => {
    const l = ladderOf([[2200, 100]]);
    expect(l.apply(2200, -101)).toBe(DELTA_OVER_REMOVE);
    expect(l.sizeAt(2200)).toBe(100);
  });

  it("refuses a removal at a price with no level", () => {
    const l = ladderOf([[2200, 100]]);
    expect(l.apply(2300, -1)).toBe(DELTA_OVER_REMOVE);
    expect(l.length).toBe(1);
  });

  it("inserts new levels in order and grows past its capacity", () => {
    const l = new Ladder(2);
    for (const p of [5000, 100, 9999, 4321, 1, 7000]) expect(l.apply(p, p)).toBe(DELTA_OK);
    expect(l.levels().map((x) => x.price)).toEqual([9999, 7000, 5000, 4321, 100, 1]);
    expect(l.totalSize()).toBe(9999 + 7000 + 5000 + 4321 + 100 + 1);
  });

  it("ignores a zero delta at a price with no level", () => {
    const l = new Ladder();
    expect(l.apply(5000, 0)).toBe(DELTA_OK);
    expect(l.length).toBe(0);
  });

  it("keeps sizes exact in hundredths of a contract", () => {
    const l = new Ladder();
    l.apply(5000, 1); // 0.01
    l.apply(5000, 2); // 0.02
    expect(l.sizeAt(5000)).toBe(3);
  });
});

describe("OrderBook", () => {
  it("derives each leg's ask from the other leg's best bid", () => {
    const b = new OrderBook();
    b.applySnapshot(
      [
        { price: 800, size: 30_000 },
        { price: 2200, size: 33_300 },
      ],
      [
        { price: 5400, size: 2000 },
        { price: 5600, size: 14_600 },
      ],
    );
    expect(b.top()).toEqual({
      yesBid: 2200,
      yesBidSize: 33_300,
      yesAsk: 4400, // 1 - best NO bid 0.56
      yesAskSize: 14_600,
      noBid: 5600,
      noBidSize: 14_600,
      noAsk: 7800, // 1 - best YES bid 0.22
      noAskSize: 33_300,
    });
  });

  it("reports an empty side as price -1 size 0 and no derived ask", () => {
    const b = new OrderBook();
    b.applySnapshot([{ price: 3000, size: 100 }], []);
    const t = b.top();
    expect([t.noBid, t.noBidSize, t.yesAsk, t.yesAskSize]).toEqual([-1, 0, -1, 0]);
    expect(t.noAsk).toBe(7000);
  });
});
