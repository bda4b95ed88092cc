/**
 * The env-facing pieces of the account: one lazily imported signer, the signed WebSocket opener
 * (`fetch` with `Upgrade: websocket`, re-signed on every connect; a refused upgrade is reported
 * with its status and Kalshi's error code, so a wrong key shows as such in the status) and the
 * REST client, both pointed at the target `shared/environment.ts` resolved (never a default).
 */
import { KalshiSigner, WS_SIGN_PATH } from "../../shared/kalshi/auth.ts";
import { parseKalshiErrorBody } from "../../shared/kalshi/errors.ts";
import { RateLimiter } from "../../shared/kalshi/rate-limiter.ts";
import type { RequestSigner } from "../../shared/kalshi/rest-client.ts";
import { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { OpenSocketResult, SocketOpener } from "./ports.ts";

/**
 * One lazily imported signing key for REST and WebSocket. The key never leaves the signer; a
 * failed import is retried on the next call. Timestamps are wall-clock (`Date.now`), never the
 * runtime's injected clock: Kalshi checks them against its own.
 */
export function lazySigner(keyId: string, pem: string): RequestSigner {
  let signer: Promise<KalshiSigner> | null = null;
  return {
    async headers(method, pathOrUrl, nowMs) {
      signer ??= KalshiSigner.create(keyId, pem);
      try {
        return await (await signer).headers(method, pathOrUrl, nowMs);
      } catch (err) {
        signer = null;
        throw err;
      }
    },
  };
}

/** What an error code looks like (`authentication_error`, `INCORRECT_API_KEY_SIGNATURE`). */
const CODE_SHAPE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Kalshi's error code from a refused upgrade's body. The 401 body wraps a gRPC status whose
 * detail names the cause (`... desc = INCORRECT_API_KEY_SIGNATURE`): that name is more useful
 * to the operator than the generic `authentication_error`, so it wins when present. Only a
 * code-shaped value is taken: the code goes into the status message, so the body must not.
 */
export function refusalCode(bodyText: string): string | undefined {
  const parsed = parseKalshiErrorBody(bodyText);
  const detail = parsed?.details ?? "";
  const m = /desc = ([A-Z][A-Z0-9_]+)/.exec(detail) ?? /\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b/.exec(detail);
  return [m?.[1], parsed?.code].find((c) => c !== undefined && CODE_SHAPE.test(c));
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
      const body = (await resp.text().catch(() => "")).slice(0, 2_000);
      const code = refusalCode(body);
      return {
        ok: false,
        failure: {
          kind: "refused",
          status: resp.status,
          ...(code !== undefined ? { code } : {}),
          message: `upgrade refused: HTTP ${resp.status}${code ? ` ${code}` : ""}`,
        },
      };
    }
    ws.accept();
    return { ok: true, socket: ws };
  } catch (err) {
    return {
      ok: false,
      failure: { kind: "network", message: `connect failed: ${String(err).slice(0, 200)}` },
    };
  }
}

/** A socket opener for `wsUrl` (https form) that signs `GET /trade-api/ws/v2` afresh for every connect. */
export function signedSocketOpener(wsUrl: string, signer: RequestSigner): SocketOpener {
  return async () => {
    const url = wsUrl;
    let headers: Record<string, string>;
    try {
      headers = await signer.headers("GET", WS_SIGN_PATH, Date.now());
    } catch (err) {
      // KalshiKeyError messages never contain the key.
      const message = err instanceof Error ? `${err.name}: ${err.message}` : "signing failed";
      return { ok: false, failure: { kind: "signing", message } };
    }
    return openKalshiSocket(url, headers);
  };
}

/** The REST client for `restBase`: signed with the shared signer, paced by its own limiter, wall clock. */
export function restClientFor(
  restBase: string,
  signer: RequestSigner,
  opts: { timeoutMs?: number } = {},
): KalshiRestClient {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  return new KalshiRestClient({
    baseUrl: restBase,
    signer,
    limiter: new RateLimiter({ now: () => Date.now(), sleep }),
    sleep,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
