/**
 * Defaults that must agree with each other. The order group is a fuse against a runaway order
 * loop: with the default settings it must never trip on trading the bot's own limits allow, or a
 * fresh `npm start` halts within a minute (it did: one 1 000-contract entry and its stop filled
 * 2 000 contracts inside the 15 s window of a 1 000-contract cap).
 */
import { describe, expect, it } from "vitest";
import { PRICE_SCALE } from "../shared/kalshi/units.ts";
import { DEFAULT_ACCOUNT_CONFIG } from "../workers/account/account-config.ts";

/** The simulator's (and a small live account's) starting balance, in micro-dollars. */
const EQUITY = 10_000_000_000;

describe("default settings", () => {
  it("leave the order-group fuse above three round trips of the largest position the risk limits allow", () => {
    const c = DEFAULT_ACCOUNT_CONFIG;
    // The largest position: the per-position share of equity at the cheapest price entered.
    const maxMoney = (EQUITY * c.risk.exposure.maxPositionPct) / 100;
    const cheapest = c.strategy.entry.favouriteFloor; // price units
    const maxContracts = Math.ceil(maxMoney / cheapest); // money micros / price units = 1/100 contracts
    const roundTrip = 2 * maxContracts; // bought, then sold: both count in the group's window
    expect(cheapest).toBeLessThan(PRICE_SCALE);
    expect(c.executor.orderGroup.contractsLimit).toBeGreaterThanOrEqual(3 * roundTrip);
  });
});
