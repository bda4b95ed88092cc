/**
 * Real implementations of the feed runtime's ports, built from the Worker's env: the signed
 * WebSocket opener (`fetch` with `Upgrade: websocket`, re-signed on every connect) and the
 * stand-ins used until shared/book's frame handler and shared/kalshi's REST client are wired
 * (see the feed report): a book port that counts frames by type and never reports a fresh book,
 * so nothing can trade on it, and a REST port that reports failure.
 */
import { KalshiSigner, WS_SIGN_PATH } from "../../shared/kalshi/auth.ts";
import type { BookPort, FrameResult, OpenSocketResult, RestPort, SocketOpener } from "./ports.ts";

const WS_HOSTS: Record<string, string> = {
  prod: "https://external-api-ws.kalshi.com",
  demo: "https://external-api-ws.demo.kalshi.co",
};

/** The WebSocket URL (https scheme: Workers upgrade through `fetch`) for KALSHI_ENV. */
export function wsUrlFor(kalshiEnv: string, simUrl: string): string {
  const host = kalshiEnv === "sim" ? simUrl.replace(/\/+$/, "").replace(/^ws/, "http") : WS_HOSTS[kalshiEnv];
  if (!host) throw new Error(`KALSHI_ENV must be sim, demo or prod, not ${JSON.stringify(kalshiEnv)}`);
  return `${host}${WS_SIGN_PATH}`;
}

/** Opens and accepts a WebSocket with the given headers; never throws. */
export async function openKalshiSocket(
  url: string,
  headers: Record<string, string>,
): Promise<OpenSocketResult> {
  try {
    const resp = await fetch(url, { headers: { ...headers, Upgrade: "websocket" } });
    const ws = resp.webSocket;
    if (resp.status !== 101 || !ws) {
      const body = (await resp.text().catch(() => "")).slice(0, 200);
      return { ok: false, reason: `upgrade refused: ${resp.status} ${body}` };
    }
    ws.accept();
    return { ok: true, socket: ws };
  } catch (err) {
    return { ok: false, reason: `connect failed: ${String(err).slice(0, 200)}` };
  }
}

/** A socket opener that signs `GET /trade-api/ws/v2` afresh for every connect. The key never leaves the signer. */
export function signedSocketOpener(env: Env, nowMs: () => number): SocketOpener {
  let signer: Promise<KalshiSigner> | null = null;
  return async () => {
    let url: string;
    try {
      url = wsUrlFor(env.KALSHI_ENV, env.KALSHI_SIM_URL);
      signer ??= KalshiSigner.create(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY);
      const headers = await (await signer).headers("GET", WS_SIGN_PATH, nowMs());
      return openKalshiSocket(url, headers);
    } catch (err) {
      signer = null;
      // KalshiKeyError messages never contain the key.
      return { ok: false, reason: err instanceof Error ? `${err.name}: ${err.message}` : "signing failed" };
    }
  };
}

/** Counts frames by type; every book stays unfresh until the real frame handler is plugged in. */
export function countingBookPort(): BookPort {
  const counters: Record<string, number> = {};
  return {
    onFrame(text: string): FrameResult {
      let type: string | undefined;
      let sid = 0;
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === "object" && v !== null) {
          const o = v as Record<string, unknown>;
          if (typeof o.type === "string") type = o.type;
          if (typeof o.sid === "number") sid = o.sid;
        }
      } catch {
        counters.parse_failures = (counters.parse_failures ?? 0) + 1;
      }
      const k = `frames_${type ?? "unknown"}`;
      counters[k] = (counters[k] ?? 0) + 1;
      return { type, sid, effects: [] };
    },
    resetConnection() {},
    setMarkets() {},
    view: () => undefined,
    counters: () => ({ ...counters }),
  };
}

/** REST stand-in: every call fails (universe stays as persisted, cross-check skipped). */
export function unavailableRestPort(): RestPort {
  return {
    listMarkets: async () => null,
    orderbookTop: async () => null,
    reconcilePrivate: async () => false,
  };
}
