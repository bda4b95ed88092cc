/**
 * Kalshi request signing inside workerd: the same module, with the runtime's own
 * `crypto.subtle`. Key pairs are generated here with WebCrypto; the PKCS#1 form is cut out of
 * the exported PKCS#8 so both formats the bot accepts are imported by workerd.
 */
import { describe, expect, it } from "vitest";
import {
  importKalshiPrivateKey,
  KalshiKeyError,
  KalshiSigner,
  signingMessage,
  WS_SIGN_PATH,
} from "./auth.ts";

type Pair = { pkcs1: string; pkcs8: string; publicKey: CryptoKey };

function toPem(label: string, der: Uint8Array): string {
  let bin = "";
  for (const b of der) bin += String.fromCharCode(b);
  const lines = btoa(bin).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function makePair(): Promise<Pair> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  // PrivateKeyInfo of a 2048-bit key: SEQUENCE(82 LL LL) { INTEGER 0, AlgorithmIdentifier (15 bytes),
  // OCTET STRING(82 LL LL) { RSAPrivateKey } }: the PKCS#1 key starts at byte 26.
  expect([...pkcs8.slice(0, 2), ...pkcs8.slice(4, 7), ...pkcs8.slice(22, 24)]).toEqual([
    0x30, 0x82, 0x02, 0x01, 0x00, 0x04, 0x82,
  ]);
  return {
    pkcs1: toPem("RSA PRIVATE KEY", pkcs8.slice(26)),
    pkcs8: toPem("PRIVATE KEY", pkcs8),
    publicKey: pair.publicKey,
  };
}

async function verifies(publicKey: CryptoKey, message: string, signatureB64: string): Promise<boolean> {
  return crypto.subtle.verify(
    { name: "RSA-PSS", saltLength: 32 },
    publicKey,
    fromBase64(signatureB64),
    new TextEncoder().encode(message),
  );
}

const KEY_ID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
const TS = 1703123456789;

describe("KalshiSigner in workerd", () => {
  it("signs REST requests that verify with the public key, for PKCS#1 and PKCS#8 keys", async () => {
    const p = await makePair();
    for (const pem of [p.pkcs1, p.pkcs8]) {
      const signer = await KalshiSigner.create(KEY_ID, pem);
      const h = await signer.headers(
        "post",
        "https://external-api.kalshi.com/trade-api/v2/portfolio/events/orders?x=1",
        TS,
      );
      expect(h["KALSHI-ACCESS-KEY"]).toBe(KEY_ID);
      expect(h["KALSHI-ACCESS-TIMESTAMP"]).toBe("1703123456789");
      const sig = h["KALSHI-ACCESS-SIGNATURE"] ?? "";
      expect(sig).toMatch(/^[A-Za-z0-9+/]{342}==$/);
      expect(await verifies(p.publicKey, "1703123456789POST/trade-api/v2/portfolio/events/orders", sig)).toBe(
        true,
      );
      expect(
        await verifies(p.publicKey, "1703123456789POST/trade-api/v2/portfolio/events/orders?x=1", sig),
      ).toBe(false);
    }
  });

  it("signs the WebSocket handshake as GET /trade-api/ws/v2", async () => {
    const p = await makePair();
    const signer = await KalshiSigner.create(KEY_ID, p.pkcs1);
    const h = await signer.headers("GET", WS_SIGN_PATH, TS);
    expect(signingMessage("1703123456789", "GET", WS_SIGN_PATH)).toBe("1703123456789GET/trade-api/ws/v2");
    expect(
      await verifies(p.publicKey, "1703123456789GET/trade-api/ws/v2", h["KALSHI-ACCESS-SIGNATURE"] ?? ""),
    ).toBe(true);
  });

  it("imports a secret in the literal \\n env form, once per isolate, and keeps two keys apart", async () => {
    const [p, q] = await Promise.all([makePair(), makePair()]);
    const env = `"${p.pkcs1.trim().replaceAll("\n", "\\n")}"`;
    const k1 = await importKalshiPrivateKey(env);
    expect(await importKalshiPrivateKey(p.pkcs8)).toBe(k1);
    expect(await importKalshiPrivateKey(q.pkcs8)).not.toBe(k1);
    const h = await (await KalshiSigner.create(KEY_ID, env)).headers(
      "GET",
      "/trade-api/v2/portfolio/balance",
      TS,
    );
    const msg = "1703123456789GET/trade-api/v2/portfolio/balance";
    expect(await verifies(p.publicKey, msg, h["KALSHI-ACCESS-SIGNATURE"] ?? "")).toBe(true);
    expect(await verifies(q.publicKey, msg, h["KALSHI-ACCESS-SIGNATURE"] ?? "")).toBe(false);
  });

  it("rejects a public key with a KalshiKeyError that does not print it", async () => {
    const p = await makePair();
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", p.publicKey)) as ArrayBuffer);
    const pem = toPem("PUBLIC KEY", spki);
    const err: unknown = await importKalshiPrivateKey(pem).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KalshiKeyError);
    const message = (err as Error).message;
    expect(message).toMatch(/public key/);
    for (const line of pem.split("\n").filter((l) => l.length > 0 && !l.startsWith("-----"))) {
      expect(message).not.toContain(line);
    }
  });
});
