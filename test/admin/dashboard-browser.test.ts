/**
 * The dashboard in a real browser, against a real Worker: `scripts/start.mjs` runs the Worker
 * under `wrangler dev` with the Kalshi simulator and a test ADMIN_TOKEN; Debian's Chromium
 * (through playwright-core, fresh profile, no network beyond loopback) loads `/`, is given the
 * token, and must show the trading state and the books fresh; the simulator's feed is then
 * stalled and the page, refreshing by itself, must show the books stale; halt (its confirmation
 * accepted) must halt the bot, as `/api/status` then says. A screenshot is kept in
 * `test-artifacts/dashboard.png`.
 *
 * No browser is a failure with the way to install one, never a skip. Bounded: every wait has a
 * deadline, a hard timer ends the session, and afterAll closes the browser and stops the session
 * (`StartSession`), whatever happened.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, StartSession } from "../start/start-support.ts";

const HARD_DEADLINE_MS = 300_000;
const TOKEN = `dashboard-${process.pid}-token`;
/** Debian's package (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
const BROWSER = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = join(REPO_ROOT, "test-artifacts", "dashboard.png");
const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

let session: StartSession | undefined;
let profileDir: string | undefined;
let context: BrowserContext | undefined;
const pageErrors: string[] = [];

/** The running session (beforeAll starts it unless there is no browser). */
function live(): StartSession {
  if (!session) throw new Error("the npm start session did not start");
  return session;
}

interface Status {
  trading: { state: string };
  feed: { socket: string; books: { ticker: string; fresh: boolean; staleReason: string | null }[] };
}

async function status(): Promise<Status | undefined> {
  const r = await live().api("GET", "/api/status");
  return r.ok ? ((await r.json()) as Status) : undefined;
}

/** Why the test cannot run here, said by the test itself (a failure, never a skip). */
const NO_BROWSER = existsSync(BROWSER)
  ? null
  : `no Chromium at ${BROWSER}: the dashboard's browser test needs Debian's chromium ` +
    "(sudo apt-get install -y chromium; .ci/run installs it) or CHROMIUM_PATH naming a Chromium binary";

beforeAll(async () => {
  if (NO_BROWSER !== null) return; // nothing is started; the test fails with the reason
  session = await StartSession.start("dashboard-browser", TOKEN, HARD_DEADLINE_MS);
  profileDir = mkdtempSync(join(tmpdir(), "dashboard-profile-"));
}, 30_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await session?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
}, 30_000);

async function openDashboard(): Promise<Page> {
  context = await chromium.launchPersistentContext(profileDir ?? "", {
    executablePath: BROWSER,
    headless: true,
    args: BROWSER_ARGS,
    viewport: { width: 1280, height: 1400 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  await page.goto(`${live().base}/`, { timeout: 30_000 });
  return page;
}

describe("the dashboard in a browser", () => {
  it(
    "shows the state and each book's freshness, a stalled feed's books as stale, and halts the bot",
    async () => {
      if (NO_BROWSER !== null) throw new Error(NO_BROWSER);
      const s = live();
      await s.until("/health", 150_000, async () => {
        const r = await fetch(`${s.base}/health`, { signal: AbortSignal.timeout(3000) });
        return r.ok ? true : undefined;
      });
      // Watch every simulated market, then restart so the universe is loaded with it.
      const patch = await s.api("PATCH", "/api/config", {
        feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 } },
      });
      expect(patch.status).toBe(200);
      await s.api("POST", "/api/stop");
      expect((await s.api("POST", "/api/start")).status).toBe(200);
      const fresh = await s.until("a fresh book", 60_000, async () => {
        const st = await status();
        return st?.feed.books.some((b) => b.fresh) ? st : undefined;
      });

      const page = await openDashboard();
      await page.locator("#token").fill(TOKEN, { timeout: 10_000 });
      await page.locator("#login-form button[type=submit]").click();
      await page.locator("#trading-state").waitFor({ timeout: 20_000 });
      expect(await page.locator("#trading-state").textContent()).toBe(fresh.trading.state);
      await page.locator('[data-book][data-state="fresh"]').first().waitFor({ timeout: 20_000 });

      // The token lives in this tab's sessionStorage only, never in the page or localStorage.
      const stored = await page.evaluate(() => ({
        session: Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)),
        local: localStorage.length,
      }));
      expect(stored).toEqual({ session: [TOKEN], local: 0 });
      expect(await page.content()).not.toContain(TOKEN);

      // The exchange goes quiet: the books age past their limit and the page must say so.
      const stall = await fetch(`http://127.0.0.1:${s.simPort}/_sim/faults/stall`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stalled: true }),
      });
      expect(stall.ok).toBe(true);
      const stale = await s.until("the API to report a stale book", 60_000, async () => {
        const st = await status();
        return st && st.feed.books.length > 0 && st.feed.books.every((b) => !b.fresh) ? st : undefined;
      });
      const ticker = stale.feed.books[0]?.ticker ?? "";
      const row = page.locator(`[data-book="${ticker}"]`);
      await page.locator(`[data-book="${ticker}"][data-state="stale"]`).waitFor({ timeout: 20_000 });
      expect(await row.textContent()).toContain("stale");
      expect(await page.locator('[data-state="fresh"]').count()).toBe(0);

      mkdirSync(join(REPO_ROOT, "test-artifacts"), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Halt, accepting the confirmation; the bot is halted, and the page shows it.
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.type());
        void d.accept();
      });
      await page.locator("#halt-reason").fill("browser test halt");
      await page.locator("#halt").click();
      await page.locator('#trading-state[data-trading-state="halted"]').waitFor({ timeout: 20_000 });
      expect(dialogs).toEqual(["confirm"]);
      const after = await s.until("/api/status to say halted", 10_000, async () => {
        const st = await status();
        return st?.trading.state === "halted" ? st : undefined;
      });
      expect(after.trading.state).toBe("halted");
      expect(await page.locator("#trading-reasons").textContent()).toContain("browser test halt");
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(pageErrors).toEqual([]);
    },
    HARD_DEADLINE_MS,
  );
});
