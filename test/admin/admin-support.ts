/**
 * Shared by the admin API's workerd tests: the app, a test environment with its own
 * ADMIN_TOKEN and account name (so each file talks to its own account object), and request
 * helpers that go through `app.request(path, init, env)` as the Worker's `fetch` would.
 */
import { env } from "cloudflare:workers";
import { accountKeyOf } from "../../workers/account/account-object.ts";
import { createAdminApp } from "../../workers/admin/app.ts";

export const TOKEN = "test-admin-token-0123456789";
export const app = createAdminApp();

/** The Worker's env with the admin token set and the account named `name`. */
export function adminEnv(name = "default"): Env {
  return { ...env, ADMIN_TOKEN: TOKEN, ACCOUNT_NAME: name } as Env;
}

/** The Durable Object name `accountFor` reaches under `adminEnv(name)`. */
export function accountName(name: string): string {
  return accountKeyOf(adminEnv(name));
}

export interface Call {
  method?: string;
  body?: unknown;
  /** raw body text, sent as it is */
  raw?: string;
  contentType?: string | null;
  token?: string | null;
}

/** One request to the admin app; JSON bodies by default, the test token unless told otherwise. */
export async function call(e: Env, path: string, c: Call = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = c.token === undefined ? TOKEN : c.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (c.raw !== undefined) body = c.raw;
  else if (c.body !== undefined) body = JSON.stringify(c.body);
  const type = c.contentType === undefined ? (body !== undefined ? "application/json" : null) : c.contentType;
  if (type !== null) headers["content-type"] = type;
  return app.request(path, { method: c.method ?? (body !== undefined ? "POST" : "GET"), headers, body }, e);
}

/** The answer as JSON, with its status. */
export async function json<T = Record<string, unknown>>(
  res: Response | Promise<Response>,
): Promise<{ status: number; body: T }> {
  const r = await res;
  return { status: r.status, body: (await r.json()) as T };
}
