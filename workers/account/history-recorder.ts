/**
 * The order path's history hook. Until history rows are wired, records nothing.
 */
import type { HistoryRecorder } from "../executor/order-path.ts";

export const nullHistory: HistoryRecorder = {
  order() {},
  fill() {},
  roundTrip() {},
  reconDiff() {},
};
