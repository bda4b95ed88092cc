/**
 * Fault injection and inspection state shared by the REST and WebSocket servers and driven by
 * the control API. Faults are deterministic: "the next N requests" counters, or a share drawn
 * from a seeded generator. Inspection records every order request (duplicates and rejects
 * included) and counts what the client did, so end-to-end tests can assert on behaviour.
 */

export type FailureKind = "5xx" | "429" | "timeout";

export interface FailureRule {
  kind: FailureKind;
  /** answer this many upcoming matching requests with the failure */
  next?: number;
  /** or answer this share (0..1) of matching requests, drawn from the seeded generator */
  share?: number;
  /** for 5xx: the status (default 503) */
  status?: number;
  /** only requests whose path (after /trade-api/v2) starts with this */
  pathPrefix?: string;
  /** only this method */
  method?: string;
}

export interface LoseResponseRule {
  /** how many upcoming order creates to accept and then lose the answer of */
  next: number;
  /** drop: destroy the connection; timeout: never answer */
  mode: "drop" | "timeout";
}

export interface OrderRequestRecord {
  n: number;
  tsMs: number;
  method: string;
  path: string;
  userId: string;
  clientOrderId?: string;
  body: unknown;
  status: number;
  outcome: "accepted" | "rejected" | "lost" | "fault";
  orderId?: string;
  error?: string;
}

export interface FaultState {
  slowMs: number;
  failures: FailureRule[];
  loseResponse: LoseResponseRule | undefined;
  stalled: boolean;
  /** number of upcoming sequenced WS messages whose seq is skipped (one number each) */
  skipSeq: number;
  /** number of upcoming sequenced WS messages sent twice with the same seq */
  repeatSeq: number;
}

export function emptyFaults(): FaultState {
  return { slowMs: 0, failures: [], loseResponse: undefined, stalled: false, skipSeq: 0, repeatSeq: 0 };
}

/** mulberry32: a tiny seeded generator, enough for fault shares. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Picks the failure, if any, for this request, consuming a `next` count when it fires. */
export function pickFailure(
  state: FaultState,
  method: string,
  apiPath: string,
  rand: () => number,
): FailureRule | undefined {
  for (const rule of state.failures) {
    if (rule.method && rule.method !== method) continue;
    if (rule.pathPrefix && !apiPath.startsWith(rule.pathPrefix)) continue;
    if (rule.next !== undefined) {
      if (rule.next <= 0) continue;
      rule.next -= 1;
      return rule;
    }
    if (rule.share !== undefined && rand() < rule.share) return rule;
  }
  return undefined;
}

export class Inspection {
  orderRequests: OrderRequestRecord[] = [];
  counters: Record<string, number> = {};

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }

  record(r: Omit<OrderRequestRecord, "n">): void {
    this.orderRequests.push({ n: this.orderRequests.length + 1, ...r });
  }

  reset(): void {
    this.orderRequests = [];
    this.counters = {};
  }
}
