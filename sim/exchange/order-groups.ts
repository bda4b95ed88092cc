/**
 * Order groups as Kalshi documents them (https://docs.kalshi.com/getting_started/order_groups):
 * a group has a contracts limit over a rolling 15-second window; as the group's orders execute,
 * their filled contracts accumulate in the window, and when the rolling total exceeds the limit
 * the group is triggered: its resting orders are cancelled and new orders are refused until a
 * reset. A manual trigger, or a new limit below the current rolling volume, triggers it too; a
 * reset clears the trigger and the rolling volume; a delete cancels its resting orders and
 * removes it. A group lives on one shard (`exchange_index`) and one subaccount.
 *
 * This module owns the groups' state and the rolling-window arithmetic; it is pure (time passed
 * in) and never touches books or orders. The exchange (`exchange.ts`) asks it whether an order
 * may join a group, tells it each fill, and cancels the resting orders of a group it reports
 * triggered.
 */

import type { CountUnits } from "../../shared/kalshi/units.ts";
import type { Rejection, Result } from "./types.ts";
import { notFound, reject } from "./validation.ts";

/** The window over which filled contracts count against the limit. */
export const ORDER_GROUP_WINDOW_MS = 15_000;
/** Limits are whole contracts from 1 to 1 000 000 (count units: 1/100 contract). */
export const MIN_CONTRACTS_LIMIT: CountUnits = 100;
export const MAX_CONTRACTS_LIMIT: CountUnits = 1_000_000 * 100;
/** Groups per user (Kalshi's changelog, 2026-08-13). */
export const MAX_ORDER_GROUPS_PER_USER = 100_000;

export type OrderGroupEventType = "created" | "triggered" | "reset" | "deleted" | "limit_updated";

/** One group as the exchange reports it. */
export interface SimOrderGroup {
  id: string;
  userId: string;
  subaccount: number;
  exchangeIndex: number;
  contractsLimit: CountUnits;
  /** true once the limit was exceeded or a trigger came, until a reset */
  triggered: boolean;
  /** contracts filled by the group's orders in the last 15 s */
  rollingVolume: CountUnits;
  /** every order placed in the group, oldest first */
  orderIds: string[];
  createdMs: number;
}

interface GroupState {
  id: string;
  userId: string;
  subaccount: number;
  exchangeIndex: number;
  contractsLimit: CountUnits;
  triggered: boolean;
  orderIds: string[];
  createdMs: number;
  /** fills inside the window, oldest first */
  fills: { tsMs: number; count: CountUnits }[];
}

/** A limit Kalshi accepts: whole contracts, 1 to 1 000 000. */
export function checkContractsLimit(limit: CountUnits): Rejection | undefined {
  if (!Number.isInteger(limit) || limit % 100 !== 0) {
    return reject(400, "invalid_parameters", "contracts limit must be whole contracts");
  }
  if (limit < MIN_CONTRACTS_LIMIT || limit > MAX_CONTRACTS_LIMIT) {
    return reject(400, "invalid_parameters", "contracts limit must be between 1 and 1000000");
  }
  return undefined;
}

export class OrderGroups {
  private readonly groups = new Map<string, GroupState>();
  private readonly perUser = new Map<string, number>();

  /** A new group; `id` comes from the exchange's id sequence. */
  create(
    userId: string,
    id: string,
    input: { contractsLimit: CountUnits; subaccount: number; exchangeIndex: number },
    nowMs: number,
  ): Result<SimOrderGroup> {
    const bad = checkContractsLimit(input.contractsLimit);
    if (bad) return bad;
    const n = this.perUser.get(userId) ?? 0;
    if (n >= MAX_ORDER_GROUPS_PER_USER) {
      return reject(400, "invalid_parameters", `at most ${MAX_ORDER_GROUPS_PER_USER} order groups per user`);
    }
    const g: GroupState = {
      id,
      userId,
      subaccount: input.subaccount,
      exchangeIndex: input.exchangeIndex,
      contractsLimit: input.contractsLimit,
      triggered: false,
      orderIds: [],
      createdMs: nowMs,
      fills: [],
    };
    this.groups.set(id, g);
    this.perUser.set(userId, n + 1);
    return { ok: true, value: this.view(g, nowMs) };
  }

  /** The user's group, or a 404 (another user's group is not found either). */
  private own(userId: string, id: string): GroupState | Rejection {
    const g = this.groups.get(id);
    return g && g.userId === userId ? g : notFound("order group");
  }

  get(userId: string, id: string, nowMs: number): SimOrderGroup | undefined {
    const g = this.groups.get(id);
    return g && g.userId === userId ? this.view(g, nowMs) : undefined;
  }

  /** The user's groups, oldest first; one subaccount's when `subaccount` is given. */
  list(userId: string, subaccount: number | undefined, nowMs: number): SimOrderGroup[] {
    const out: SimOrderGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.userId === userId && (subaccount === undefined || g.subaccount === subaccount))
        out.push(this.view(g, nowMs));
    }
    return out;
  }

  /** Every group of every user (inspection). */
  all(nowMs: number): SimOrderGroup[] {
    return [...this.groups.values()].map((g) => this.view(g, nowMs));
  }

  /**
   * Whether an order of `userId` on shard `exchangeIndex` and `subaccount` may join group `id`:
   * the group must be the user's, on the order's shard and subaccount (groups cannot span
   * shards), and not triggered.
   */
  admit(userId: string, id: string, exchangeIndex: number, subaccount: number): Rejection | undefined {
    const g = this.own(userId, id);
    if ("ok" in g) return g;
    if (g.exchangeIndex !== exchangeIndex) {
      return reject(
        400,
        "invalid_order",
        "invalid order",
        `order group ${id} is on exchange_index ${g.exchangeIndex}, the market on ${exchangeIndex}`,
      );
    }
    if (g.subaccount !== subaccount) {
      return reject(
        400,
        "invalid_order",
        "invalid order",
        `order group ${id} belongs to subaccount ${g.subaccount}`,
      );
    }
    if (g.triggered) {
      return reject(400, "invalid_order", "invalid order", `order group ${id} is triggered; reset it first`);
    }
    return undefined;
  }

  /** Records that `orderId` was placed in group `id` (after `admit`). */
  join(id: string, orderId: string): void {
    this.groups.get(id)?.orderIds.push(orderId);
  }

  isTriggered(id: string): boolean {
    return this.groups.get(id)?.triggered === true;
  }

  /**
   * A fill of `count` contracts by one of group `id`'s orders at `nowMs`. Returns true when it
   * makes the rolling total exceed the limit, which triggers the group (the caller then cancels
   * its resting orders); false otherwise, and always false for a group already triggered.
   */
  recordFill(id: string, count: CountUnits, nowMs: number): boolean {
    const g = this.groups.get(id);
    if (!g) return false; // deleted: its orders no longer count
    g.fills.push({ tsMs: nowMs, count });
    if (g.triggered || this.rolling(g, nowMs) <= g.contractsLimit) return false;
    g.triggered = true;
    return true;
  }

  /** Manual trigger. Returns the group's order ids, for the caller to cancel what rests. */
  trigger(userId: string, id: string): Result<string[]> {
    const g = this.own(userId, id);
    if ("ok" in g) return g;
    g.triggered = true;
    return { ok: true, value: [...g.orderIds] };
  }

  /** Clears the trigger and the rolling volume. */
  reset(userId: string, id: string): Result<true> {
    const g = this.own(userId, id);
    if ("ok" in g) return g;
    g.triggered = false;
    g.fills = [];
    return { ok: true, value: true };
  }

  /**
   * A new limit. `triggered` is true when the new limit is below the rolling volume and the
   * group was active: it is triggered now (the caller cancels its resting orders).
   */
  setLimit(
    userId: string,
    id: string,
    limit: CountUnits,
    nowMs: number,
  ): Result<{ triggered: boolean; orderIds: string[] }> {
    const g = this.own(userId, id);
    if ("ok" in g) return g;
    const bad = checkContractsLimit(limit);
    if (bad) return bad;
    g.contractsLimit = limit;
    const triggered = !g.triggered && this.rolling(g, nowMs) > limit;
    if (triggered) g.triggered = true;
    return { ok: true, value: { triggered, orderIds: [...g.orderIds] } };
  }

  /** Removes the group. Returns its order ids, for the caller to cancel what rests. */
  delete(userId: string, id: string): Result<string[]> {
    const g = this.own(userId, id);
    if ("ok" in g) return g;
    this.groups.delete(id);
    this.perUser.set(userId, (this.perUser.get(userId) ?? 1) - 1);
    return { ok: true, value: [...g.orderIds] };
  }

  /** Filled contracts in (now - 15 s, now]; drops older fills. */
  private rolling(g: GroupState, nowMs: number): CountUnits {
    const from = nowMs - ORDER_GROUP_WINDOW_MS;
    while (g.fills.length > 0 && (g.fills[0] as { tsMs: number }).tsMs <= from) g.fills.shift();
    return g.fills.reduce((s, f) => s + f.count, 0);
  }

  private view(g: GroupState, nowMs: number): SimOrderGroup {
    return {
      id: g.id,
      userId: g.userId,
      subaccount: g.subaccount,
      exchangeIndex: g.exchangeIndex,
      contractsLimit: g.contractsLimit,
      triggered: g.triggered,
      rollingVolume: this.rolling(g, nowMs),
      orderIds: [...g.orderIds],
      createdMs: g.createdMs,
    };
  }
}
