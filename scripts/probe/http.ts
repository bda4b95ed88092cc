/**
 * What the REST client does not hand back: the HTTP status and the raw body of each answer. The
 * probe gives the bot's `KalshiRestClient` a `fetch` that records them (`recordingFetch`), so a
 * check can say "201 with these fields" while the request itself went through the bot's own
 * client, signer and limiter. Bodies are Kalshi's answers (never a request, never a header), kept
 * truncated and only for the last few requests.
 */

export interface HttpExchange {
  method: string;
  /** the URL's pathname, e.g. `/trade-api/v2/portfolio/events/orders` */
  path: string;
  status: number;
  /** the body as received, truncated */
  body: string;
}

const MAX_KEPT = 64;
const MAX_BODY = 4_000;

export class HttpLog {
  readonly #entries: { serial: number; e: HttpExchange }[] = [];
  #added = 0;

  add(e: HttpExchange): void {
    this.#entries.push({ serial: this.#added++, e });
    if (this.#entries.length > MAX_KEPT) this.#entries.shift();
  }

  /** A mark to pass to `since`: answers recorded after it belong to requests sent after it. */
  mark(): number {
    return this.#added;
  }

  /** The latest answer recorded at or after `mark` to `method` on a path ending with `pathSuffix`. */
  since(mark: number, method: string, pathSuffix: string): HttpExchange | undefined {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const { serial, e } = this.#entries[i] as { serial: number; e: HttpExchange };
      if (serial < mark) return undefined;
      if (e.method === method.toUpperCase() && e.path.endsWith(pathSuffix)) return e;
    }
    return undefined;
  }

  /** The latest answer to `method` on a path ending with `pathSuffix` (e.g. `/portfolio/events/orders`). */
  last(method: string, pathSuffix: string): HttpExchange | undefined {
    return this.since(0, method, pathSuffix);
  }
}

/** A `fetch` that records every answer's status and body in `log`, then hands the response on untouched. */
export function recordingFetch(inner: typeof fetch, log: HttpLog): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    let body = "";
    try {
      body = (await res.clone().text()).slice(0, MAX_BODY);
    } catch {
      // an unreadable body is the client's to report; the log just lacks it
    }
    log.add({ method, path: new URL(url).pathname, status: res.status, body });
    return res;
  };
}

/** The top-level keys of a JSON object body; empty for anything else. */
export function bodyKeys(body: string): string[] {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
  } catch {
    return [];
  }
}
