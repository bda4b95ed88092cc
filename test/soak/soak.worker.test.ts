/**
 * The fault campaign (test/soak/campaign.ts) as a test: a short run in `npm test`; `npm run soak`
 * runs a long one through the same file (scripts/soak.mjs sets SOAK_SEED and SOAK_MINUTES, which
 * vitest.config.ts provides; a long run also holds to the issue's fault floors). Prints the campaign's table; fails, naming the seed, when any
 * invariant was broken or when the run did not inject every kind of fault it promises.
 */
import { describe, expect, inject, it } from "vitest";
import { FAILED_WRITES, FAULT_KINDS, runSoak, type SoakFloors } from "./campaign.ts";

const seed = inject("soakSeed");
const minutes = inject("soakMinutes");
const long = minutes > 0;
/** The long run keeps going until it has injected at least these. */
const LONG_FLOORS: SoakFloors = { wsDrops: 100, seqGaps: 100, restarts: 20, failedWrites: 200 };

describe("soak", () => {
  it(
    `the bot keeps every invariant under random faults (seed ${seed}${long ? `, ${minutes} min` : ", short"})`,
    async () => {
      const r = await runSoak({
        seed,
        maxSteps: long ? 600 : 240,
        wallMs: long ? minutes * 60_000 : 10 * 60_000,
        ...(long ? { floors: LONG_FLOORS } : {}),
        history: { url: inject("historyUrl"), serviceKey: inject("historyServiceKey") },
        progress: (line) => console.log(line),
      });
      console.log(r.table);
      const broken = Object.entries(r.violations).filter(([, v]) => v.length > 0);
      expect(broken, `soak seed ${seed}: invariants broken (replay: npm run soak -- --seed ${seed})`).toEqual(
        [],
      );
      // The run did what it claims: it traded, and every kind of fault reached the bot.
      expect(r.activity.entries_decided, "no entry was decided: the campaign tested nothing").toBeGreaterThan(
        0,
      );
      expect(r.activity.round_trips, "no position was closed").toBeGreaterThan(0);
      expect(
        FAULT_KINDS.filter((k) => r.faults[k] === 0),
        "fault kinds never injected",
      ).toEqual([]);
      if (long) {
        expect(r.faults.ws_drop).toBeGreaterThanOrEqual(LONG_FLOORS.wsDrops);
        expect(r.faults.seq_gap).toBeGreaterThanOrEqual(LONG_FLOORS.seqGaps);
        expect(r.faults.restart + r.faults.restart_in_flight).toBeGreaterThanOrEqual(LONG_FLOORS.restarts);
        expect(r.observed[FAILED_WRITES]).toBeGreaterThanOrEqual(LONG_FLOORS.failedWrites);
      }
    },
    long ? minutes * 60_000 + 10 * 60_000 : 15 * 60_000,
  );
});
