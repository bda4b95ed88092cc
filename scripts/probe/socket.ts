/**
 * A recording Kalshi WebSocket client for the probe (Node, the `ws` package, which can send the
 * signed `KALSHI-ACCESS-*` headers on the upgrade). Every frame is kept in arrival order with the
 * `seq` that preceded it on its `sid`, and run through the bot's own parser (`parseWsText`), so a
 * check can ask "was this reply exactly the next seq?" and "did every frame pass the bot's
 * schemas?". Commands are built by the bot's builders (`subscribeCmd`, `updateSubscriptionCmd`,
 * ...); this class only numbers them.
 *
 * Used by the WebSocket checks through `ProbeContext.openSocket`.
 */
import { WebSocket } from "ws";
import type { WsCommand } from "../../shared/kalshi/ws-messages.ts";
import { parseWsText } from "../../shared/kalshi/ws-messages.ts";

export interface WsFrame {
  /** arrival order on this socket, from 0 */
  index: number;
  type: string;
  id?: number;
  sid?: number;
  seq?: number;
  /** the seq of the previous frame on the same sid that carried one; absent for the first */
  prevSeq?: number;
  msg: unknown;
  /** what the bot's parser made of the frame */
  parsed: "message" | "unknown" | "invalid";
  parseError?: string;
}

interface Waiter {
  from: number;
  pred: (f: WsFrame) => boolean;
  resolve: (f: WsFrame | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

function intField(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  return typeof v === "number" && Number.isSafeInteger(v) ? v : undefined;
}

/** The error code of an `error` frame, else undefined. */
export function errorCode(f: WsFrame): number | undefined {
  if (f.type !== "error" || typeof f.msg !== "object" || f.msg === null) return undefined;
  const c = (f.msg as { code?: unknown }).code;
  return typeof c === "number" ? c : undefined;
}

export class ProbeSocket {
  readonly frames: WsFrame[] = [];
  readonly #ws: WebSocket;
  readonly #lastSeq = new Map<number, number>();
  #waiters: Waiter[] = [];
  #nextId = 1;
  #closed: string | null = null;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.#onText(data.toString());
    });
    ws.on("close", (code, reason) => this.#onClose(`closed ${code}${reason.length ? ` ${reason}` : ""}`));
    ws.on("error", (err) => this.#onClose(`error: ${err.message}`));
  }

  /**
   * Opens `url` with `headers` on the upgrade. Rejects with a one-line reason (the HTTP status of a
   * refused upgrade, a network error, or a timeout).
   */
  static open(url: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<ProbeSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
      const fail = (why: string): void => {
        ws.removeAllListeners();
        ws.on("error", () => {});
        ws.terminate();
        reject(new Error(why));
      };
      ws.once("open", () => {
        ws.removeAllListeners();
        resolve(new ProbeSocket(ws));
      });
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          if (body.length < 300) body += c.toString();
        });
        res.on("end", () =>
          fail(`upgrade refused: HTTP ${res.statusCode}${body ? ` ${body.slice(0, 300)}` : ""}`),
        );
      });
      ws.once("error", (err) => fail(`cannot connect: ${err.message}`));
    });
  }

  /** Why the socket is closed, or null while it is open. */
  get closed(): string | null {
    return this.#closed;
  }

  /** Sends the command `build(id)` makes with the next command id; returns that id. */
  send(build: (id: number) => WsCommand): number {
    const id = this.#nextId++;
    const cmd = build(id);
    if (this.#closed === null) this.#ws.send(JSON.stringify(cmd));
    return id;
  }

  /**
   * The first frame at or after index `from` that matches `pred`, already received or arriving
   * within `timeoutMs`; null on timeout or when the socket closes first.
   */
  waitFor(pred: (f: WsFrame) => boolean, timeoutMs: number, from = 0): Promise<WsFrame | null> {
    for (let i = from; i < this.frames.length; i++) {
      const f = this.frames[i] as WsFrame;
      if (pred(f)) return Promise.resolve(f);
    }
    if (this.#closed !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = {
        from,
        pred,
        resolve,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          resolve(null);
        }, timeoutMs),
      };
      this.#waiters.push(w);
    });
  }

  /** The reply to command `id`: its `ok`, `error`, `subscribed` or `unsubscribed` frame (the first one). */
  reply(id: number, timeoutMs: number): Promise<WsFrame | null> {
    return this.waitFor(
      (f) =>
        f.id === id &&
        (f.type === "ok" || f.type === "error" || f.type === "subscribed" || f.type === "unsubscribed"),
      timeoutMs,
    );
  }

  /** Frames that did not pass the bot's parser (schema drift between Kalshi and `shared/kalshi`). */
  invalidFrames(): WsFrame[] {
    return this.frames.filter((f) => f.parsed === "invalid");
  }

  close(): void {
    this.#onClose("closed by the probe");
    this.#ws.removeAllListeners();
    this.#ws.on("error", () => {});
    this.#ws.close();
  }

  #onText(text: string): void {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
    const o =
      typeof data === "object" && data !== null && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : {};
    const parsed = parseWsText(text);
    const frame: WsFrame = {
      index: this.frames.length,
      type: typeof o.type === "string" ? o.type : "",
      msg: o.msg,
      parsed: parsed.kind,
    };
    if (parsed.kind === "invalid") frame.parseError = parsed.error;
    const id = intField(o, "id");
    const sid = intField(o, "sid");
    const seq = intField(o, "seq");
    if (id !== undefined) frame.id = id;
    if (sid !== undefined) frame.sid = sid;
    if (seq !== undefined) frame.seq = seq;
    if (sid !== undefined && seq !== undefined) {
      const prev = this.#lastSeq.get(sid);
      if (prev !== undefined) frame.prevSeq = prev;
      this.#lastSeq.set(sid, seq);
    }
    this.frames.push(frame);
    const ready = this.#waiters.filter((w) => frame.index >= w.from && w.pred(frame));
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve(frame);
    }
  }

  #onClose(why: string): void {
    if (this.#closed !== null) return;
    this.#closed = why;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
  }
}
