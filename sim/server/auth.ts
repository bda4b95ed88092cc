/**
 * Verifies Kalshi request signatures the way Kalshi does: RSA-PSS (SHA-256, MGF1-SHA-256, salt =
 * digest length) over `timestamp_ms + METHOD + path` where the path is the full URL path
 * (`/trade-api/v2/...`, or `/trade-api/ws/v2` for the WebSocket upgrade) without the query
 * string. The allowed clock skew is not published by Kalshi; 30 s is our choice (FIX's window).
 */

import type { KeyObject } from "node:crypto";
import { constants, createPublicKey, verify } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const DEFAULT_MAX_SKEW_MS = 30_000;

export interface RegisteredKey {
  keyId: string;
  publicKeyPem: string;
  userId: string;
}

export type AuthResult = { ok: true; userId: string; keyId: string } | { ok: false; details: string };

/** Kalshi's observed 401 body (as observed on the live API); `details` names the reason. */
export function authErrorBody(details: string): {
  error: { code: string; message: string; details: string };
} {
  return {
    error: {
      code: "authentication_error",
      message: "authentication_error",
      details: `rpc error: code = Unauthenticated desc = ${details}`,
    },
  };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function hasAuthHeaders(h: IncomingHttpHeaders): boolean {
  return (
    header(h, "KALSHI-ACCESS-KEY") !== undefined ||
    header(h, "KALSHI-ACCESS-SIGNATURE") !== undefined ||
    header(h, "KALSHI-ACCESS-TIMESTAMP") !== undefined
  );
}

export class KeyRegistry {
  private readonly keys = new Map<string, { key: KeyObject; userId: string }>();

  constructor(keys: readonly RegisteredKey[] = []) {
    for (const k of keys) this.register(k);
  }

  register(k: RegisteredKey): void {
    this.keys.set(k.keyId, { key: createPublicKey(k.publicKeyPem), userId: k.userId });
  }

  userIds(): string[] {
    return [...new Set([...this.keys.values()].map((k) => k.userId))];
  }

  /** `path` is the request path; anything from `?` on is ignored, as Kalshi signs without it. */
  verify(
    h: IncomingHttpHeaders,
    method: string,
    path: string,
    nowMs: number,
    maxSkewMs = DEFAULT_MAX_SKEW_MS,
  ): AuthResult {
    const keyId = header(h, "KALSHI-ACCESS-KEY");
    const ts = header(h, "KALSHI-ACCESS-TIMESTAMP");
    const sig = header(h, "KALSHI-ACCESS-SIGNATURE");
    if (!keyId || !ts || !sig) return { ok: false, details: "MISSING_API_KEY_HEADERS" };
    const entry = this.keys.get(keyId);
    if (!entry) return { ok: false, details: "INCORRECT_API_KEY" };
    if (!/^\d{1,16}$/.test(ts)) return { ok: false, details: "INVALID_TIMESTAMP" };
    if (Math.abs(nowMs - Number(ts)) > maxSkewMs) return { ok: false, details: "TIMESTAMP_EXPIRED" };
    const q = path.indexOf("?");
    const signedPath = q === -1 ? path : path.slice(0, q);
    const message = Buffer.from(`${ts}${method.toUpperCase()}${signedPath}`, "utf8");
    let good = false;
    try {
      good = verify(
        "sha256",
        message,
        {
          key: entry.key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        },
        Buffer.from(sig, "base64"),
      );
    } catch {
      good = false;
    }
    if (!good) return { ok: false, details: "INCORRECT_API_KEY_SIGNATURE" };
    return { ok: true, userId: entry.userId, keyId };
  }
}
