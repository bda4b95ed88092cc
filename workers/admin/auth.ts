/**
 * Bearer-token check for the admin API. The token comes from the ADMIN_TOKEN secret;
 * without one configured, every protected route is refused (secure by default).
 * Comparison is constant-time over SHA-256 digests so neither length nor prefix leaks; a token
 * with a lone surrogate is refused before it is encoded (see `isWellFormed`).
 */

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/** Exact equality of two tokens in constant time; text that is not well-formed never matches. */
export async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  // Refusing early tells nothing about `expected`: whether `presented` is well-formed is the caller's own.
  if (!isWellFormed(presented) || !isWellFormed(expected)) return false;
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * Whether `s` is well-formed UTF-16 (no lone surrogate). TextEncoder replaces a lone surrogate by
 * U+FFFD, so two different strings would hash alike: "\uD800" would pass for a token "\uFFFD".
 */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

export type AuthVerdict = "ok" | "missing" | "invalid" | "unconfigured";

export async function checkBearer(
  header: string | undefined,
  expected: string | undefined,
): Promise<AuthVerdict> {
  // A token that is not well-formed text matches nothing exactly: the API stays off, as without one.
  if (!expected || !isWellFormed(expected)) return "unconfigured";
  if (!header) return "missing";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const presented = m?.[1];
  if (presented === undefined || !isWellFormed(presented)) return "invalid";
  return (await tokenMatches(presented, expected)) ? "ok" : "invalid";
}
