import { describe, expect, it } from "vitest";
import {
  type AcquireResult,
  BASIC_LIMITS,
  type BucketName,
  bucketFor,
  MAX_STALLED_WAKEUPS,
  normalizePath,
  type Priority,
  RateLimiter,
} from "./rate-limiter.ts";

/** Virtual time: `sleep` registers a timer, `run` fires timers in time order. No real waiting. */
class FakeClock {
  t = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.t + ms, seq: this.seq++, resolve });
    });
  /** Lets pending promise chains settle (one macrotask turn). */
  async settle(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
  }
  /** Fires timers until none is left (or `untilMs` is reached). */
  async run(untilMs = Number.POSITIVE_INFINITY): Promise<void> {
    for (let steps = 0; steps < 100_000; steps++) {
      await this.settle();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > untilMs) {
        if (untilMs !== Number.POSITIVE_INFINITY) this.t = Math.max(this.t, untilMs);
        return;
      }
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    throw new Error("timers never drained");
  }
}

function limiter(clock: FakeClock, initial: "full" | "empty" = "full"): RateLimiter {
  return new RateLimiter({ now: clock.now, sleep: clock.sleep, initial });
}

describe("costOf", () => {
  const l = limiter(new FakeClock());

  it("charges the default 10 tokens for an unlisted endpoint", () => {
    expect(l.costOf("GET", "/markets")).toBe(10);
    expect(l.costOf("POST", "/portfolio/events/orders")).toBe(10);
    expect(l.costOf("GET", "/portfolio/orders")).toBe(10);
  });

  it("charges 2 for a V2 cancel and for GET one order, matching the template against a concrete id", () => {
    expect(l.costOf("DELETE", "/portfolio/events/orders/3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d")).toBe(2);
    expect(l.costOf("GET", "/trade-api/v2/portfolio/orders/abc?x=1")).toBe(2);
    expect(l.costOf("get", "https://external-api.kalshi.com/trade-api/v2/portfolio/orders/abc")).toBe(2);
  });

  it("bills batch create 10 and batch cancel 2 per order", () => {
    expect(l.costOf("POST", "/portfolio/events/orders/batched", 7)).toBe(70);
    expect(l.costOf("DELETE", "/portfolio/events/orders/batched", 5)).toBe(10);
  });

  it("does not bill a literal sibling route at the single-order price", () => {
    // regression: /portfolio/orders/queue_positions is not /portfolio/orders/{order_id}
    expect(l.costOf("GET", "/portfolio/orders/queue_positions")).toBe(10);
  });

  it("takes costs and sizes from /account/endpoint_costs and /account/limits", () => {
    const c = new FakeClock();
    const x = limiter(c);
    x.configure(
      { read: { refill_rate: 300, bucket_capacity: 600 }, write: { refill_rate: 300, bucket_capacity: 600 } },
      {
        default_cost: 12,
        endpoint_costs: [
          { method: "DELETE", path: "/trade-api/v2/portfolio/events/orders/:order_id", cost: 3 },
          { method: "POST", path: "/portfolio/events/orders/batched", cost: 9 },
        ],
      },
    );
    expect(x.costOf("GET", "/markets")).toBe(12);
    expect(x.costOf("DELETE", "/portfolio/events/orders/o1")).toBe(3);
    expect(x.costOf("POST", "/portfolio/events/orders/batched", 2)).toBe(18);
    expect(x.capacity("write")).toBe(600);
  });
});

describe("bucketFor", () => {
  it("routes portfolio mutations to write and everything else to read", () => {
    expect(bucketFor("POST", "/portfolio/events/orders")).toBe("write");
    expect(bucketFor("DELETE", "/trade-api/v2/portfolio/events/orders/o1")).toBe("write");
    expect(bucketFor("PUT", "/portfolio/order_groups/g1/reset")).toBe("write");
    expect(bucketFor("GET", "/portfolio/orders")).toBe("read");
    expect(bucketFor("GET", "/markets")).toBe("read");
  });

  it("bills a single write on shard n >= 1 to that shard's bucket, batches and shard 0 to the unscoped one", () => {
    expect(bucketFor("POST", "/portfolio/events/orders", 2)).toBe("write:2");
    expect(bucketFor("DELETE", "/portfolio/events/orders/o1", 3)).toBe("write:3");
    expect(bucketFor("POST", "/portfolio/events/orders", 0)).toBe("write");
    expect(bucketFor("POST", "/portfolio/events/orders/batched", 2)).toBe("write");
    expect(bucketFor("GET", "/portfolio/orders", 2)).toBe("read");
  });

  it("normalises hosts, prefixes, queries and trailing slashes", () => {
    expect(normalizePath("https://h/trade-api/v2/markets/X/?a=1")).toBe("/markets/X");
    expect(normalizePath("/trade-api/v2")).toBe("/");
  });
});

describe("per-shard write buckets", () => {
  it("spends one shard's budget without touching another's, each the size of the write bucket", () => {
    const clock = new FakeClock();
    const l = limiter(clock);
    const cap = l.capacity("write");
    for (let spent = 0; spent + 10 <= cap; spent += 10)
      expect(l.tryAcquire("write:2", 10, "open", clock.now())).toBe(true);
    expect(l.tryAcquire("write:2", 10, "open", clock.now())).toBe(false);
    expect(l.tryAcquire("write:3", 10, "open", clock.now())).toBe(true);
    expect(l.tryAcquire("write", 10, "open", clock.now())).toBe(true);
    expect(l.capacity("write:3")).toBe(cap);
  });

  it("resizes shard buckets with the account's limits", () => {
    const clock = new FakeClock();
    const l = limiter(clock);
    l.tryAcquire("write:1", 10, "open", clock.now());
    l.configure(
      { read: { refill_rate: 300, bucket_capacity: 600 }, write: { refill_rate: 300, bucket_capacity: 600 } },
      null,
    );
    expect(l.capacity("write:1")).toBe(600);
    expect(l.capacity("write:2")).toBe(600);
  });
});

describe("tryAcquire", () => {
  it("takes tokens only while the bucket holds them, refilling continuously", () => {
    const c = new FakeClock();
    const l = limiter(c);
    for (let i = 0; i < 10; i++) expect(l.tryAcquire("write", 10, "open", 0)).toBe(true);
    expect(l.tryAcquire("write", 10, "open", 0)).toBe(false);
    expect(l.tryAcquire("write", 2, "cancel", 19)).toBe(false); // 1.9 tokens
    expect(l.tryAcquire("write", 2, "cancel", 20)).toBe(true); // 100/s -> 2 tokens in 20 ms
    expect(l.available("write", 20)).toBeCloseTo(0);
  });

  it("starts empty by default: after a restart the bucket's state at Kalshi is unknown", () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    expect(l.tryAcquire("read", 10, "read", 0)).toBe(false);
    expect(l.tryAcquire("read", 10, "read", 50)).toBe(true);
  });

  it("never caps above capacity however long the bucket idles", () => {
    const l = limiter(new FakeClock());
    expect(l.available("write", 3_600_000)).toBe(BASIC_LIMITS.write.bucket_capacity);
  });

  it("refuses a request costing more than the bucket can ever hold", () => {
    const l = limiter(new FakeClock());
    expect(l.tryAcquire("write", 110, "open", 0)).toBe(false);
  });

  it("refuses a lower-priority request while a higher-priority one waits", async () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    const cancel = l.acquire("write", 50, "cancel");
    expect(l.waiting("write")).toBe(1);
    c.t = 1000; // plenty refilled, but the cancel is queued ahead
    expect(l.tryAcquire("write", 10, "open", c.t)).toBe(false);
    expect(l.tryAcquire("write", 10, "cancel", c.t)).toBe(false); // FIFO among equals too
    await c.run();
    expect(await cancel).toMatchObject({ ok: true });
  });
});

describe("acquire", () => {
  it("refuses at once, with a clear error, a cost above capacity instead of waiting forever", async () => {
    const l = limiter(new FakeClock());
    const r = await l.acquire("write", 200, "open"); // a 20-order batch on Basic
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/200 tokens.*holds at most 100/);
    expect(l.waiting("write")).toBe(0);
  });

  it("serves waiters by priority (cancel > reduce > open) then arrival order", async () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    const served: string[] = [];
    const track = (name: string, p: Promise<AcquireResult>) =>
      p.then((r) => {
        if (r.ok) served.push(name);
      });
    const all = [
      track("open-1", l.acquire("write", 10, "open")),
      track("open-2", l.acquire("write", 10, "open")),
      track("reduce-1", l.acquire("write", 10, "reduce")),
      track("cancel-1", l.acquire("write", 2, "cancel")),
      track("open-3", l.acquire("write", 10, "open")),
      track("cancel-2", l.acquire("write", 2, "cancel")),
    ];
    await c.run();
    await Promise.all(all);
    expect(served).toEqual(["cancel-1", "cancel-2", "reduce-1", "open-1", "open-2", "open-3"]);
  });

  it("lets a cancel that arrives while an open order waits go first", async () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    const served: string[] = [];
    const open = l.acquire("write", 100, "open").then(() => served.push("open"));
    await c.run(100); // open needs 1 s of refill; 100 ms in, a cancel arrives
    const cancel = l.acquire("write", 2, "cancel").then(() => served.push("cancel"));
    await c.run();
    await Promise.all([open, cancel]);
    expect(served).toEqual(["cancel", "open"]);
  });

  it("keeps reads and writes in separate buckets", async () => {
    const c = new FakeClock();
    const l = limiter(c);
    for (let i = 0; i < 10; i++) expect(l.tryAcquire("write", 10, "open", 0)).toBe(true);
    expect(await l.acquire("read", 10, "read")).toEqual({ ok: true, waitedMs: 0 });
  });

  it("never grants more than the budget over any window, under a mixed load", async () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    const { refill_rate: rate, bucket_capacity: cap } = BASIC_LIMITS.write;
    const grants: { at: number; cost: number }[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const priorities: Priority[] = ["cancel", "reduce", "open"];
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const p = priorities[Math.floor(rand() * 3)] as Priority;
      const cost = p === "cancel" ? 2 : rand() < 0.2 ? 10 * (1 + Math.floor(rand() * 5)) : 10;
      pending.push(
        l.acquire("write", cost, p).then((r) => {
          if (r.ok) grants.push({ at: c.t, cost });
        }),
      );
      if (rand() < 0.3) await c.run(c.t + Math.floor(rand() * 40));
    }
    await c.run();
    await Promise.all(pending);
    expect(grants.length).toBe(300);
    const eps = 1e-6;
    for (let i = 0; i < grants.length; i++) {
      let sum = 0;
      for (let j = i; j < grants.length; j++) {
        sum += (grants[j] as { cost: number }).cost;
        const span = (grants[j] as { at: number }).at - (grants[i] as { at: number }).at;
        // token-bucket bound over [t_i, t_j]: what was in the bucket plus what refilled
        expect(sum).toBeLessThanOrEqual(cap + (rate * span) / 1000 + eps);
      }
      // from an empty start, everything granted by t_j was refilled by t_j
      const upTo = grants.slice(0, i + 1).reduce((s, g) => s + g.cost, 0);
      expect(upTo).toBeLessThanOrEqual((rate * (grants[i] as { at: number }).at) / 1000 + eps);
    }
  });

  it("drains the bucket after an unexpected 429 so the next request waits a refill", async () => {
    const c = new FakeClock();
    const l = limiter(c);
    l.onRateLimited("read", 0);
    expect(l.tryAcquire("read", 10, "read", 0)).toBe(false);
    const r = l.acquire("read", 10, "read");
    await c.run();
    expect(await r).toEqual({ ok: true, waitedMs: 50 }); // 10 tokens at 200/s
  });

  // regression: a `sleep` that returned without the clock moving made `acquire` spin forever
  it("refuses, instead of spinning, when sleep keeps returning without the clock moving", async () => {
    let t = 0;
    let sleeps = 0;
    const l = new RateLimiter({
      now: () => t,
      // a broken injected clock: wakes at once, time stands still (until a safety valve, so the
      // pre-fix code ends this test with a wrong answer instead of freezing the runner)
      sleep: async () => {
        sleeps++;
        if (sleeps === 10_000) t += 60_000;
      },
      initial: "empty",
    });
    const first = l.acquire("write", 10, "open");
    const second = l.acquire("write", 2, "cancel");
    const [a, b] = await Promise.all([first, second]);
    expect(a.ok).toBe(false);
    expect(b.ok).toBe(false);
    if (!a.ok) expect(a.error).toMatch(/clock did not advance/);
    expect(sleeps).toBeLessThanOrEqual(2 * MAX_STALLED_WAKEUPS);
    expect(l.waiting("write")).toBe(0);
  });

  it("keeps waiting while the clock creeps forward, however slowly, and serves once it can", async () => {
    let t = 0;
    let sleeps = 0;
    const l = new RateLimiter({
      now: () => t,
      // every wake-up comes early: 1 ms of progress whatever was asked for
      sleep: async () => {
        sleeps++;
        t += 1;
      },
      initial: "empty",
    });
    const r = await l.acquire("write", 10, "open"); // 10 tokens at 100/s: 100 ms
    expect(r).toEqual({ ok: true, waitedMs: 100 });
    expect(sleeps).toBe(100);
  });

  it("serves new requests again once a stalled clock moves on", async () => {
    let t = 0;
    let sleeps = 0;
    const sleep = async (): Promise<void> => {
      if (++sleeps === 10_000) t += 60_000; // safety valve, as above
    };
    const l = new RateLimiter({ now: () => t, sleep, initial: "empty" });
    expect((await l.acquire("read", 10, "read")).ok).toBe(false);
    t = 1000;
    expect(await l.acquire("read", 10, "read")).toEqual({ ok: true, waitedMs: 0 });
  });

  it("refuses at once a bucket that never refills", async () => {
    const c = new FakeClock();
    const l = new RateLimiter({
      now: c.now,
      sleep: c.sleep,
      limits: { read: { refill_rate: 0, bucket_capacity: 400 }, write: BASIC_LIMITS.write },
      initial: "empty",
    });
    const r = await l.acquire("read", 10, "read");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/does not refill/);
  });

  it("refuses a queued waiter whose cost no longer fits after the bucket shrinks", async () => {
    const c = new FakeClock();
    const l = limiter(c, "empty");
    const bucket: BucketName = "write";
    const big = l.acquire(bucket, 90, "open");
    l.configure({ read: BASIC_LIMITS.read, write: { refill_rate: 50, bucket_capacity: 50 } }, null);
    await c.run();
    expect((await big).ok).toBe(false);
  });
});
