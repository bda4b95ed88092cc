/**
 * Signature conformance: requests signed by the bot's `KalshiSigner` (through the REST client
 * and on the WebSocket upgrade) are accepted; a flipped signature byte, a signature over another
 * path and a stale timestamp are refused with Kalshi's observed 401 body (as observed on the live API),
 * which `parseKalshiErrorBody` reads as `authentication_error` and the client classifies as
 * `unauthorized`, final.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KalshiSigner, WS_SIGN_PATH } from "../../shared/kalshi/auth.ts";
import { parseKalshiErrorBody } from "../../shared/kalshi/errors.ts";
import { readSimTestKeys } from "../keys/index.ts";
import type { Conformance } from "./harness.ts";
import { flipSignatureByte, must, startConformance, T0, tamperingSigner, WsRecorder } from "./harness.ts";

/** Kalshi's 401 body as observed on the live API. */
const AUTH_401 = (desc: string) => ({
  error: {
    code: "authentication_error",
    message: "authentication_error",
    details: `rpc error: code = Unauthenticated desc = ${desc}`,
  },
});

let c: Conformance;

beforeEach(async () => {
  c = await startConformance();
});
afterEach(async () => {
  await c.close();
});

/** A signed GET through raw fetch, to read the 401 body the client only summarises. */
async function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${c.sim.url}${path}`, { headers });
  return { status: res.status, text: await res.text() };
}

describe("REST signatures", () => {
  it("accepts requests signed by the client, private and public, with and without a query", async () => {
    expect(must(await c.client.getBalance()).balance).toBeGreaterThan(0);
    expect(must(await c.client.listOrders({ status: "resting", limit: 5 }))).toEqual([]);
    expect(must(await c.client.listMarkets({ limit: 2 })).length).toBe(8);
    expect((await c.control.counters()).auth_failures ?? 0).toBe(0);
  });

  it("accepts the committed PKCS#1 sim key through the signer when the simulator runs with its default key", async () => {
    const keys = readSimTestKeys();
    const d = await startConformance({ keys: undefined });
    try {
      const signer = await KalshiSigner.create(keys.keyId, keys.privateKeyPem);
      const client = d.makeClient({ signer });
      expect(must(await client.getBalance()).balance).toBeGreaterThan(0);
    } finally {
      await d.close();
    }
  });

  const refusals: [
    string,
    (h: Record<string, string>, method: string, path: string) => Promise<Record<string, string>>,
    string,
  ][] = [
    [
      "a flipped signature byte",
      async (h) => ({
        ...h,
        "KALSHI-ACCESS-SIGNATURE": flipSignatureByte(h["KALSHI-ACCESS-SIGNATURE"] as string),
      }),
      "INCORRECT_API_KEY_SIGNATURE",
    ],
    [
      "a signature over another path",
      async (_h, method) => c.signer.headers(method, "/trade-api/v2/portfolio/positions", c.clock.ms),
      "INCORRECT_API_KEY_SIGNATURE",
    ],
    [
      "a stale timestamp (60 s old) with an otherwise valid signature",
      async (_h, method, path) => c.signer.headers(method, path, c.clock.ms - 60_000),
      "TIMESTAMP_EXPIRED",
    ],
  ];

  for (const [name, tamper, desc] of refusals) {
    it(`refuses ${name} with Kalshi's 401 body, classified unauthorized`, async () => {
      const client = c.makeClient({ signer: tamperingSigner(c.signer, tamper) });
      const r = await client.getBalance();
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.failure).toMatchObject({
        retryable: false,
        reason: "unauthorized",
        status: 401,
        code: "authentication_error",
      });
      const w = await client.cancelAllOrders();
      expect(w.ok).toBe(false);
      if (!w.ok) expect([w.outcome, w.failure.reason]).toEqual(["rejected", "unauthorized"]);

      // the body itself, as the parser sees it
      const path = "/trade-api/v2/portfolio/balance";
      const raw = await rawGet(
        path,
        await tamper(await c.signer.headers("GET", path, c.clock.ms), "GET", path),
      );
      expect(raw.status).toBe(401);
      expect(JSON.parse(raw.text)).toEqual(AUTH_401(desc));
      expect(parseKalshiErrorBody(raw.text)).toEqual({
        code: "authentication_error",
        message: "authentication_error",
        details: `rpc error: code = Unauthenticated desc = ${desc}`,
      });
    });
  }

  it("refuses a client whose clock runs 31 s ahead of the server's (outside its 30 s window)", async () => {
    const r = await c.makeClient({ nowMs: () => T0 + 31_000 }).getBalance();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("authentication_error");
  });
});

describe("WebSocket upgrade signatures", () => {
  it("accepts an upgrade signed with the signer's GET /trade-api/ws/v2 headers", async () => {
    const ws = await WsRecorder.openSigned(c.sim.wsUrl, c.signer, c.clock.ms);
    expect((await c.control.state()).ws_connections).toBe(1);
    ws.close();
  });

  it("refuses an unsigned upgrade and a badly signed one with the 401 body", async () => {
    const attempts: [string, Record<string, string>][] = [
      ["unsigned", {}],
      [
        "flipped byte",
        await (async () => {
          const h = await c.signer.headers("GET", WS_SIGN_PATH, c.clock.ms);
          return {
            ...h,
            "KALSHI-ACCESS-SIGNATURE": flipSignatureByte(h["KALSHI-ACCESS-SIGNATURE"] as string),
          };
        })(),
      ],
      ["signed for the REST prefix", await c.signer.headers("GET", "/trade-api/v2", c.clock.ms)],
      ["stale", await c.signer.headers("GET", WS_SIGN_PATH, c.clock.ms - 60_000)],
    ];
    for (const [name, headers] of attempts) {
      const err = await WsRecorder.open(c.sim.wsUrl, headers).then(
        () => null,
        (e: unknown) => e as { status?: number; body?: string },
      );
      expect(err, name).not.toBeNull();
      expect(err?.status, name).toBe(401);
      expect(parseKalshiErrorBody(err?.body ?? "")?.code, name).toBe("authentication_error");
    }
    expect((await c.control.state()).ws_connections).toBe(0);
  });
});
