/**
 * The admin API against the real account object, trading on the Kalshi simulator (stepped clock,
 * signed REST, loopback WebSocket). Requests go through `app.request(path, init, env)`; the test
 * drives the account's heartbeat and jobs through the harness (`test/support/account-harness.ts`)
 * and reads the outcome at the simulator: a halt cancels the resting entry and refuses a manual
 * one with a stable code until resume; flatten exits an open position at the exchange; a config
 * patch is stored, survives a new instance and changes what the risk gate allows; readiness names
 * its causes; the dashboard's panels show the state and each book's freshness as the status says.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { askOf } from "../../shared/domain.ts";
import { resolveTarget } from "../../shared/environment.ts";
import { snapForBuy } from "../../shared/kalshi/tick-grid.ts";
import { formatCount, formatPrice } from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import { renderPanels } from "../../workers/admin/dashboard.tsx";
import { loadDashboard } from "../../workers/admin/dashboard-data.ts";
import { lazySigner, signedSocketOpener } from "../../workers/feed/feed-adapters.ts";
import { accountHarness } from "../support/account-harness.ts";
import { accountName, adminEnv, call, json } from "./admin-support.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);

/**
 * Every open, two-sided market is watched; the strategy never enters by itself (no book holds
 * $1 billion at its best bid), so whatever trades is what the test sends through the API.
 */
const CONFIG = {
  feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 } },
  strategy: { entry: { minBestBidMoney: 1_000_000_000_000_000 } },
};

/** For the flatten case: a stop far below the entry, so only the flatten closes the position. */
const WIDE_STOP = {
  ...CONFIG,
  strategy: { ...CONFIG.strategy, exits: { stopPoints: 3_000 } },
};

interface StatusBody {
  trading: { state: string; reasons: { breaker: string; message: string }[] };
  causes: { code: string }[];
  ready: boolean;
  positions: { ticker: string; contracts: number; contractsFp: string }[];
}

function setup(name: string, config: unknown = CONFIG) {
  const e = adminEnv(name);
  const h = accountHarness(accountName(name), { config, restTimeoutMs: 1_500 });
  const simNow = async () => (await control.state()).now_ms;
  const step = async (ms: number) => {
    await control.step(ms);
    h.clock.now = await simNow();
  };
  /** The market makers quote, the account starts, loads its markets, connects and reconciles. */
  const boot = async () => {
    for (let i = 0; i < 3; i++) await control.step(1_000);
    h.clock.now = await simNow();
    await h.install();
    await h.start();
    await h.job("reconcile");
    await h.job("balance");
  };
  /** A watched market with a fresh, two-sided book whose YES bid is at least `minBid`. */
  const market = (minBid = 1_000) =>
    h.inObj((a) => {
      for (const t of a.feed.wanted) {
        const b = a.feed.book(t);
        const m = a.market(t);
        if (
          b?.fresh &&
          m?.status === "active" &&
          b.top.yesBid !== null &&
          b.top.noBid !== null &&
          b.top.yesBid >= minBid
        )
          return { ticker: t, grid: m.grid, top: b.top };
      }
      throw new Error("no fresh two-sided market");
    });
  /** Every request the API started has its answer, and every frame it caused is handled. */
  const settle = async () => {
    await h.inObj((a) => a.settled());
    await h.barrier();
  };
  /** A resting YES bid well below the best bid: it will not fill. */
  const restingBid = async () => {
    const m = await market();
    const price = snapForBuy(m.grid, Math.max(100, (m.top.yesBid ?? 0) - 500)) as number;
    return {
      ticker: m.ticker,
      side: "yes",
      action: "buy",
      price: formatPrice(price),
      count: "1",
      post_only: true,
    };
  };
  const status = async () => (await json<StatusBody>(call(e, "/api/status"))).body;
  const simOrder = async (intentId: string) =>
    (await control.orders()).find((o) => o.client_order_id === intentId) as { status: string } | undefined;
  return { e, h, step, boot, market, settle, restingBid, status, simOrder };
}

beforeEach(async () => {
  await control.reset();
});

/** A fresh RSA key the simulator has never seen, as PKCS#8 PEM. */
async function strangerKeyPem(): Promise<string> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const b64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN PRIVATE KEY-----\n${b64.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

describe("halt and resume through the API", () => {
  it("halting cancels the resting entry and refuses a manual one with a stable code; resume lets it out", async () => {
    const t = setup("admin-halt");
    await t.boot();
    const bid = await t.restingBid();
    const placed = await json<{ intentId: string }>(call(t.e, "/api/orders", { body: bid }));
    expect(placed.status).toBe(202);
    await t.settle();
    expect((await t.simOrder(placed.body.intentId))?.status).toBe("resting");

    const halted = await json<StatusBody>(call(t.e, "/api/halt", { body: { reason: "operator test halt" } }));
    expect(halted.status).toBe(200);
    expect(halted.body.trading.state).toBe("halted");
    expect(halted.body.trading.reasons.map((r) => r.message).join(" ")).toContain("operator test halt");
    await t.settle();
    // What adds risk is cancelled at the exchange.
    expect((await t.simOrder(placed.body.intentId))?.status).toBe("canceled");

    const refused = await json<{ error: string; code: string }>(
      call(t.e, "/api/orders", { body: await t.restingBid() }),
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "order_refused", code: "trading_halted" });
    expect((await t.status()).causes.map((c) => c.code)).toContain("trading_halted");

    // The halt is stored: a new instance (a deploy, an eviction) is still halted.
    await t.h.install();
    await t.h.job("universe");
    await t.h.beat();
    expect((await t.status()).trading.state).toBe("halted");

    const resumed = await json<StatusBody>(call(t.e, "/api/resume", { method: "POST" }));
    expect(resumed.status).toBe(200);
    expect(resumed.body.trading.state).toBe("active");
    await t.h.job("reconcile");
    const again = await json<{ intentId: string }>(call(t.e, "/api/orders", { body: await t.restingBid() }));
    expect(again.status).toBe(202);
    await t.settle();
    expect((await t.simOrder(again.body.intentId))?.status).toBe("resting");
  });
});

describe("flatten through the API", () => {
  it("exits an open position at the exchange and records the round trip as a flatten", async () => {
    const t = setup("admin-flatten", WIDE_STOP);
    await t.boot();
    const m = await t.market(5_000);
    const ask = askOf(m.top, "yes") as number;
    const buy = await json<{ intentId: string }>(
      call(t.e, "/api/orders", {
        body: {
          ticker: m.ticker,
          side: "yes",
          action: "buy",
          price: ask,
          count: "1",
          time_in_force: "immediate_or_cancel",
        },
      }),
    );
    expect(buy.status, JSON.stringify(buy.body)).toBe(202);
    await t.settle();
    await t.h.alarm();
    const open = await json<{ positions: StatusBody["positions"] }>(call(t.e, "/api/positions"));
    expect(open.body.positions).toEqual([
      expect.objectContaining({ ticker: m.ticker, contracts: 100, contractsFp: "1.00" }),
    ]);
    const atSim = await control.positions();
    expect(atSim.find((p) => p.ticker === m.ticker)?.position_fp).toBe("1.00");

    const flat = await json<{ exiting: number }>(call(t.e, "/api/flatten", { method: "POST" }));
    expect(flat).toMatchObject({ status: 200, body: { exiting: 1 } });
    for (let i = 0; i < 10; i++) {
      await t.settle();
      const left = (await json<{ positions: unknown[] }>(call(t.e, "/api/positions"))).body.positions;
      if (left.length === 0) break;
      await t.step(500);
      await t.h.alarm();
    }
    expect((await json<{ positions: unknown[] }>(call(t.e, "/api/positions"))).body.positions).toEqual([]);
    const simPos = (await control.positions()).find((p) => p.ticker === m.ticker);
    expect(simPos?.position_fp ?? "0.00").toBe("0.00");
    const trades = await json<{
      trades: { ticker: string; reason: string; contractsFp: string; pnlDollars: string }[];
    }>(call(t.e, "/api/trades"));
    expect(trades.body.trades[0]).toMatchObject({ ticker: m.ticker, reason: "flatten", contractsFp: "1.00" });
    expect(trades.body.trades[0]?.pnlDollars).toMatch(/^-?\d+\.\d{2,6}$/);
  });
});

describe("config through the API", () => {
  it("stores a patch, reads it back from a new instance, and the risk gate applies it", async () => {
    const t = setup("admin-config");
    await t.boot();
    const before = await json<{ version: number }>(call(t.e, "/api/config"));
    const patched = await json<{ version: number; config: { risk: { maxOrderCount: number } } }>(
      call(t.e, "/api/config", { method: "PATCH", body: { risk: { maxOrderCount: 100 } } }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(before.body.version + 1);
    expect(patched.body.config.risk.maxOrderCount).toBe(100);

    // Applied: two contracts are now over the largest order, one is not.
    const bid = await t.restingBid();
    const two = await json<{ code: string }>(
      call(t.e, "/api/orders", { body: { ...bid, count: formatCount(200) } }),
    );
    expect(two).toMatchObject({ status: 409, body: { code: "count_over_max" } });
    const one = await json(call(t.e, "/api/orders", { body: bid }));
    expect(one.status).toBe(202);

    // Persisted: a new instance reads it from its SQLite.
    await t.h.install();
    const read = await json<{ version: number; config: { risk: { maxOrderCount: number } } }>(
      call(t.e, "/api/config"),
    );
    expect(read.body.config.risk.maxOrderCount).toBe(100);
    expect(read.body.version).toBeGreaterThanOrEqual(patched.body.version);
  });
});

describe("orders, readiness and history through the API", () => {
  it("names why it is not ready before the start, and is ready with no cause once trading", async () => {
    const t = setup("admin-ready");
    for (let i = 0; i < 3; i++) await control.step(1_000);
    await t.h.install();
    const idle = await json<{ ready: boolean; causes: { code: string }[] }>(call(t.e, "/api/ready"));
    expect(idle.body.ready).toBe(false);
    expect(idle.body.causes.map((c) => c.code)).toContain("not_started");
    await t.boot();
    const live = await json(call(t.e, "/api/ready"));
    expect(live.body).toEqual({ ready: true, causes: [] });
  });

  it("names a key the exchange rejects with Kalshi's code, and a missing key, never the key itself", async () => {
    const t = setup("admin-keys");
    for (let i = 0; i < 3; i++) await control.step(1_000);
    t.h.clock.now = (await control.state()).now_ms;
    const target = resolveTarget(env);
    if (!target.ok) throw new Error(target.code);
    // Signed with a key the exchange does not know: the upgrade is refused with 401.
    await t.h.install({
      openSocket: signedSocketOpener(target.wsUrl, lazySigner(env.KALSHI_KEY_ID, await strangerKeyPem())),
    });
    await t.h.start();
    const rejected = await json<{ ready: boolean; causes: Record<string, unknown>[] }>(
      call(t.e, "/api/ready"),
    );
    expect(rejected.body.ready).toBe(false);
    expect(rejected.body.causes).toContainEqual(
      expect.objectContaining({
        code: "kalshi_key_rejected",
        kalshiCode: "INCORRECT_API_KEY_SIGNATURE",
        httpStatus: 401,
      }),
    );
    const text = JSON.stringify(rejected.body);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(env.KALSHI_PRIVATE_KEY.slice(40, 80));

    await t.h.install({ secrets: { kalshiKey: false } });
    const missing = await json<{ causes: { code: string }[] }>(call(t.e, "/api/ready"));
    expect(missing.body.causes.map((c) => c.code)).toContain("kalshi_key_missing");
    const start = await json(call(t.e, "/api/start", { method: "POST" }));
    expect(start).toMatchObject({
      status: 409,
      body: { error: "start_refused", cause: { code: "kalshi_key_missing" } },
    });
  });

  it("cancels a resting order at the exchange, then says there is nothing left to cancel", async () => {
    const t = setup("admin-cancel");
    await t.boot();
    const placed = await json<{ intentId: string }>(call(t.e, "/api/orders", { body: await t.restingBid() }));
    await t.settle();
    const listed = await json<{
      orders: { intentId: string; state: string; priceDollars: string; countFp: string }[];
    }>(call(t.e, "/api/orders?limit=10"));
    expect(listed.body.orders[0]).toMatchObject({
      intentId: placed.body.intentId,
      state: "resting",
      countFp: "1.00",
    });
    const cancel = await json(call(t.e, `/api/orders/${placed.body.intentId}/cancel`, { method: "POST" }));
    expect(cancel).toMatchObject({ status: 200, body: { result: "done" } });
    await t.settle();
    expect((await t.simOrder(placed.body.intentId))?.status).toBe("canceled");
    const again = await json(call(t.e, `/api/orders/${placed.body.intentId}/cancel`, { method: "POST" }));
    expect(again).toMatchObject({ status: 409, body: { error: "order_not_working", state: "cancelled" } });
  });

  it("pages history newest first with a cursor that never repeats a row", async () => {
    const t = setup("admin-history");
    await t.boot();
    for (let i = 0; i < 3; i++) {
      await call(t.e, "/api/orders", { body: await t.restingBid() });
      await t.settle();
      await t.step(1_000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const r = await json<{
        items: { atMs: number; row: { client_order_id: string } }[];
        nextCursor: string | null;
      }>(call(t.e, `/api/history/orders?limit=1${q}`));
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((i) => i.row.client_order_id));
      cursor = r.body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("the dashboard's panels", () => {
  it("show the trading state, and each book fresh, then stale once the status says it is", async () => {
    const t = setup("admin-dashboard");
    await t.boot();
    const fresh = await (await call(t.e, "/api/dashboard")).text();
    expect(fresh).toContain('data-trading-state="active"');
    expect(fresh).toMatch(/data-book="[^"]+" data-state="fresh"/);
    // No frame for longer than a book may age: every book is too old now.
    t.h.clock.now += 11_000;
    const books = (await t.h.status()).feed.books;
    expect(books.length).toBeGreaterThan(0);
    expect(books.every((b) => !b.fresh)).toBe(true);
    const stale = await (await call(t.e, "/api/dashboard")).text();
    for (const b of books) {
      expect(stale).toContain(`data-book="${b.ticker}" data-state="stale"`);
    }
    expect(stale).not.toContain('data-state="fresh"');
    expect(stale).toContain(`stale: ${books[0]?.staleReason}`);
  });

  it("render a mixed feed book by book, and escape what the operator or the exchange wrote", async () => {
    const t = setup("admin-render");
    await t.boot();
    await call(t.e, "/api/halt", { body: { reason: '<img src=x onerror="alert(1)">' } });
    const d = await loadDashboard(t.h.stub, Date.now());
    const books = [
      { ticker: "KXFRESH-1", ageMs: 200, fresh: true, staleReason: null },
      { ticker: "KXSTALE-1", ageMs: 12_000, fresh: false, staleReason: "gap" },
      { ticker: "KXNEVER-1", ageMs: null, fresh: false, staleReason: "no book" },
    ];
    const html = String(
      await renderPanels({ ...d, status: { ...d.status, feed: { ...d.status.feed, books } } }),
    );
    expect(html).toContain('data-book="KXFRESH-1" data-state="fresh"');
    expect(html).toContain('data-book="KXSTALE-1" data-state="stale"');
    expect(html).toContain("stale: gap");
    expect(html).toContain('data-book="KXNEVER-1" data-state="stale"');
    expect(html).toContain('data-trading-state="halted"');
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});
