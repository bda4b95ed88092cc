/**
 * One Kalshi WebSocket session: owns command ids (unique per session, from 1), matches
 * replies (`subscribed`, `ok`, `unsubscribed`, `error`, or the snapshots answering
 * `get_snapshot`) to the command that caused them, by id and by the reply types that command
 * can get, and gives each command a deadline.
 * Every text frame goes first to `handlers.onFrame` (the book hot path); the session only
 * JSON-parses frames that carry an `"id"` key or an `"error"`, so deltas are parsed once, by
 * the book. An `error` frame no pending command claims (Kalshi sends subscription-scoped ones,
 * e.g. code 25 on a sid, without a command id) goes to `handlers.onServerError`.
 * The socket is injected (`SessionSocket`), so tests drive it with a fake or one end of a
 * `WebSocketPair`; `bindSocket` attaches a real WebSocket. Nothing a frame contains throws
 * out of `handleText`. Used by market data (`market-data.ts`), one session per connection.
 */

export interface SessionSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ReplyFrame {
  id: number;
  type: string;
  sid?: number;
  seq?: number;
  msg?: unknown;
}

/** An `error` frame that answers no pending command. */
export interface ServerError {
  code: number;
  message: string;
  /** the subscription it ends or concerns, when the frame names one */
  sid?: number;
  /** the command id it carries (a late reply, or 0 / absent for none) */
  id?: number;
  /** the frame, truncated, for the logs */
  sample: string;
}

export type CommandOutcome =
  | { ok: true; reply: ReplyFrame }
  | { ok: false; kind: "error"; code: number; message: string }
  | { ok: false; kind: "timeout" }
  | { ok: false; kind: "closed" };

export interface SessionHandlers {
  /**
   * Every text frame, in arrival order, before reply matching. Returns false when the frame is
   * known not to answer a command (an order-book delta, a fill ...), which spares the hot path the
   * reply scan; true (or nothing) lets the session look for a command id.
   */
  onFrame(text: string): boolean | undefined;
  /** The socket closed or errored; pending commands have been settled as `closed`. */
  onClose(code: number, reason: string): void;
  /** An `error` frame no pending command claims (e.g. code 25 buffer overflow on a sid, no id). */
  onServerError?(error: ServerError): void;
  /** `onFrame` threw; the frame was dropped. */
  onHandlerError?(err: unknown): void;
}

export interface SessionOptions {
  nowMs: () => number;
  timeoutMs: number;
  /**
   * Arms a timer that calls `expire` and returns its canceller (called when the command
   * settles, so no timer outlives its command); default `setTimeout`. Tests pass a no-op.
   */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

interface Pending {
  cmd: string;
  deadlineMs: number;
  resolve: (o: CommandOutcome) => void;
  cancelTimer?: () => void;
}

function defaultTimer(fn: () => void, ms: number): () => void {
  const h = setTimeout(fn, ms);
  return () => clearTimeout(h);
}

const SAMPLE_LENGTH = 200;

/**
 * The reply types Kalshi answers each command with: `subscribed` per channel, `unsubscribed`, `ok`
 * with the ticker list or the subscription list, and the fresh `orderbook_snapshot`s a
 * `get_snapshot` asks for (https://docs.kalshi.com/websockets/websocket-connection); an `error`
 * answers any command. A frame of another type carrying a pending command's id is not its reply.
 * Commands not listed take any.
 */
const REPLY_TYPES: Readonly<Record<string, readonly string[]>> = {
  subscribe: ["subscribed"],
  unsubscribe: ["unsubscribed"],
  update_subscription: ["ok", "orderbook_snapshot"],
  list_subscriptions: ["ok"],
};

function answers(cmd: string, type: string): boolean {
  const types = Object.hasOwn(REPLY_TYPES, cmd) ? REPLY_TYPES[cmd] : undefined;
  return types === undefined || types.includes(type);
}

/** A reply frame; an `error` frame may lack the id (0 then: it answers no command). */
function asReply(v: unknown): ReplyFrame | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.type !== "string") return null;
  if (o.id === undefined && o.type === "error") return { id: 0, type: o.type, ...sidSeq(o), msg: o.msg };
  if (typeof o.id !== "number" || !Number.isInteger(o.id)) return null;
  return { id: o.id, type: o.type, ...sidSeq(o), msg: o.msg };
}

function sidSeq(o: Record<string, unknown>): { sid?: number; seq?: number } {
  const r: { sid?: number; seq?: number } = {};
  if (typeof o.sid === "number") r.sid = o.sid;
  if (typeof o.seq === "number") r.seq = o.seq;
  return r;
}

export class KalshiSession {
  readonly #socket: SessionSocket;
  readonly #handlers: SessionHandlers;
  readonly #opts: SessionOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(socket: SessionSocket, handlers: SessionHandlers, opts: SessionOptions) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#opts = opts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends `{id, cmd, params}` and settles with the reply, an error, a timeout or `closed`. */
  send(cmd: string, params?: Record<string, unknown>): Promise<CommandOutcome> {
    if (this.#closed) return Promise.resolve({ ok: false, kind: "closed" });
    const id = this.#nextId++;
    const frame = params === undefined ? { id, cmd } : { id, cmd, params };
    return new Promise<CommandOutcome>((resolve) => {
      const p: Pending = { cmd, deadlineMs: this.#opts.nowMs() + this.#opts.timeoutMs, resolve };
      this.#pending.set(id, p);
      try {
        this.#socket.send(JSON.stringify(frame));
      } catch {
        this.#settle(id, { ok: false, kind: "closed" });
        return;
      }
      const setTimer = this.#opts.setTimer ?? defaultTimer;
      p.cancelTimer = setTimer(() => this.#expireOne(id), this.#opts.timeoutMs);
    });
  }

  /** Settles every command whose deadline has passed as `timeout`; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [id, p] of this.#pending) {
      if (nowMs >= p.deadlineMs) {
        this.#settle(id, { ok: false, kind: "timeout" });
        n++;
      }
    }
    return n;
  }

  /** The wall-clock timer fired: the command is late whatever the injected clock says. */
  #expireOne(id: number): void {
    this.#settle(id, { ok: false, kind: "timeout" });
  }

  handleText(text: string): void {
    if (this.#closed) return;
    try {
      if (this.#handlers.onFrame(text) === false) return;
    } catch (err) {
      this.#reportHandlerError(err);
    }
    // Replies carry a top-level "id"; data frames only carry "market_id"/"trade_id"-style keys.
    // Subscription-scoped errors may carry no id; "error" cannot occur in a delta (tickers are upper-case).
    if (!text.includes('"id"') && !text.includes('"error"')) return;
    let reply: ReplyFrame | null;
    try {
      reply = asReply(JSON.parse(text));
    } catch {
      return; // malformed: the frame handler has counted it
    }
    if (reply === null) return;
    if (reply.type === "error") {
      const m = (typeof reply.msg === "object" && reply.msg !== null ? reply.msg : {}) as Record<
        string,
        unknown
      >;
      const code = typeof m.code === "number" ? m.code : 0;
      const message = typeof m.msg === "string" ? m.msg : "";
      if (reply.id !== 0 && this.#pending.has(reply.id)) {
        this.#settle(reply.id, { ok: false, kind: "error", code, message });
        return;
      }
      const e: ServerError = { code, message, sample: text.slice(0, SAMPLE_LENGTH) };
      if (reply.sid !== undefined) e.sid = reply.sid;
      if (reply.id !== 0) e.id = reply.id;
      this.#safe(() => this.#handlers.onServerError?.(e));
      return;
    }
    const p = this.#pending.get(reply.id);
    if (p !== undefined && answers(p.cmd, reply.type)) this.#settle(reply.id, { ok: true, reply });
  }

  /** The socket closed (or errored): settle everything once and tell the owner. */
  handleClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, { ok: false, kind: "closed" });
    this.#safe(() => this.#handlers.onClose(code, reason));
  }

  /** Closes the socket from our side; `onClose` fires once. */
  close(code = 1000, reason = "client close"): void {
    try {
      this.#socket.close(code, reason);
    } catch {
      // already closed
    }
    this.handleClose(code, reason);
  }

  #settle(id: number, o: CommandOutcome): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.cancelTimer?.();
    p.resolve(o);
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#reportHandlerError(err);
    }
  }

  /** A failing error reporter must not turn a handled frame into a thrown one. */
  #reportHandlerError(err: unknown): void {
    try {
      this.#handlers.onHandlerError?.(err);
    } catch {
      // nothing left to tell
    }
  }
}

/**
 * Wires a real (accepted) WebSocket's events into a session. Kalshi sends text frames; a binary
 * one is decoded as UTF-8 and handled in its place in the stream (the frame handler drops it if
 * it is not a frame). Binary frames are asked for as ArrayBuffers: the standard default is a Blob,
 * which can only be read asynchronously, out of order, and which `TextDecoder` refuses.
 */
export function bindSocket(ws: WebSocket, session: KalshiSession): void {
  ws.binaryType = "arraybuffer";
  const decoder = new TextDecoder();
  ws.addEventListener("message", (ev) => {
    const data: unknown = ev.data;
    if (typeof data === "string") session.handleText(data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
      session.handleText(decoder.decode(data));
    else session.handleText("<unreadable binary frame>");
  });
  ws.addEventListener("close", (ev) => session.handleClose(ev.code, ev.reason));
  ws.addEventListener("error", () => session.handleClose(1006, "socket error"));
}
