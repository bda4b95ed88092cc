/**
 * Kalshi request signing in Node. RSA-PSS is randomised, so signatures are checked by
 * verifying them with the public key of a key pair made here (Node's `crypto.verify` with the
 * padding Kalshi documents, and WebCrypto), plus exact-string tests of the message builder.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readSimTestKeys, SIM_TEST_KEY_ID } from "../../sim/keys/index.ts";
import {
  importKalshiPrivateKey,
  KalshiKeyError,
  KalshiSigner,
  normalizePem,
  pkcs8DerFromPem,
  signedPath,
  signingMessage,
  WS_SIGN_PATH,
} from "./auth.ts";

type RsaPair = { pkcs1: string; pkcs8: string; publicPem: string };

function rsaPair(): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    pkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

const A = rsaPair();
const B = rsaPair();
const KEY_ID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
const TS = 1703123456789;

/** What Kalshi does on its side (Kalshi's API keys guide): RSA-PSS, SHA-256, salt = digest length. */
function kalshiAccepts(publicPem: string, message: string, signatureB64: string): boolean {
  return verify(
    "sha256",
    Buffer.from(message, "utf8"),
    {
      key: publicPem,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    },
    Buffer.from(signatureB64, "base64"),
  );
}

/** The PEM's base64 body lines: the key material an error must never print. */
function bodyLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("-----") && !l.includes(":"));
}

async function keyErrorFor(pem: string): Promise<KalshiKeyError> {
  const err: unknown = await importKalshiPrivateKey(pem).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KalshiKeyError);
  return err as KalshiKeyError;
}

function expectNoKeyMaterial(err: Error, pem: string): void {
  const text = `${err.message}\n${err.stack ?? ""}`;
  for (const line of bodyLines(pem)) expect(text).not.toContain(line);
  expect(err.cause).toBeUndefined();
}

describe("signingMessage", () => {
  it("keeps the /trade-api/v2 prefix", () => {
    expect(signingMessage("1703123456789", "GET", "/trade-api/v2/portfolio/balance")).toBe(
      "1703123456789GET/trade-api/v2/portfolio/balance",
    );
  });

  it("strips the query", () => {
    expect(signingMessage("1703123456789", "GET", "/trade-api/v2/portfolio/orders?limit=5")).toBe(
      "1703123456789GET/trade-api/v2/portfolio/orders",
    );
  });

  it("strips the fragment", () => {
    expect(signingMessage("1", "GET", "/trade-api/v2/markets#top")).toBe("1GET/trade-api/v2/markets");
  });

  it("upper-cases the method", () => {
    expect(signingMessage("1703123456789", "post", "/trade-api/v2/portfolio/events/orders")).toBe(
      "1703123456789POST/trade-api/v2/portfolio/events/orders",
    );
    expect(signingMessage("1703123456789", "Delete", "/trade-api/v2/portfolio/events/orders/abc")).toBe(
      "1703123456789DELETE/trade-api/v2/portfolio/events/orders/abc",
    );
  });

  it("takes the pathname of a full URL, whatever the host", () => {
    for (const url of [
      "https://external-api.kalshi.com/trade-api/v2/portfolio/orders?limit=5&cursor=x",
      "https://api.elections.kalshi.com/trade-api/v2/portfolio/orders",
      "https://external-api.demo.kalshi.co/trade-api/v2/portfolio/orders?status=resting",
      "http://127.0.0.1:8788/trade-api/v2/portfolio/orders",
    ]) {
      expect(signingMessage("1703123456789", "GET", url)).toBe(
        "1703123456789GET/trade-api/v2/portfolio/orders",
      );
    }
  });

  it("signs GET /trade-api/ws/v2 for the WebSocket handshake, from the constant or the wss URL", () => {
    expect(WS_SIGN_PATH).toBe("/trade-api/ws/v2");
    expect(signingMessage("1703123456789", "GET", WS_SIGN_PATH)).toBe("1703123456789GET/trade-api/ws/v2");
    expect(signingMessage("1703123456789", "get", "wss://external-api-ws.kalshi.com/trade-api/ws/v2")).toBe(
      "1703123456789GET/trade-api/ws/v2",
    );
  });
});

describe("signedPath", () => {
  it("leaves a plain market path untouched", () => {
    expect(signedPath("/trade-api/v2/markets/KXHIGHNY-24JAN01-T60/orderbook")).toBe(
      "/trade-api/v2/markets/KXHIGHNY-24JAN01-T60/orderbook",
    );
  });

  it("percent-encodes like fetch does, so the signed path is the path on the request line", () => {
    expect(signedPath("/trade-api/v2/series/a b")).toBe("/trade-api/v2/series/a%20b");
  });

  it("rejects a path without the leading slash instead of signing something Kalshi will refuse", () => {
    expect(() => signedPath("portfolio/balance")).toThrow(TypeError);
    expect(() => signedPath("")).toThrow(TypeError);
    expect(() => signedPath("//evil.example/trade-api/v2")).toThrow(TypeError);
  });
});

describe("normalizePem", () => {
  const canonical = normalizePem(A.pkcs1);

  it("returns a Node-exported PEM unchanged", () => {
    expect(canonical).toBe(A.pkcs1);
  });

  it("turns the literal \\n env form back into the PEM", () => {
    const env = A.pkcs1.trim().replaceAll("\n", "\\n");
    expect(env).not.toContain("\n");
    expect(normalizePem(env)).toBe(canonical);
    expect(normalizePem(`"${env}"`)).toBe(canonical);
    expect(normalizePem(A.pkcs1.trim().replaceAll("\n", "\\r\\n"))).toBe(canonical);
  });

  it("tolerates CRLF, surrounding whitespace and quotes", () => {
    expect(normalizePem(`  \r\n'${A.pkcs1.replaceAll("\n", "\r\n")}'\r\n  `)).toBe(canonical);
    expect(normalizePem(`"  ${A.pkcs8}  "`)).toBe(A.pkcs8);
  });

  it("re-wraps a PEM squashed onto one line with spaces", () => {
    expect(normalizePem(A.pkcs1.trim().replaceAll("\n", " "))).toBe(canonical);
  });
});

describe("pkcs8DerFromPem", () => {
  it("wraps a PKCS#1 key into exactly the PKCS#8 PrivateKeyInfo Node exports", () => {
    const nodeDer = createPrivateKey(A.pkcs1).export({ type: "pkcs8", format: "der" });
    expect(Buffer.from(pkcs8DerFromPem(A.pkcs1)).equals(nodeDer)).toBe(true);
  });

  it("passes a PKCS#8 key through byte for byte", () => {
    const nodeDer = createPrivateKey(A.pkcs8).export({ type: "pkcs8", format: "der" });
    expect(Buffer.from(pkcs8DerFromPem(A.pkcs8)).equals(nodeDer)).toBe(true);
  });

  it("recognises a PKCS#1 body mislabelled as PRIVATE KEY by its structure", () => {
    const mislabelled = A.pkcs1.replaceAll("RSA PRIVATE KEY", "PRIVATE KEY");
    expect(pkcs8DerFromPem(mislabelled)).toEqual(pkcs8DerFromPem(A.pkcs8));
  });
});

describe("KalshiSigner", () => {
  for (const format of ["pkcs1", "pkcs8"] as const) {
    it(`signs timestamp + METHOD + path so Kalshi's verifier accepts it (${format} key)`, async () => {
      const signer = await KalshiSigner.create(KEY_ID, A[format]);
      const h = await signer.headers("get", "/trade-api/v2/portfolio/orders?limit=5", TS);
      expect(Object.keys(h).sort()).toEqual([
        "KALSHI-ACCESS-KEY",
        "KALSHI-ACCESS-SIGNATURE",
        "KALSHI-ACCESS-TIMESTAMP",
      ]);
      expect(h["KALSHI-ACCESS-KEY"]).toBe(KEY_ID);
      expect(h["KALSHI-ACCESS-TIMESTAMP"]).toBe("1703123456789");
      const sig = h["KALSHI-ACCESS-SIGNATURE"] ?? "";
      // 2048-bit key: 256 bytes, standard base64 with padding.
      expect(sig).toMatch(/^[A-Za-z0-9+/]{342}==$/);
      expect(kalshiAccepts(A.publicPem, "1703123456789GET/trade-api/v2/portfolio/orders", sig)).toBe(true);
      // The query is not part of the signed string.
      expect(kalshiAccepts(A.publicPem, "1703123456789GET/trade-api/v2/portfolio/orders?limit=5", sig)).toBe(
        false,
      );
      expect(kalshiAccepts(B.publicPem, "1703123456789GET/trade-api/v2/portfolio/orders", sig)).toBe(false);
    });
  }

  it("signs with a key given in the literal \\n env form, quoted and CRLF-padded", async () => {
    const env = `"${A.pkcs1.trim().replaceAll("\n", "\\n")}"\r\n`;
    const signer = await KalshiSigner.create(` ${KEY_ID}\n`, env);
    const h = await signer.headers("POST", "/trade-api/v2/portfolio/events/orders", TS);
    expect(h["KALSHI-ACCESS-KEY"]).toBe(KEY_ID);
    expect(
      kalshiAccepts(
        A.publicPem,
        "1703123456789POST/trade-api/v2/portfolio/events/orders",
        h["KALSHI-ACCESS-SIGNATURE"] ?? "",
      ),
    ).toBe(true);
  });

  it("signs the WebSocket handshake as GET /trade-api/ws/v2", async () => {
    const signer = await KalshiSigner.create(KEY_ID, A.pkcs8);
    for (const target of [WS_SIGN_PATH, "wss://external-api-ws.kalshi.com/trade-api/ws/v2"]) {
      const h = await signer.headers("GET", target, TS);
      expect(
        kalshiAccepts(A.publicPem, "1703123456789GET/trade-api/ws/v2", h["KALSHI-ACCESS-SIGNATURE"] ?? ""),
      ).toBe(true);
    }
  });

  it("verifies under WebCrypto with saltLength 32 too", async () => {
    const signer = await KalshiSigner.create(KEY_ID, A.pkcs1);
    const h = await signer.headers("GET", "/trade-api/v2/portfolio/balance", TS);
    const spki = createPrivateKey(A.pkcs1).export({ type: "pkcs1", format: "der" }); // sanity: key parses
    expect(spki.length).toBeGreaterThan(0);
    const pub = await crypto.subtle.importKey(
      "spki",
      Buffer.from(bodyLines(A.publicPem).join(""), "base64"),
      { name: "RSA-PSS", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const ok = await crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: 32 },
      pub,
      Buffer.from(h["KALSHI-ACCESS-SIGNATURE"] ?? "", "base64"),
      new TextEncoder().encode("1703123456789GET/trade-api/v2/portfolio/balance"),
    );
    expect(ok).toBe(true);
  });

  it("floors a fractional clock and sends the same string it signs", async () => {
    const signer = await KalshiSigner.create(KEY_ID, A.pkcs8);
    const h = await signer.headers("GET", "/trade-api/v2/exchange/status", 1703123456789.9);
    expect(h["KALSHI-ACCESS-TIMESTAMP"]).toBe("1703123456789");
    expect(
      kalshiAccepts(
        A.publicPem,
        "1703123456789GET/trade-api/v2/exchange/status",
        h["KALSHI-ACCESS-SIGNATURE"] ?? "",
      ),
    ).toBe(true);
  });

  it("refuses a non-finite or negative clock", async () => {
    const signer = await KalshiSigner.create(KEY_ID, A.pkcs8);
    await expect(signer.headers("GET", "/trade-api/v2/exchange/status", Number.NaN)).rejects.toThrow(
      RangeError,
    );
    await expect(signer.headers("GET", "/trade-api/v2/exchange/status", -1)).rejects.toThrow(RangeError);
  });

  it("refuses an empty key id or one a header cannot carry", async () => {
    await expect(KalshiSigner.create("", A.pkcs8)).rejects.toThrow(KalshiKeyError);
    await expect(KalshiSigner.create("  ", A.pkcs8)).rejects.toThrow(KalshiKeyError);
    await expect(KalshiSigner.create("abc def", A.pkcs8)).rejects.toThrow(KalshiKeyError);
  });

  it("signs with the simulator's committed test key pair", async () => {
    const keys = readSimTestKeys();
    expect(keys.keyId).toBe(SIM_TEST_KEY_ID);
    expect(keys.privateKeyPem).toContain("-----BEGIN RSA PRIVATE KEY-----");
    const signer = await KalshiSigner.create(keys.keyId, keys.privateKeyPem);
    const h = await signer.headers("GET", "/trade-api/v2/portfolio/balance", TS);
    expect(
      kalshiAccepts(
        keys.publicKeyPem,
        "1703123456789GET/trade-api/v2/portfolio/balance",
        h["KALSHI-ACCESS-SIGNATURE"] ?? "",
      ),
    ).toBe(true);
  });
});

describe("importKalshiPrivateKey cache", () => {
  it("imports a key once: the same CryptoKey for the same key in either format or layout", async () => {
    const first = await importKalshiPrivateKey(A.pkcs1);
    expect(await importKalshiPrivateKey(A.pkcs1)).toBe(first);
    expect(await importKalshiPrivateKey(A.pkcs8)).toBe(first);
    expect(await importKalshiPrivateKey(A.pkcs1.trim().replaceAll("\n", "\\n"))).toBe(first);
    expect(first.type).toBe("private");
    expect(first.extractable).toBe(false);
    expect(first.usages).toEqual(["sign"]);
    expect(first.algorithm.name).toBe("RSA-PSS");
  });

  it("keeps two different keys apart", async () => {
    const [ka, kb] = await Promise.all([importKalshiPrivateKey(A.pkcs8), importKalshiPrivateKey(B.pkcs8)]);
    expect(ka).not.toBe(kb);
    const sa = await KalshiSigner.create(KEY_ID, A.pkcs8);
    const sb = await KalshiSigner.create(KEY_ID, B.pkcs8);
    const ha = await sa.headers("GET", "/trade-api/v2/portfolio/balance", TS);
    const hb = await sb.headers("GET", "/trade-api/v2/portfolio/balance", TS);
    const msg = "1703123456789GET/trade-api/v2/portfolio/balance";
    expect(kalshiAccepts(A.publicPem, msg, ha["KALSHI-ACCESS-SIGNATURE"] ?? "")).toBe(true);
    expect(kalshiAccepts(B.publicPem, msg, hb["KALSHI-ACCESS-SIGNATURE"] ?? "")).toBe(true);
    expect(kalshiAccepts(B.publicPem, msg, ha["KALSHI-ACCESS-SIGNATURE"] ?? "")).toBe(false);
  });

  it("shares one import between concurrent callers", async () => {
    const C = rsaPair();
    const keys = await Promise.all([1, 2, 3].map(() => importKalshiPrivateKey(C.pkcs1)));
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
  });
});

describe("bad keys give a KalshiKeyError that never prints the key", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ed = generateKeyPairSync("ed25519");
  const encrypted = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" },
  });
  const encryptedPkcs1 = createPrivateKey(A.pkcs1)
    .export({ type: "pkcs1", format: "pem", cipher: "aes-128-cbc", passphrase: "secret" })
    .toString();
  const lines = A.pkcs1.trim().split("\n");
  const truncated = [...lines.slice(0, 10), lines[lines.length - 1]].join("\n");

  const cases: Array<[string, string, RegExp]> = [
    ["an empty value", "   ", /empty or missing/],
    ["text that is not PEM", "not a key at all", /not PEM/],
    ["a PEM body without its BEGIN/END lines", bodyLines(A.pkcs1).join("\n"), /not PEM/],
    ["an encrypted PKCS#8 PEM", encrypted.privateKey, /encrypted/],
    ["an encrypted PKCS#1 PEM (Proc-Type header)", encryptedPkcs1, /encrypted/],
    ["the public key (SPKI) instead of the private key", A.publicPem, /public key/],
    [
      "a PKCS#1 public key",
      createPublicKey(A.pkcs1).export({ type: "pkcs1", format: "pem" }).toString(),
      /public key/,
    ],
    [
      "a public key relabelled as a private key",
      A.publicPem.replaceAll("PUBLIC KEY", "PRIVATE KEY"),
      /public key, not the private key/,
    ],
    [
      "garbage base64",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE$$not*base64!!\n-----END RSA PRIVATE KEY-----",
      /not valid base64/,
    ],
    [
      "base64 that is not DER",
      "-----BEGIN PRIVATE KEY-----\nSGVsbG8sIHRoaXMgaXMgbm90IGEga2V5IGF0IGFsbC4=\n-----END PRIVATE KEY-----",
      /not a valid RSA private key/,
    ],
    ["a key cut short by a bad copy-paste", truncated, /not (valid base64|a valid RSA private key)/],
    [
      "an EC key in PKCS#8",
      ec.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      /algorithm is EC .*not RSA/,
    ],
    [
      "an EC key in SEC1 form",
      ec.privateKey.export({ type: "sec1", format: "pem" }).toString(),
      /EC PRIVATE KEY/,
    ],
    [
      "an Ed25519 key",
      ed.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      /algorithm is Ed25519 .*not RSA/,
    ],
  ];

  for (const [what, pem, reason] of cases) {
    it(`rejects ${what} with a clear message`, async () => {
      const err = await keyErrorFor(pem);
      expect(err.name).toBe("KalshiKeyError");
      expect(err.message).toMatch(reason);
      expectNoKeyMaterial(err, pem);
    });
  }

  it("rejects a bad key from KalshiSigner.create too", async () => {
    await expect(KalshiSigner.create(KEY_ID, A.publicPem)).rejects.toThrow(KalshiKeyError);
  });

  it("does not cache a failed import", async () => {
    await keyErrorFor(A.publicPem);
    const key = await importKalshiPrivateKey(A.pkcs8);
    expect(key.type).toBe("private");
  });
});
