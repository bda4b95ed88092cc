/**
 * The liveness decision, pure: given the socket state, the time of the last frame, any
 * probe in flight and the breaker, say what the feed object should do now. Called from the
 * alarm heartbeat (and after socket events); the object carries the actions out.
 *
 * Kalshi sends a WebSocket ping every 10 s, but workerd answers pings itself and never
 * surfaces them, so a quiet market and a dead socket look alike from the frames alone. A
 * silent socket is therefore probed with a cheap command; an unanswered probe or a long
 * silence means reconnect.
 */

export type SocketState = "idle" | "connecting" | "open" | "closed";

export interface LivenessState {
  socket: SocketState;
  /** when the current socket opened (null when not open) */
  openedAtMs: number | null;
  /** last text frame on the current socket, any channel */
  lastFrameMs: number | null;
  /** when the feed stopped being usable (socket lost or first failed connect); null while open */
  downSinceMs: number | null;
  /** a probe command in flight since */
  probeSentMs: number | null;
  /** earliest time of the next reconnect attempt (backoff); null = now */
  nextReconnectAtMs: number | null;
  breakerTripped: boolean;
  /** every wanted book has a snapshot taken on the current socket and none is stale */
  booksFresh: boolean;
  /** start() was called and stop() was not */
  running: boolean;
}

export interface LivenessLimits {
  probeAfterMs: number;
  silentReconnectMs: number;
  commandTimeoutMs: number;
  breakerMs: number;
}

export type LivenessAction =
  | { kind: "reconnect"; reason: string }
  | { kind: "probe" }
  | { kind: "trip-breaker"; reason: string }
  | { kind: "clear-breaker" };

export function checkLiveness(s: LivenessState, nowMs: number, limits: LivenessLimits): LivenessAction[] {
  const actions: LivenessAction[] = [];
  if (!s.running) return actions;
  if (s.socket === "open") {
    const since = s.lastFrameMs ?? s.openedAtMs ?? nowMs;
    const silentFor = nowMs - since;
    if (s.probeSentMs !== null && nowMs - s.probeSentMs >= limits.commandTimeoutMs) {
      actions.push({ kind: "reconnect", reason: "probe unanswered" });
    } else if (silentFor >= limits.silentReconnectMs) {
      actions.push({ kind: "reconnect", reason: `silent for ${silentFor} ms` });
    } else if (silentFor >= limits.probeAfterMs && s.probeSentMs === null) {
      actions.push({ kind: "probe" });
    }
    if (!s.breakerTripped && silentFor >= limits.breakerMs) {
      actions.push({ kind: "trip-breaker", reason: `feed silent for ${silentFor} ms` });
    } else if (s.breakerTripped && s.booksFresh && silentFor < limits.breakerMs) {
      actions.push({ kind: "clear-breaker" });
    }
    return actions;
  }
  if (s.socket !== "connecting" && (s.nextReconnectAtMs === null || nowMs >= s.nextReconnectAtMs)) {
    actions.push({ kind: "reconnect", reason: s.socket === "idle" ? "not connected" : "socket closed" });
  }
  const downFor = nowMs - (s.downSinceMs ?? nowMs);
  if (!s.breakerTripped && downFor >= limits.breakerMs) {
    actions.push({ kind: "trip-breaker", reason: `feed down for ${downFor} ms` });
  }
  return actions;
}
