/**
 * The dashboard, server-rendered with Hono JSX (every value is escaped by JSX; nothing is built
 * by string concatenation). Two pieces:
 *
 * - `DashboardPage` (`GET /`, public): the shell. It holds no data and no secret: it asks for the
 *   admin token, keeps it in `sessionStorage` only (gone when the tab closes; never
 *   `localStorage`, never in the page), and its small inline script (nonce-allowed by the page's
 *   Content-Security-Policy) polls the panels and sends halt / resume / flatten after a
 *   confirmation.
 * - `DashboardPanels` (`GET /api/dashboard`, behind the token): the panels as an HTML fragment,
 *   rendered from the account's status and history (`dashboard-data.ts`), which the script puts
 *   in place on every refresh.
 *
 * Rendering on the server keeps the page typed against the status it shows: each book's
 * freshness is read from the `fresh` and `staleReason` fields the API sends, so a stale book
 * renders as stale (the previous page read a field the status did not have and showed every book
 * as fresh).
 */
import type { Child, FC } from "hono/jsx";
import type { BookStatus } from "../feed/feed-status.ts";
import { type Chart, chartOf, type DashboardData, type DashboardEvent } from "./dashboard-data.ts";
import { DASHBOARD_SCRIPT } from "./dashboard-script.ts";
import { dollars, type PositionOut } from "./present.ts";

const STYLE = `
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.3rem;margin:0 0 .5rem}h2{font-size:1rem;margin:1.2rem 0 .4rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{font-weight:600;color:#555}.num{text-align:right;font-variant-numeric:tabular-nums}
.good{color:#0a7a2f}.bad{color:#b3261e}.warn{color:#9a6700}.muted{color:#777}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600}
.badge.active{background:#dcf5e3;color:#0a7a2f}.badge.reducing{background:#fff1c2;color:#9a6700}.badge.halted{background:#fde2e0;color:#b3261e}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:.5rem}
.metric b{display:block;font-size:1.2rem}
button{font:inherit;padding:4px 12px;margin-right:.4rem;cursor:pointer}
button.danger{border:1px solid #b3261e;color:#b3261e;background:#fff}
input{font:inherit;padding:3px 6px}
svg{width:100%;max-width:640px;height:auto;background:#fcfcfc;border:1px solid #eee}
polyline{fill:none;stroke:#2457c5;stroke-width:1.5}
`;

/** The shell at `/`: login form, controls, an empty panels container and the script. */
export const DashboardPage: FC<{ nonce: string }> = ({ nonce }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>kalshi-bot dashboard</title>
      <style nonce={nonce} dangerouslySetInnerHTML={{ __html: STYLE }} />
    </head>
    <body>
      <h1>kalshi-bot</h1>
      <section id="login" hidden>
        <form id="login-form" autocomplete="off">
          <label>
            Admin token <input id="token" type="password" name="token" required />
          </label>{" "}
          <button type="submit">Open</button>
        </form>
        <p id="login-message" class="bad" />
        <p class="muted">
          The token stays in this browser tab (sessionStorage) and is sent only as a Bearer header to this
          Worker.
        </p>
      </section>
      <div id="app" hidden>
        <section id="controls">
          <input id="halt-reason" placeholder="reason for the halt" maxlength={300} />{" "}
          <button id="halt" type="button" class="danger">
            Halt
          </button>
          <button id="resume" type="button">
            Resume
          </button>
          <button id="flatten" type="button" class="danger">
            Flatten
          </button>
          <button id="logout" type="button">
            Forget token
          </button>
          <span id="action-result" />
          <div id="connection" class="muted">
            connecting...
          </div>
        </section>
        <div id="panels" />
      </div>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: DASHBOARD_SCRIPT }} />
    </body>
  </html>
);

// ---------------------------------------------------------------- formatting

/** A duration for people: 850 ms, 12.3 s, 4 min, 2.5 h. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  const a = Math.abs(ms);
  if (a < 1_000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (a < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A time of day in UTC: 14:03:27Z. */
export function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

/** Money with its sign first and coloured: +$1.25, -$0.40, $0.00. */
function signed(m: number | null, text: string | null): Child {
  if (m === null || text === null) return <span class="muted">-</span>;
  const shown = m > 0 ? `+$${text}` : m < 0 ? `-$${text.slice(1)}` : `$${text}`;
  return <span class={m > 0 ? "good" : m < 0 ? "bad" : ""}>{shown}</span>;
}

const Empty: FC<{ cols: number; text: string }> = ({ cols, text }) => (
  <tr>
    <td colspan={cols} class="muted">
      {text}
    </td>
  </tr>
);

// ---------------------------------------------------------------- panels

const Header: FC<{ d: DashboardData }> = ({ d }) => {
  const s = d.status;
  return (
    <section id="state">
      <div>
        Trading{" "}
        <span id="trading-state" class={`badge ${s.trading.state}`} data-trading-state={s.trading.state}>
          {s.trading.state}
        </span>{" "}
        <span class={s.ready ? "good" : "bad"}>{s.ready ? "ready to trade" : "not ready"}</span>{" "}
        <span class="muted">
          {s.account} ({s.env}) {s.running ? "running" : "stopped"}, config v{s.configVersion}
        </span>
      </div>
      {s.trading.reasons.length > 0 ? (
        <ul id="trading-reasons">
          {s.trading.reasons.map((r) => (
            <li>
              <b>{r.breaker}</b> ({r.sets}, since {clock(r.since)}): {r.message}
            </li>
          ))}
        </ul>
      ) : null}
      <h2>What blocks entries</h2>
      {s.causes.length === 0 ? (
        <p class="good">Nothing: entries may go out.</p>
      ) : (
        <ul id="causes">
          {s.causes.map((c) => (
            <li data-cause={c.code}>
              <code>{c.code}</code> {c.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
};

const Money: FC<{ d: DashboardData }> = ({ d }) => {
  const s = d.status;
  const chart = chartOf(d.equity);
  return (
    <section id="money">
      <div class="grid">
        <div class="metric">
          Equity<b>{s.equityDollars === null ? "-" : `$${s.equityDollars}`}</b>
        </div>
        <div class="metric">
          Today (equity since start of day)<b>{signed(s.dayPnl, s.dayPnlDollars)}</b>
        </div>
        <div class="metric">
          Realised {d.realized ? d.realized.day : "today"}
          <b>{d.realized ? signed(d.realized.net, d.realized.netDollars) : <span class="muted">-</span>}</b>
          {d.realized ? (
            <span class="muted">
              {d.realized.trades} trades, {d.realized.wins} won, fees ${d.realized.feesDollars}
            </span>
          ) : null}
        </div>
        <div class="metric">
          Cash<b>{s.balanceDollars === null ? "-" : `$${s.balanceDollars}`}</b>
        </div>
        <div class="metric">
          Consecutive losses<b>{s.consecutiveLosses}</b>
        </div>
      </div>
      <h2>Equity (last 24 h)</h2>
      {chart ? <EquityChart chart={chart} /> : <p class="muted">Not enough account snapshots yet.</p>}
    </section>
  );
};

const EquityChart: FC<{ chart: Chart }> = ({ chart }) => (
  <figure>
    <svg
      viewBox={`0 0 ${chart.width} ${chart.height}`}
      role="img"
      aria-label={`equity from $${dollars(chart.min)} to $${dollars(chart.max)}`}
    >
      <polyline points={chart.points} />
    </svg>
    <figcaption class="muted">
      {clock(chart.fromMs)} to {clock(chart.toMs)}: low ${dollars(chart.min)}, high ${dollars(chart.max)}
    </figcaption>
  </figure>
);

const Breakers: FC<{ d: DashboardData }> = ({ d }) => {
  const s = d.status;
  const feed = s.feed.breaker;
  return (
    <section id="breakers">
      <h2>Breakers</h2>
      <table>
        <thead>
          <tr>
            <th>breaker</th>
            <th>state</th>
            <th>since</th>
            <th>detail</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>feed</td>
            <td class={feed.tripped ? "bad" : "good"}>{feed.tripped ? "tripped" : "closed"}</td>
            <td>{feed.sinceMs === null ? "-" : clock(feed.sinceMs)}</td>
            <td>{feed.reason ?? ""}</td>
          </tr>
          {s.trading.reasons.map((r) => (
            <tr>
              <td>{r.breaker}</td>
              <td class="bad">sets {r.sets}</td>
              <td>{clock(r.since)}</td>
              <td>
                {r.message}{" "}
                <span class="muted">
                  {Object.entries(r.numbers)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};

function exitCell(p: PositionOut): Child {
  return (
    <>
      {p.exitMode}
      {p.exitReason ? ` (${p.exitReason})` : ""}
    </>
  );
}

const Positions: FC<{ d: DashboardData }> = ({ d }) => (
  <section id="positions">
    <h2>Open positions</h2>
    <table>
      <thead>
        <tr>
          <th>market</th>
          <th>side</th>
          <th class="num">contracts</th>
          <th class="num">avg entry</th>
          <th class="num">mark</th>
          <th class="num">unrealised</th>
          <th class="num">take-profit (working)</th>
          <th class="num">stop</th>
          <th>deadline</th>
          <th>exit</th>
          <th class="num">exit working</th>
        </tr>
      </thead>
      <tbody>
        {d.status.positions.length === 0 ? <Empty cols={11} text="No open position." /> : null}
        {d.status.positions.map((p) => (
          <tr data-position={p.ticker}>
            <td>{p.ticker}</td>
            <td>{p.side}</td>
            <td class="num">{p.contractsFp}</td>
            <td class="num">{p.avgEntryDollars}</td>
            <td class="num">{p.markDollars ?? "-"}</td>
            <td class="num">{signed(p.unrealized, p.unrealizedDollars)}</td>
            <td class="num">
              {p.takeProfitDollars ?? "-"} ({p.takeProfitWorkingFp})
            </td>
            <td class="num">{p.stopDollars ?? "-"}</td>
            <td>
              {p.deadlineMs === null
                ? "-"
                : `${clock(p.deadlineMs)} (in ${duration(p.deadlineMs - d.nowMs)})`}
            </td>
            <td>{exitCell(p)}</td>
            <td class="num">{p.exitWorkingFp}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);

const Orders: FC<{ d: DashboardData }> = ({ d }) => (
  <section id="orders">
    <h2>Open orders</h2>
    <table>
      <thead>
        <tr>
          <th>market</th>
          <th>purpose</th>
          <th>side</th>
          <th>action</th>
          <th class="num">price</th>
          <th class="num">count</th>
          <th class="num">filled</th>
          <th>state</th>
          <th>tif</th>
          <th class="num">age</th>
        </tr>
      </thead>
      <tbody>
        {d.workingOrders.length === 0 ? <Empty cols={10} text="No open order." /> : null}
        {d.workingOrders.map((o) => (
          <tr data-order={o.intentId}>
            <td>{o.ticker}</td>
            <td>{o.purpose}</td>
            <td>{o.side}</td>
            <td>{o.action}</td>
            <td class="num">{o.priceDollars}</td>
            <td class="num">{o.countFp}</td>
            <td class="num">{o.filledFp}</td>
            <td class={o.state === "pending" ? "warn" : ""}>
              {o.state}
              {o.state === "pending" ? ` (${o.ack})` : ""}
            </td>
            <td>{o.tif}</td>
            <td class="num">{duration(d.nowMs - o.createdMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);

/** One book's row: fresh or stale exactly as the status says (`fresh`, `staleReason`, `ageMs`). */
export const BookRow: FC<{ b: BookStatus }> = ({ b }) => (
  <tr data-book={b.ticker} data-state={b.fresh ? "fresh" : "stale"}>
    <td>{b.ticker}</td>
    <td class={b.fresh ? "good" : "bad"}>
      {b.fresh ? "fresh" : `stale: ${b.staleReason ?? "unknown reason"}`}
    </td>
    <td class="num">{duration(b.ageMs)}</td>
  </tr>
);

const Feed: FC<{ d: DashboardData }> = ({ d }) => {
  const f = d.status.feed;
  const e = d.status.exchange;
  return (
    <section id="feed">
      <h2>Feed and exchange</h2>
      <p>
        socket <b class={f.socket === "open" ? "good" : "bad"}>{f.socket}</b>, last frame{" "}
        {duration(f.lastFrameAgeMs)} ago, {f.feedLive ? "live" : "not live"}, {f.freshBooks} of{" "}
        {f.books.length} books fresh
        {f.reconnectAttempt > 0 ? `, reconnect attempt ${f.reconnectAttempt}` : ""}. Exchange{" "}
        {e.tradingActive === null ? (
          <span class="muted">not checked yet</span>
        ) : e.tradingActive ? (
          <span class="good">trading</span>
        ) : (
          <span class="bad">paused</span>
        )}
        . Reconciliation{" "}
        {d.status.reconcile.needed ? <span class="warn">pending</span> : <span class="good">up to date</span>}
        {d.status.reconcile.lastOkAgoMs === null
          ? ""
          : ` (last done ${duration(d.status.reconcile.lastOkAgoMs)} ago)`}
        {d.status.reconcile.openDifferences > 0
          ? `, ${d.status.reconcile.openDifferences} difference(s) to review`
          : ""}
        .
      </p>
      {f.lastConnectFailure ? (
        <p class="bad">
          last connect failure: {f.lastConnectFailure.kind}
          {f.lastConnectFailure.status ? ` ${f.lastConnectFailure.status}` : ""}
          {f.lastConnectFailure.code ? ` ${f.lastConnectFailure.code}` : ""}: {f.lastConnectFailure.message}
        </p>
      ) : null}
      <table id="books">
        <thead>
          <tr>
            <th>market</th>
            <th>book</th>
            <th class="num">age</th>
          </tr>
        </thead>
        <tbody>
          {f.books.length === 0 ? <Empty cols={3} text="No watched market." /> : null}
          {f.books.map((b) => (
            <BookRow b={b} />
          ))}
        </tbody>
      </table>
    </section>
  );
};

const SEVERITY_CLASS: Record<DashboardEvent["severity"], string> = {
  info: "muted",
  warning: "warn",
  critical: "bad",
};

const Events: FC<{ d: DashboardData }> = ({ d }) => (
  <section id="events">
    <h2>Recent events</h2>
    {d.openDifferences.length > 0 ? (
      <p class="warn">
        {d.openDifferences.length} reconciliation difference(s) to review (POST
        /api/reconciliation/:id/review).
      </p>
    ) : null}
    <table>
      <thead>
        <tr>
          <th>time</th>
          <th>source</th>
          <th>kind</th>
          <th>message</th>
        </tr>
      </thead>
      <tbody>
        {d.events.length === 0 ? <Empty cols={4} text="No event recorded." /> : null}
        {d.events.map((e) => (
          <tr class={SEVERITY_CLASS[e.severity]}>
            <td>{clock(e.atMs)}</td>
            <td>{e.source}</td>
            <td>{e.kind}</td>
            <td>{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
);

/** The panels fragment (`GET /api/dashboard`). */
export const DashboardPanels: FC<{ d: DashboardData }> = ({ d }) => (
  <div id="panels-content" data-now={String(d.nowMs)}>
    <Header d={d} />
    <Money d={d} />
    <Breakers d={d} />
    <Positions d={d} />
    <Orders d={d} />
    <Feed d={d} />
    <Events d={d} />
  </div>
);

/** The shell as HTML (`GET /`). */
export function renderPage(nonce: string) {
  return <DashboardPage nonce={nonce} />;
}

/** The panels as an HTML fragment (`GET /api/dashboard`). */
export function renderPanels(d: DashboardData) {
  return <DashboardPanels d={d} />;
}
