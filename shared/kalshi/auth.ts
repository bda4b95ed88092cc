/**
 * Kalshi request signing: the three `KALSHI-ACCESS-*` headers for REST calls and for the
 * WebSocket handshake (Kalshi's API keys guide).
 *
 * - The signed string is `timestamp_ms + METHOD + path`, where path is the full URL path from
 *   the host root (with `/trade-api/v2`) and never the query string or the body.
 * - RSA-PSS, SHA-256 (MGF1 SHA-256), salt 32 bytes, standard base64 with padding.
 * - The private key arrives as a PEM secret, PKCS#1 (`BEGIN RSA PRIVATE KEY`, what Kalshi's UI
 *   downloads) or PKCS#8 (`BEGIN PRIVATE KEY`). WebCrypto imports only PKCS#8, so PKCS#1 is
 *   wrapped into a PrivateKeyInfo with the minimal DER encoder below. WebCrypto only: this
 *   runs unchanged in workerd and in Node 22.
 * - The imported `CryptoKey` is cached per isolate, keyed by the SHA-256 of the key's PKCS#8
 *   DER (never by the PEM text), so one key is imported once and two keys never collide.
 * - A key that cannot be used throws `KalshiKeyError`, whose message says what is wrong and
 *   what to do, and never contains any of the key material.
 *
 * Called by the REST client and executor (every signed request) and by the feed's WebSocket
 * opener (`headers("GET", WS_SIGN_PATH, nowMs)` on every (re)connect).
 */

/** The path the WebSocket handshake signs, whatever the host (Kalshi's WebSocket quick start). */
export const WS_SIGN_PATH = "/trade-api/ws/v2";

/** The private key (or key id) cannot be used. The message never contains key material. */
export class KalshiKeyError extends Error {
  override name = "KalshiKeyError";
}

// ---------------------------------------------------------------------------------------------
// PEM text

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const PEM_HEADER_LINE = /^[A-Za-z][A-Za-z-]*:/;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Cleans a PEM as it comes out of an env var or secret store into canonical PEM text:
 * surrounding whitespace and quotes removed, literal `\n` / `\r\n` escapes (two or four
 * characters, as left by `.env` files and JSON) turned into newlines, CRLF into LF, and each
 * block re-wrapped at 64 characters (so a PEM squashed onto one line also works).
 * Text without a PEM block comes back cleaned but otherwise unchanged. Never throws.
 */
export function normalizePem(raw: string): string {
  let s = raw.trim();
  for (;;) {
    const q = s[0];
    if (s.length < 2 || (q !== '"' && q !== "'" && q !== "`") || s[s.length - 1] !== q) break;
    s = s.slice(1, -1).trim();
  }
  s = s.replace(/(?:\\+r)?\\+n|\\+r/g, "\n").replace(/\r\n?/g, "\n");

  const blocks: string[] = [];
  for (const m of s.matchAll(PEM_BLOCK)) {
    const label = m[1] ?? "";
    const lines = (m[2] ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    const headers = lines.filter((l) => PEM_HEADER_LINE.test(l));
    const body = lines
      .filter((l) => !PEM_HEADER_LINE.test(l))
      .join("")
      .replace(/\s+/g, "");
    const wrapped = body.match(/.{1,64}/g) ?? [];
    const head = headers.length > 0 ? `${headers.join("\n")}\n\n` : "";
    blocks.push(`-----BEGIN ${label}-----\n${head}${wrapped.join("\n")}\n-----END ${label}-----\n`);
  }
  if (blocks.length > 0) return blocks.join("");
  const cleaned = s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join("\n");
  return cleaned.length > 0 ? `${cleaned}\n` : "";
}

type PemBlock = { label: string; headers: string[]; body: string };

function pemBlocks(normalized: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of normalized.matchAll(PEM_BLOCK)) {
    const lines = (m[2] ?? "").split("\n").filter((l) => l.length > 0);
    out.push({
      label: m[1] ?? "",
      headers: lines.filter((l) => PEM_HEADER_LINE.test(l)),
      body: lines.filter((l) => !PEM_HEADER_LINE.test(l)).join(""),
    });
  }
  return out;
}

const HOW_TO_FIX =
  "Set KALSHI_PRIVATE_KEY to the unencrypted RSA private key PEM downloaded from Kalshi " +
  "(-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----).";

function keyError(problem: string): KalshiKeyError {
  return new KalshiKeyError(`Kalshi private key: ${problem}. ${HOW_TO_FIX}`);
}

function decodeBase64(b64: string, label: string): Uint8Array<ArrayBuffer> {
  if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64_BODY.test(b64)) {
    throw keyError(`the body of the ${label} PEM block is not valid base64`);
  }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Minimal DER: a reader that walks TLVs (enough to tell PKCS#1 from PKCS#8 and to find the key
// algorithm) and an encoder for the PKCS#8 wrapper.

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;

type Tlv = { tag: number; valueStart: number; end: number };

class DerError extends Error {}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated");
  const tag = der[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tag");
  let len = der[offset + 1] ?? 0;
  let valueStart = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError("unsupported length");
    if (valueStart + n > limit) throw new DerError("truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[valueStart + i] ?? 0);
    valueStart += n;
  }
  const end = valueStart + len;
  if (end > limit) throw new DerError("truncated");
  return { tag, valueStart, end };
}

function childrenOf(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.valueStart;
  while (at < parent.end) {
    const t = readTlv(der, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

function derLength(len: number): number[] {
  if (len < 0x80) return [len];
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

function derTlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const len = parts.reduce((sum, p) => sum + p.length, 0);
  const head = [tag, ...derLength(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** INTEGER 0: PrivateKeyInfo version. */
const DER_VERSION_0 = Uint8Array.of(TAG_INTEGER, 0x01, 0x00);
/** OID 1.2.840.113549.1.1.1 (rsaEncryption), as encoded inside an OBJECT IDENTIFIER. */
const RSA_ENCRYPTION_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
/** AlgorithmIdentifier { rsaEncryption, NULL }. */
const RSA_ALGORITHM_IDENTIFIER = derTlv(
  TAG_SEQUENCE,
  derTlv(TAG_OID, RSA_ENCRYPTION_OID),
  Uint8Array.of(5, 0),
);

/** PKCS#8 PrivateKeyInfo = SEQUENCE { INTEGER 0, AlgorithmIdentifier(rsa), OCTET STRING(pkcs1) }. */
function wrapPkcs1(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  return derTlv(TAG_SEQUENCE, DER_VERSION_0, RSA_ALGORITHM_IDENTIFIER, derTlv(TAG_OCTET_STRING, pkcs1));
}

const KNOWN_ALGORITHMS: Record<string, string> = {
  "1.2.840.10045.2.1": "EC",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
  "1.2.840.10040.4.1": "DSA",
  "1.2.840.113549.1.1.10": "RSASSA-PSS (restricted RSA key)",
};

function oidString(der: Uint8Array, t: Tlv): string {
  const first = der[t.valueStart] ?? 0;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let acc = 0;
  for (let i = t.valueStart + 1; i < t.end; i++) {
    const b = der[i] ?? 0;
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join(".");
}

function bytesEqual(der: Uint8Array, t: Tlv, expected: Uint8Array): boolean {
  if (t.end - t.valueStart !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (der[t.valueStart + i] !== expected[i]) return false;
  return true;
}

/** RSAPrivateKey = SEQUENCE { version, n, e, d, p, q, dp, dq, qinv [, otherPrimeInfos] }. */
function isRsaPrivateKey(der: Uint8Array, seq: Tlv): boolean {
  if (seq.tag !== TAG_SEQUENCE) return false;
  const kids = childrenOf(der, seq);
  return kids.length >= 9 && kids.slice(0, 9).every((k) => k.tag === TAG_INTEGER);
}

/** Classifies a decoded private-key DER by its structure (labels lie) and returns PKCS#8. */
function toPkcs8(der: Uint8Array<ArrayBuffer>, label: string): Uint8Array<ArrayBuffer> {
  const top = readTlv(der, 0, der.length);
  if (top.tag !== TAG_SEQUENCE || top.end !== der.length) throw new DerError("not one SEQUENCE");
  const kids = childrenOf(der, top);
  const [k0, k1, k2] = kids;

  if (isRsaPrivateKey(der, top)) return wrapPkcs1(der); // PKCS#1

  if (k0?.tag === TAG_INTEGER && k1?.tag === TAG_SEQUENCE && k2?.tag === TAG_OCTET_STRING) {
    // PKCS#8 PrivateKeyInfo: check the algorithm, and that the payload is an RSA key.
    const oid = childrenOf(der, k1)[0];
    if (oid?.tag !== TAG_OID) throw new DerError("no algorithm OID");
    if (!bytesEqual(der, oid, RSA_ENCRYPTION_OID)) {
      const dotted = oidString(der, oid);
      const name = KNOWN_ALGORITHMS[dotted] ?? "unknown algorithm";
      throw keyError(`its algorithm is ${name} (OID ${dotted}), not RSA; Kalshi API keys are RSA`);
    }
    const inner = readTlv(der, k2.valueStart, k2.end);
    if (inner.end !== k2.end || !isRsaPrivateKey(der, inner)) throw new DerError("bad RSA payload");
    return der;
  }
  if (kids.length === 2 && k0?.tag === TAG_SEQUENCE && k1?.tag === TAG_BIT_STRING) {
    throw keyError(`the ${label} block holds a public key, not the private key`);
  }
  if (kids.length === 2 && k0?.tag === TAG_SEQUENCE && k1?.tag === TAG_OCTET_STRING) {
    throw keyError(`the ${label} block is an encrypted private key; WebCrypto cannot import it`);
  }
  if (k0?.tag === TAG_INTEGER && k1?.tag === TAG_OCTET_STRING) {
    throw keyError(`the ${label} block holds an EC private key, not an RSA key`);
  }
  throw new DerError("unrecognised structure");
}

/**
 * The PKCS#8 DER of the RSA private key in `pem` (PKCS#1 is wrapped). Throws `KalshiKeyError`
 * for anything that is not an unencrypted RSA private key. Exported for tests and tooling;
 * signing code uses `importKalshiPrivateKey`.
 */
export function pkcs8DerFromPem(pem: string): Uint8Array<ArrayBuffer> {
  if (typeof pem !== "string" || pem.trim() === "") throw keyError("it is empty or missing");
  const normalized = normalizePem(pem);
  const blocks = pemBlocks(normalized);
  if (blocks.length === 0) throw keyError("it is not PEM (no -----BEGIN ...----- line found)");
  const block = blocks.find((b) => b.label === "RSA PRIVATE KEY" || b.label === "PRIVATE KEY");
  if (!block) {
    const labels = blocks.map((b) => b.label);
    if (labels.some((l) => l.includes("ENCRYPTED"))) {
      throw keyError(
        "it is an encrypted PEM (ENCRYPTED PRIVATE KEY); WebCrypto cannot import it, decrypt it first",
      );
    }
    if (labels.some((l) => l.includes("PUBLIC KEY") || l === "CERTIFICATE")) {
      throw keyError(`it is a public key or certificate (${labels.join(", ")}), not the private key`);
    }
    throw keyError(`unsupported PEM type ${labels.join(", ")}; only RSA private keys are supported`);
  }
  if (block.headers.some((h) => /^Proc-Type:.*ENCRYPTED/i.test(h) || /^DEK-Info:/i.test(h))) {
    throw keyError(
      "it is an encrypted PEM (Proc-Type: 4,ENCRYPTED); WebCrypto cannot import it, decrypt it first",
    );
  }
  const der = decodeBase64(block.body, block.label);
  try {
    return toPkcs8(der, block.label);
  } catch (err) {
    if (err instanceof KalshiKeyError) throw err;
    // DerError messages describe structure only; they never carry bytes of the key.
    const why = err instanceof DerError ? err.message : "unreadable";
    throw keyError(`the ${block.label} block is not a valid RSA private key (DER ${why})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Import and cache

const IMPORT_ALGORITHM = { name: "RSA-PSS", hash: "SHA-256" };
/** Salt length = SHA-256 digest length; Node's RSA_PSS_SALTLEN_DIGEST, Python's PSS.DIGEST_LENGTH. */
const SIGN_ALGORITHM = { name: "RSA-PSS", saltLength: 32 };
/** A process holds one or two keys; the bound only stops a misuse from growing memory. */
const MAX_CACHED_KEYS = 16;
const KEY_CACHE = new Map<string, Promise<CryptoKey>>();

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Imports the RSA private key for RSA-PSS signing (non-extractable). Cached per isolate by
 * the SHA-256 of its PKCS#8 DER: the same key in PKCS#1 or PKCS#8 form, or formatted
 * differently, resolves to the same `CryptoKey`. Throws `KalshiKeyError` for a bad key.
 */
export async function importKalshiPrivateKey(pem: string): Promise<CryptoKey> {
  const der = pkcs8DerFromPem(pem);
  const id = await sha256Hex(der);
  const cached = KEY_CACHE.get(id);
  if (cached) return cached;
  const imported = crypto.subtle.importKey("pkcs8", der, IMPORT_ALGORITHM, false, ["sign"]).catch((err) => {
    KEY_CACHE.delete(id);
    const name = err instanceof Error ? err.name : "Error";
    throw keyError(`WebCrypto refused to import it (${name})`);
  });
  KEY_CACHE.set(id, imported);
  if (KEY_CACHE.size > MAX_CACHED_KEYS) {
    const oldest = KEY_CACHE.keys().next().value;
    if (oldest !== undefined) KEY_CACHE.delete(oldest);
  }
  return imported;
}

// ---------------------------------------------------------------------------------------------
// Message and headers

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const PATH_BASE = "http://signing.invalid";

/**
 * The path Kalshi verifies: the full URL path from the host root, `/trade-api/v2` included,
 * without query string or fragment. A full URL gives its pathname (the host never enters the
 * signature). Paths are normalised as `fetch` puts them on the request line (`new URL`), as
 * Kalshi's own SDK does. Throws `TypeError` for a relative path: signing `portfolio/balance`
 * would only earn a 401 later.
 */
export function signedPath(pathOrUrl: string): string {
  if (ABSOLUTE_URL.test(pathOrUrl)) return new URL(pathOrUrl).pathname;
  if (!pathOrUrl.startsWith("/") || pathOrUrl.startsWith("//")) {
    throw new TypeError(
      `signedPath: expected a full URL or a path starting with "/trade-api/...", got ${JSON.stringify(pathOrUrl.slice(0, 80))}`,
    );
  }
  return new URL(pathOrUrl, PATH_BASE).pathname;
}

/** The exact string to sign: `timestamp_ms + METHOD + path` with no separators. */
export function signingMessage(timestampMs: string, method: string, pathOrUrl: string): string {
  return `${timestampMs}${method.toUpperCase()}${signedPath(pathOrUrl)}`;
}

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const UTF8 = new TextEncoder();

/**
 * Signs requests for one API key. Create once (the key import is cached), then call
 * `headers` immediately before each `fetch`, with the clock passed in.
 */
export class KalshiSigner {
  readonly keyId: string;
  readonly #key: CryptoKey;

  private constructor(keyId: string, key: CryptoKey) {
    this.keyId = keyId;
    this.#key = key;
  }

  /** Throws `KalshiKeyError` for an empty key id or an unusable private key. */
  static async create(keyId: string, pem: string): Promise<KalshiSigner> {
    const id = typeof keyId === "string" ? keyId.trim() : "";
    // A header value: visible ASCII only (Kalshi key ids are UUIDs).
    if (!/^[!-~]+$/.test(id)) {
      throw new KalshiKeyError(
        "Kalshi key id (KALSHI_KEY_ID) is empty or contains characters other than visible ASCII.",
      );
    }
    return new KalshiSigner(id, await importKalshiPrivateKey(pem));
  }

  /**
   * The three `KALSHI-ACCESS-*` headers for one request. `nowMs` is Unix time in ms (floored to
   * an integer); `pathOrUrl` may carry a query, which is not signed. For the WebSocket
   * handshake: `headers("GET", WS_SIGN_PATH, nowMs)` or the full `wss://` URL.
   */
  async headers(method: string, pathOrUrl: string, nowMs: number): Promise<Record<string, string>> {
    if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`KalshiSigner: bad timestamp ${nowMs}`);
    const timestamp = String(Math.floor(nowMs));
    const message = signingMessage(timestamp, method, pathOrUrl);
    const signature = await crypto.subtle.sign(SIGN_ALGORITHM, this.#key, UTF8.encode(message));
    return {
      "KALSHI-ACCESS-KEY": this.keyId,
      "KALSHI-ACCESS-TIMESTAMP": timestamp,
      "KALSHI-ACCESS-SIGNATURE": toBase64(signature),
    };
  }
}
