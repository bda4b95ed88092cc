/**
 * The account's risk state: the circuit breakers, the admin halt, the trading day and its
 * baseline equity, the losing streak and the API error window. The decisions are the pure folds
 * of `shared/risk/state.ts`; this module owns their one persisted row (`risk_state`, checked by
 * zod on read), applies each fold, stores the result and hands the trips and clears to the
 * account object (alerts, history). A row that fails its schema is reported and the account
 * starts halted rather than trading on a guessed state: the halted state replaces the row, and
 * the account announces the halt once (`takeStartupEvents`).
 */

import { z } from "zod";
import type { MoneyMicros, RoundTrip } from "../../shared/domain.ts";
import type { RiskConfig } from "../../shared/risk/config.ts";
import {
  type Fold,
  halt,
  initialRiskState,
  onApiResult,
  onEquity,
  onFeedHealth,
  onRoundTrip,
  type RiskEvent,
  RiskState,
  resume,
  type TradingStateView,
  tradingStateOf,
} from "../../shared/risk/state.ts";
import { type ModuleSchema, readRow } from "./sql-schema.ts";

export const RISK_SCHEMA: ModuleSchema = {
  module: "risk",
  migrations: [
    `CREATE TABLE risk_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      doc TEXT NOT NULL,
      updated_ms INTEGER NOT NULL
    )`,
  ],
};

const Row = z.object({ doc: z.string() });

export class RiskKeeper {
  readonly #sql: SqlStorage;
  readonly #cfg: () => RiskConfig;
  readonly #nowMs: () => number;
  readonly #onEvents: (events: RiskEvent[]) => void;
  #state: RiskState;
  /** the halt an unreadable stored state started with, for the account to announce once built */
  #startup: RiskEvent[] = [];

  constructor(
    sql: SqlStorage,
    cfg: () => RiskConfig,
    nowMs: () => number,
    onEvents: (events: RiskEvent[]) => void,
    log: (event: string, data?: Record<string, unknown>) => void,
  ) {
    this.#sql = sql;
    this.#cfg = cfg;
    this.#nowMs = nowMs;
    this.#onEvents = onEvents;
    const r = readRow(sql, "risk_state", Row, "SELECT doc FROM risk_state WHERE id = 1");
    if (!r) {
      this.#state = initialRiskState();
      return;
    }
    let parsed: ReturnType<typeof RiskState.safeParse>;
    try {
      parsed = RiskState.safeParse(JSON.parse(r.doc));
    } catch {
      parsed = RiskState.safeParse(null);
    }
    if (parsed.success) {
      this.#state = parsed.data;
    } else {
      log("risk.state_invalid", { error: "stored risk state does not match its schema; starting halted" });
      const f = halt(initialRiskState(), "stored risk state was unreadable: review before resuming", nowMs());
      this.#state = f.state;
      this.#write(f.state);
      this.#startup = f.events;
    }
  }

  /** The trip this keeper started with (an unreadable stored state), once; then nothing. */
  takeStartupEvents(): RiskEvent[] {
    const e = this.#startup;
    this.#startup = [];
    return e;
  }

  get state(): RiskState {
    return this.#state;
  }

  view(): TradingStateView {
    return tradingStateOf(this.#state);
  }

  roundTrip(rt: RoundTrip): void {
    this.#apply(onRoundTrip(this.#state, rt, this.#cfg(), this.#nowMs()));
  }

  /** A REST request's fate, for the API error-rate breaker (retryable failures count as errors). */
  apiResult(ok: boolean): void {
    this.#apply(onApiResult(this.#state, ok, this.#nowMs(), this.#cfg()));
  }

  equity(e: MoneyMicros): void {
    this.#apply(onEquity(this.#state, e, this.#nowMs(), this.#cfg()));
  }

  feed(live: boolean): void {
    this.#apply(onFeedHealth(this.#state, live, this.#nowMs(), this.#cfg()));
  }

  halt(reason: string): void {
    this.#apply(halt(this.#state, reason, this.#nowMs()));
  }

  resume(): RiskEvent[] {
    const f = resume(this.#state, this.#nowMs());
    this.#apply(f);
    return f.events;
  }

  #apply(f: Fold): void {
    if (f.state === this.#state && f.events.length === 0) return;
    this.#state = f.state;
    this.#write(f.state);
    if (f.events.length > 0) this.#onEvents(f.events);
  }

  #write(state: RiskState): void {
    this.#sql.exec(
      "INSERT INTO risk_state (id, doc, updated_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms",
      JSON.stringify(state),
      this.#nowMs(),
    );
  }
}
