/**
 * Runs the probe's checks in order, one at a time, and turns each into a printed row; a check
 * that throws or hangs becomes "could not check" with the reason, never a crash. After the last
 * check (whatever happened) the cleanup runs and its row closes the table: the probe must leave no
 * order, group or position behind. The order of `CHECKS` matters only for cost: checks that place
 * nothing come first, the one that prices an order to cross comes after the others that trade.
 */
import { accountLimits, signatureAge, userDataTimestamp } from "./checks-account.ts";
import { orderGroupLifecycle, orderGroupShards } from "./checks-groups.ts";
import {
  duplicateClientOrderId,
  iocWithExpiration,
  postOnlyCross,
  reduceOnlyFok,
  reduceOnlyGtc,
  reduceOnlyIoc,
  v2CreateResponse,
} from "./checks-orders.ts";
import { quietProofSeq, subscriptionCommandRate } from "./checks-ws.ts";
import type { CleanupReport } from "./cleanup.ts";
import type { ProbeSession } from "./context.ts";
import type { Check, CheckResult, CheckRow } from "./types.ts";

export const CHECKS: readonly Check[] = [
  accountLimits,
  userDataTimestamp,
  signatureAge,
  v2CreateResponse,
  duplicateClientOrderId,
  reduceOnlyIoc,
  reduceOnlyFok,
  reduceOnlyGtc,
  iocWithExpiration,
  postOnlyCross,
  orderGroupLifecycle,
  orderGroupShards,
  quietProofSeq,
  subscriptionCommandRate,
];

export const CLEANUP_ID = "cleanup";

/** A check gets this long before it counts as hung (the rate probe is the slowest, about 40 s). */
export const CHECK_TIMEOUT_MS = 180_000;

/** The ids `--only` may name, or the names that are not check ids. */
export function unknownIds(only: readonly string[]): string[] {
  const ids = new Set(CHECKS.map((c) => c.id));
  return only.filter((id) => !ids.has(id));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function runOne(session: ProbeSession, check: Check, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          verdict: "could_not_check",
          expected: "",
          observed: `no result within ${timeoutMs / 1000} s`,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([check.run(session.ctx), hung]);
  } catch (err) {
    return { verdict: "could_not_check", expected: "", observed: `the probe failed: ${errorText(err)}` };
  } finally {
    clearTimeout(timer);
    session.closeSockets();
  }
}

/** The cleanup's row: pass when nothing is left and nothing had to be flattened. */
export function cleanupRow(report: CleanupReport): CheckRow {
  const parts = [
    `${report.cancelled.length} order(s) cancelled at the end, ${report.groupsDeleted.length} group(s) deleted`,
    ...(report.flattened.length ? [`FLATTENED ${report.flattened.join(", ")}`] : []),
    ...(report.left.length ? [`LEFT: ${report.left.join("; ")}`] : []),
    ...(report.errors.length ? [`errors: ${report.errors.join("; ")}`] : []),
  ];
  const verdict =
    report.left.length > 0 || report.flattened.length > 0
      ? "fail"
      : report.errors.length > 0
        ? "could_not_check"
        : "pass";
  return {
    id: CLEANUP_ID,
    assumption: "The probe leaves no order, order group or position behind",
    expected: "no resting order with a probe client order id, no probe group, every position as found",
    observed: parts.join("; "),
    verdict,
  };
}

export interface RunOptions {
  /** the checks to run, in order (default `CHECKS`) */
  checks?: readonly Check[];
  only?: readonly string[] | null;
  timeoutMs?: number;
  /** called as each row is ready */
  onRow?: (row: CheckRow) => void;
}

export async function runProbe(session: ProbeSession, opts: RunOptions = {}): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const push = (row: CheckRow) => {
    rows.push(row);
    opts.onRow?.(row);
  };
  const all = opts.checks ?? CHECKS;
  const selected = opts.only ? all.filter((c) => opts.only?.includes(c.id)) : all;
  try {
    for (const check of selected) {
      session.ctx.log(`checking ${check.id}`);
      const r = await runOne(session, check, opts.timeoutMs ?? CHECK_TIMEOUT_MS);
      push({ id: check.id, assumption: check.assumption, ...r });
    }
  } finally {
    session.closeSockets();
    session.ctx.log("cleaning up");
    push(cleanupRow(await session.ctx.cleanup.run(session.ctx.rest, session.ctx.sleep)));
  }
  return rows;
}
