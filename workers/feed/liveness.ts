/**
 * The liveness decision, pure: given the socket state, the time of the last frame, any
 * probe in flight and the breaker, say what market data should do now. Called from the
 * alarm heartbeat (and after socket events); the object carries the actions out.
 *
 * Kalshi sends a WebSocket ping every 10 s, but workerd answers pings itself and never
 * surfaces them, so a quiet market and a dead socket look alike from the frames alone. A
 * silent socket is therefore probed with a cheap command; an unanswered probe or a long
 * silence means reconnect.
 *
 * Per channel: a subscription silent past its own limit (feed-config `channelSilenceMs`) is
 * probed the same way; once a probe sent after the limit was crossed has been answered, the
 * socket is alive and that channel alone is dead, so it is resubscribed. The server answers
 * commands in order, after every frame it sent before, so an answered probe proves the
 * channel had nothing in flight.
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
  /** Live subscriptions that have a silence limit. */
  channels?: ChannelSilence[];
  /** When the last answered probe was sent (null: none on this socket). */
  probeAnsweredSentMs?: number | null;
}

export interface ChannelSilence {
  channel: string;
  /** Last frame on the channel's sid, or its subscription time when none since. */
  sinceMs: number;
  limitMs: number;
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
  | { kind: "resubscribe"; channel: string; reason: string }
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
    if (!actions.some((a) => a.kind === "reconnect")) channelActions(s, nowMs, actions);
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

/** Probe once for any channel past its limit; resubscribe those a later answered probe proved dead. */
function channelActions(s: LivenessState, nowMs: number, actions: LivenessAction[]): void {
  let probing = s.probeSentMs !== null || actions.some((a) => a.kind === "probe");
  for (const ch of s.channels ?? []) {
    const silentFor = nowMs - ch.sinceMs;
    if (silentFor < ch.limitMs) continue;
    const answered = s.probeAnsweredSentMs ?? null;
    if (answered !== null && answered >= ch.sinceMs + ch.limitMs) {
      actions.push({
        kind: "resubscribe",
        channel: ch.channel,
        reason: `${ch.channel} silent for ${silentFor} ms`,
      });
    } else if (!probing) {
      actions.push({ kind: "probe" });
      probing = true;
    }
  }
}
