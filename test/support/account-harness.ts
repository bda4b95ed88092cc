/**
 * Drives one account Durable Object in workerd tests: rebuilds its `Account` with a test clock and
 * log (through the symbol-keyed `INTERNALS` seam, inside `runInDurableObject`), runs heartbeats
 * and scheduler jobs step by step, and waits for the frames the simulator sent (`barrier`). The
 * alarm is never armed by the tests' own actions (an alarm armed for "now" fires on its own in
 * workerd, and a test could not tell when its REST calls finish): they drive the steps instead.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { resolveTarget } from "../../shared/environment.ts";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { Account, AccountDeps } from "../../workers/account/account.ts";
import { type AccountObject, INTERNALS } from "../../workers/account/account-object.ts";
import { lazySigner, restClientFor } from "../../workers/feed/feed-adapters.ts";
import type { HistoryTable, RowOf } from "../../workers/history/rows.ts";
import { queryHistory } from "../../workers/history/store.ts";

/** The simulator's REST base, as the test environment resolves it. */
export function simRestBase(): string {
  const t = resolveTarget(env);
  if (!t.ok) throw new Error(`test environment does not resolve: ${t.code}`);
  return t.restBase;
}

export interface LogLine {
  event: string;
  data: Record<string, unknown> | undefined;
}

export interface HarnessOptions {
  /** deep-partial config applied after the rebuild (persisted in the object's SQLite) */
  config?: unknown;
  overrides?: Partial<AccountDeps>;
  /** REST request timeout (short: a pending request timer keeps the object from being evicted) */
  restTimeoutMs?: number;
}

export function accountHarness(name: string, opts: HarnessOptions = {}) {
  const stub = env.ACCOUNT.getByName(name);
  // A realistic epoch: history rows refuse times outside 2000-2200.
  const clock = { now: 1_795_000_000_000 };
  const logs: LogLine[] = [];
  /** Called on every log line, inside the object, with the account at that instant. */
  let onLog: ((l: LogLine, a: Account) => void) | undefined;
  let current: Account | undefined;

  const inObj = <T>(fn: (a: Account, o: AccountObject) => T | Promise<T>): Promise<T> =>
    runInDurableObject(stub, (o: AccountObject) => fn(o[INTERNALS]().account, o));

  const install = (overrides: Partial<AccountDeps> = {}) =>
    runInDurableObject(stub, (o: AccountObject) => {
      const rest = restClientFor(simRestBase(), lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), {
        timeoutMs: opts.restTimeoutMs ?? 2_000,
      });
      current = o[INTERNALS]().rebuild({
        rest,
        nowMs: () => clock.now,
        random: () => 0,
        setAlarm: async () => {},
        log: (event, data) => {
          const l = { event, data };
          logs.push(l);
          if (current) onLog?.(l, current);
        },
        ...opts.overrides,
        ...overrides,
      });
      if (opts.config !== undefined) {
        const r = current.updateConfig(opts.config);
        if (!r.ok) throw new Error(`test config refused: ${JSON.stringify(r.errors)}`);
      }
    });

  /** Resolves when the object has handled every frame the simulator sent so far. */
  const barrier = () => inObj((a) => a.feed.barrier());
  /** One liveness heartbeat, awaited, then every frame it caused. */
  const beat = async () => {
    await inObj((a) => a.feed.tick());
    await barrier();
  };
  /** One scheduler job, awaited to the end. */
  const job = (name: string) => inObj((a) => a.scheduler.runNow(name));
  /** The whole alarm (heartbeat, exits, due jobs), awaited with the jobs it started. */
  const alarm = () =>
    inObj(async (a) => {
      const next = await a.alarm();
      await a.settled();
      return next;
    });
  const status = () => inObj((a) => a.status());
  /** Starts the account without arming the alarm, loads the universe and connects. */
  const start = async () => {
    const r = await inObj((a) => a.start());
    if (!r.ok) throw new Error(`start refused: ${r.cause.code} ${r.cause.message}`);
    await job("universe");
    await beat();
  };

  /** The newest rows of one table of the object's local history (what the admin API serves). */
  const history = <T extends HistoryTable>(table: T, limit = 50): Promise<RowOf[T][]> =>
    runInDurableObject(stub, (_o, state) => {
      const r = queryHistory(state.storage.sql, table, { limit });
      if (!r.ok) throw new Error(`history query refused: ${r.error}`);
      return r.page.items.map((i) => i.row);
    });

  return {
    stub,
    clock,
    logs,
    history,
    inObj,
    install,
    barrier,
    beat,
    job,
    alarm,
    status,
    start,
    setOnLog: (f: typeof onLog) => {
      onLog = f;
    },
  };
}

export type AccountHarness = ReturnType<typeof accountHarness>;

/**
 * A REST client whose order creates reach the simulator but whose answers never come back: the
 * instance using it "dies" between the journal write and the answer. Everything else is real.
 */
export function hangingCreates(timeoutMs = 1_500): KalshiRestClient {
  const real = restClientFor(simRestBase(), lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), {
    timeoutMs,
  });
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "createOrder")
        return (...args: Parameters<KalshiRestClient["createOrder"]>) => {
          void target.createOrder(...args);
          return new Promise(() => {});
        };
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
