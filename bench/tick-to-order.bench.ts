/**
 * Tick-to-order on loopback, on the production path: the simulator (in this process) serves
 * Kalshi's API; the bot runs as it ships, in workerd under `wrangler dev` (the account Durable
 * Object, its SQLite journal, the frame handler, the strategy, the risk gate, the prepared
 * signature, `fetch`). Each trial times, on the simulator's own monotonic clock, from the moment it
 * hands the socket the order-book delta that makes a market qualify to the moment the signed entry
 * order's request has arrived. The simulator's `liquidity/flash` pulls the triggering liquidity
 * right after sending it, so each entry (immediate-or-cancel) finds nothing, no position builds up
 * and the next trial starts from the same book.
 *
 * The market is shaped to qualify on the flash alone: a deep YES bid at 0.9150 and, until the
 * flash, an ask at 0.9400 (a 2.5 c spread fails the entry); the flash rests a YES ask at 0.9160.
 * The universe and volume filters are relaxed in the bot's config (a fresh simulated market has no
 * 24 h volume): this measures latency, not the filters.
 *
 * Measured on a 2-core VM (2026-11-30, 1 000 trials): p50 5.8 ms, p99 16 ms; the 5 ms p99 target
 * is not met here. Where the time goes, from timestamps taken in the object and in the simulator
 * (a temporary instrumentation, not kept): the frame reaches the object within ~1 ms; the
 * decision, the journal write and the prepared signature take ~1 ms until `fetch` is called; the
 * rest is between `fetch` and the simulator reading the request, and the object's next frame is
 * delayed by the same amount, so it is the runtime's own work after the call (the storage commit,
 * the local dev stack's I/O), not the bot's code. Ruled out by experiment: disk (the same figures
 * with state on tmpfs) and the output gate (sending before the journal write changed nothing).
 * Two causes were found and removed: the signer refilled its pool in the request's way, and log
 * lines written on the hot path held the event loop (~3 ms at p50 under `wrangler dev`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimControlClient } from "../sim/control-client.ts";
import { readSimTestKeys } from "../sim/keys/index.ts";
import { startSimulator } from "../sim/server/index.ts";
import { atMost, info } from "./harness.ts";
import type { BenchResult } from "./types.ts";

const TRIALS = Number(process.env.TICK_TO_ORDER_TRIALS ?? 1_000);
const TICKER = "KXBENCHTTO-26DEC31-T1";
const TOKEN = "bench-admin-token";
const P99_BUDGET_MS = 5;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export default async function run(): Promise<BenchResult[]> {
  let armed = false;
  let frameAt: bigint | null = null;
  let orderAt: bigint | null = null;
  let onOrder: (() => void) | null = null;
  const sim = await startSimulator({
    port: 0,
    seed: 7,
    markets: 4,
    participants: false,
    volatility: 0,
    limits: {
      tier: "premier",
      read: { refillRate: 1_000, capacity: 2_000 },
      write: { refillRate: 1_000, capacity: 2_000 },
    },
    trace: {
      frameSent: (text, ns) => {
        if (armed && frameAt === null && text.includes(TICKER) && text.includes('"orderbook_delta"'))
          frameAt = ns;
      },
      requestReceived: (method, path, body, ns) => {
        if (
          method === "POST" &&
          path === "/portfolio/events/orders" &&
          body.includes(TICKER) &&
          orderAt === null
        ) {
          orderAt = ns;
          onOrder?.();
        }
      },
    },
  });
  const control = new SimControlClient(sim.url);
  const dir = mkdtempSync(join(tmpdir(), "bench-tto-"));
  let worker: ChildProcess | undefined;
  try {
    await control.createMarket({
      ticker: TICKER,
      seriesTicker: "KXFED", // a quadratic-fee series (a flat one is never entered: its fee table is unknown)
      priceLevelStructure: "deci_cent",
      fair: 9_150,
      closeTs: Math.floor(Date.now() / 1000) + 30 * 86_400,
    });
    await control.placeLiquidity(TICKER, "bid", 9_150, 200_000);
    await control.placeLiquidity(TICKER, "ask", 9_400, 200_000);

    const port = await freePort();
    const keys = readSimTestKeys();
    const envFile = join(dir, "bench.env");
    writeFileSync(
      envFile,
      `KALSHI_KEY_ID=${keys.keyId}\nKALSHI_PRIVATE_KEY="${keys.privateKeyPem.trim().replace(/\r?\n/g, "\\n")}"\nADMIN_TOKEN=${TOKEN}\n`,
      { mode: 0o600 },
    );
    worker = spawn(
      join("node_modules", ".bin", "wrangler"),
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--local",
        "--persist-to",
        join(dir, "state"),
        "--env-file",
        envFile,
        "--show-interactive-dev-session=false",
        "--var",
        "KALSHI_ENV:sim",
        "--var",
        `KALSHI_SIM_URL:${sim.url}`,
        "--var",
        "KALSHI_LOCAL_RUN:true",
      ],
      {
        stdio: ["ignore", "ignore", "ignore"],
        detached: true,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      },
    );
    const base = `http://127.0.0.1:${port}`;
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!r.ok) throw new Error(`${method} ${path} answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
      return r.json() as Promise<Record<string, unknown>>;
    };
    const until = async <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = await probe().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`tick-to-order: timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until("the Worker", 120_000, async () => ((await fetch(`${base}/health`)).ok ? true : undefined));
    await api("PATCH", "/api/config", {
      feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0 } },
      strategy: { entry: { minVolume24hMoney: 0 } },
    });
    await api("POST", "/api/start");
    await until("the bot to be ready on the market", 90_000, async () => {
      const s = (await api("GET", "/api/status")) as {
        causes: unknown[];
        feed: { books: { ticker: string; fresh: boolean }[] };
      };
      return s.causes.length === 0 && s.feed.books.some((b) => b.ticker === TICKER && b.fresh)
        ? s
        : undefined;
    });

    const samples: number[] = [];
    let missed = 0;
    for (let i = 0; i < TRIALS; i++) {
      frameAt = null;
      orderAt = null;
      const arrived = new Promise<void>((resolve) => {
        onOrder = resolve;
      });
      armed = true;
      await control.flashLiquidity(TICKER, "ask", 9_160, 10_000);
      const got = await Promise.race([
        arrived.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2_000)),
      ]);
      armed = false;
      onOrder = null;
      if (!got || frameAt === null || orderAt === null) {
        missed++;
        if (missed > 20)
          throw new Error(`tick-to-order: ${missed} trials got no order (see GET /api/why/${TICKER})`);
        continue;
      }
      samples.push(Number((orderAt as bigint) - (frameAt as bigint)) / 1e6);
      // The entry was an IOC against liquidity already gone: wait for it to settle before the next trial.
      await until("the entry to settle", 5_000, async () => {
        const s = (await api("GET", "/api/status")) as { orders: { working: number } };
        return s.orders.working === 0 ? true : undefined;
      });
    }
    samples.sort((a, b) => a - b);
    const p50 = quantile(samples, 0.5);
    const p99 = quantile(samples, 0.99);
    const status = (await api("GET", "/api/status")) as { positions: unknown[] };
    return [
      info(`tick-to-order trials (workerd, loopback)`, samples.length, "trials"),
      info("tick-to-order p50", Number(p50.toFixed(3)), "ms"),
      atMost("tick-to-order p99", Number(p99.toFixed(3)), "ms", P99_BUDGET_MS),
      info("tick-to-order max", Number((samples.at(-1) ?? 0).toFixed(3)), "ms"),
      atMost("tick-to-order: positions left by the trials", status.positions.length, "positions", 0),
    ];
  } finally {
    if (worker?.pid) {
      try {
        process.kill(-worker.pid, "SIGTERM");
      } catch {
        // gone
      }
    }
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
