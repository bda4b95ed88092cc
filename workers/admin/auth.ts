/**
 * Bearer-token check for the admin API. The token comes from the ADMIN_TOKEN secret;
 * without one configured, every protected route is refused (secure by default).
 * Comparison is constant-time over SHA-256 digests so neither length nor prefix leaks.
 */

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

export async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export type AuthVerdict = "ok" | "missing" | "invalid" | "unconfigured";

export async function checkBearer(
  header: string | undefined,
  expected: string | undefined,
): Promise<AuthVerdict> {
  if (!expected) return "unconfigured";
  if (!header) return "missing";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return "invalid";
  return (await tokenMatches(m[1] as string, expected)) ? "ok" : "invalid";
}
