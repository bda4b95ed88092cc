/**
 * Per-sid bookkeeping for the current socket: when each sid was confirmed, its last frame (`ok`
 * replies included: what proves its books current), its last data frame (`ok` replies aside:
 * what the channel silence limits watch), the last quiet-sid proof and the unanswered
 * `get_snapshot` requests. Sids die with the socket, so `market-data.ts` forgets one on a
 * resubscribe and clears all on a lost socket. No clock of its own: times come in as arguments.
 */
import type { QuietSid } from "./quiet-proof.ts";

/** The last quiet-sid proof on a sid; `inFlight` is cleared in place when its reply arrives. */
export interface ProofRecord {
  sentMs: number;
  inFlight: boolean;
}

/** Sids are assigned by the exchange from 1 up; past this the times go to a map instead. */
const DENSE_SIDS = 4_096;

/** Last-frame times by sid: small sids in a dense array (the hot path stores one per frame). */
class SidTimes {
  #dense: number[] = [];
  readonly #sparse = new Map<number, number>();
  set(sid: number, ms: number): void {
    if (sid < DENSE_SIDS) this.#dense[sid] = ms;
    else this.#sparse.set(sid, ms);
  }
  get(sid: number): number | undefined {
    if (sid >= DENSE_SIDS) return this.#sparse.get(sid);
    const v = this.#dense[sid];
    return v === undefined || v < 0 ? undefined : v;
  }
  delete(sid: number): void {
    if (sid >= DENSE_SIDS) this.#sparse.delete(sid);
    else if (sid < this.#dense.length) this.#dense[sid] = -1;
  }
  clear(): void {
    this.#dense = [];
    this.#sparse.clear();
  }
}

export class SidActivity {
  readonly #lastFrame = new SidTimes();
  readonly #lastData = new SidTimes();
  readonly #subscribedAt = new Map<number, number>();
  readonly #proofs = new Map<number, ProofRecord>();
  readonly #snapshotsInFlight = new Map<number, number>();

  /** The subscribe reply confirmed `sid`: silence is counted from here until its first frame. */
  subscribed(sid: number, nowMs: number): void {
    this.#subscribedAt.set(sid, nowMs);
  }

  /** A frame of message `type` on `sid` (0 = none, ignored). */
  frame(sid: number, type: string | undefined, nowMs: number): void {
    if (!(sid > 0)) return;
    this.#lastFrame.set(sid, nowMs);
    // An `ok` answers our own command (a proof among them): it proves the seq, not that the channel streams.
    if (type !== "ok") this.#lastData.set(sid, nowMs);
  }

  /** Last frame on `sid`, `ok` replies included; undefined when none on this socket. */
  lastFrameMs(sid: number): number | undefined {
    return this.#lastFrame.get(sid);
  }

  /** Last data frame on `sid` (`ok` replies aside), else when it was subscribed, else now. */
  heardDataMs(sid: number, nowMs: number): number {
    return this.#lastData.get(sid) ?? this.#subscribedAt.get(sid) ?? nowMs;
  }

  /** A `get_snapshot` on `sid` was sent; quiet-sid proofs wait until it is answered. */
  snapshotSent(sid: number): void {
    this.#snapshotsInFlight.set(sid, (this.#snapshotsInFlight.get(sid) ?? 0) + 1);
  }

  /** A `get_snapshot` on `sid` was answered (or failed). */
  snapshotSettled(sid: number): void {
    const n = (this.#snapshotsInFlight.get(sid) ?? 1) - 1;
    if (n > 0) this.#snapshotsInFlight.set(sid, n);
    else this.#snapshotsInFlight.delete(sid);
  }

  /** A proof on `sid` was sent now; the caller clears `inFlight` on the returned record when answered. */
  proofSent(sid: number, nowMs: number): ProofRecord {
    const proof = { sentMs: nowMs, inFlight: true };
    this.#proofs.set(sid, proof);
    return proof;
  }

  /** `sid` as the quiet-proof decision sees it, with `markets` the wanted ones it holds. */
  quietSid(sid: number, markets: readonly string[], nowMs: number): QuietSid {
    const last = this.#proofs.get(sid);
    return {
      sid,
      heardMs: this.#lastFrame.get(sid) ?? this.#subscribedAt.get(sid) ?? nowMs,
      markets,
      lastProofSentMs: last?.sentMs ?? null,
      proofInFlight: last?.inFlight ?? false,
      resyncPending: (this.#snapshotsInFlight.get(sid) ?? 0) > 0,
    };
  }

  /** Forgets `sid` (its subscription ended). */
  forget(sid: number): void {
    this.#lastFrame.delete(sid);
    this.#lastData.delete(sid);
    this.#proofs.delete(sid);
    this.#snapshotsInFlight.delete(sid);
    this.#subscribedAt.delete(sid);
  }

  /** Forgets every sid (the socket is gone). */
  clear(): void {
    this.#lastFrame.clear();
    this.#lastData.clear();
    this.#proofs.clear();
    this.#snapshotsInFlight.clear();
    this.#subscribedAt.clear();
  }
}
