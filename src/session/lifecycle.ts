/**
 * Connection lifecycle: the heartbeat check, the idle timeout, why a connection ended, and the lifecycle events.
 *
 * Heartbeat check (reference §3, EMQX's algorithm): time is cut into ticks of the heartbeat interval I from the
 * moment the interval was set; at each tick the connection is fine if any text frame arrived during the last
 * tick; after N = max(1, heartbeat_checking_times_backoff) silent ticks in a row it is closed (1000,
 * `keepalive_timeout`), i.e. between N·I and (N+1)·I after the last frame. Computed in closed form, so the
 * object's alarm fires once per silence instead of once per tick, and hibernation is never interrupted for it.
 *
 * Ours: a charge point waiting for the answer to its own call may send no other call (OCPP-J 1.6 §4.1.1, 2.x Part 4
 * §4.1.1), so it cannot heartbeat while the gateway holds that call (in its outbox while the broker is away) or the
 * CSMS is slow: the wait is not silence, for at most MAX_AWAITED_ANSWER_MS after the call arrived, and silence then
 * counts from the moment the answer reached it. Frames count from when they arrived, also those still waiting
 * their turn behind other work when the check runs (frameArrived).
 */
import type { CertificateIdentity } from "../auth/client-certificate";

export const DisconnectReason = {
  Normal: "normal",
  SockClosed: "sock_closed",
  Replaced: "replaced",
  Kicked: "kicked",
  KeepaliveTimeout: "keepalive_timeout",
  IdleTimeout: "idle_timeout",
  ProtocolError: "protocol_error",
  UnexpectedFrame: "unexpected_ws_frame",
  FrameTooLarge: "frame_too_large",
  RateLimited: "rate_limited",
  /** A changed shard layout places the charge point in another shard (ours). */
  Moved: "moved",
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** Why a connection the charge point closed ended, from its close code (RFC 6455 §7.4.1). */
export function reasonForRemoteClose(code: number): DisconnectReason | `close_${number}` {
  if (code === 1000 || code === 1001 || code === 1005) return DisconnectReason.Normal;
  if (code === 1006) return DisconnectReason.SockClosed;
  return `close_${code}`;
}

export interface KeepaliveState {
  readonly connectedAt: number;
  /** Frames received so far on this connection. */
  readonly recv: number;
  /** When the last text frame arrived (connectedAt before the first), handled or not. */
  readonly lastSeen: number;
  /** When the charge point's latest call arrived, while it waits for the answer (0: it waits for nothing). */
  readonly awaitingSince: number;
  /** When the answer to its latest call reached it (0: none yet). */
  readonly answeredAt: number;
  /** Current heartbeat interval in seconds; 0 turns the check off. */
  readonly heartbeatInterval: number;
  /** Start of the tick grid: when the interval was set. */
  readonly heartbeatSince: number;
}

export interface KeepalivePolicy {
  readonly idleTimeoutMs: number;
  readonly backoff: number;
}

export type KeepaliveVerdict =
  | { readonly close: typeof DisconnectReason.IdleTimeout | typeof DisconnectReason.KeepaliveTimeout }
  | { readonly close?: undefined; readonly nextCheck?: number };

/** First tick of the grid (start + k·I, k ≥ 1) at or after `t`. */
function tickAtOrAfter(start: number, intervalMs: number, t: number): number {
  const k = Math.max(1, Math.ceil((t - start) / intervalMs));
  return start + k * intervalMs;
}

/**
 * How long waiting for the answer to its own call keeps a charge point from counting as silent (10 minutes): well
 * beyond what a charger waits before it gives up on a call and sends again (ocpp-rpc's default: 60 s), so broker
 * outages shorter than this close no waiting charger; short enough that one that died with a call nobody answers
 * is still closed, at most this plus (N+1)·I after that call.
 */
export const MAX_AWAITED_ANSWER_MS = 10 * 60_000;

/**
 * A frame arrived at `at`; called when the runtime hands it over, before it waits its turn behind earlier work, so
 * that a check running meanwhile judges by arrival (the frame is handled, and counted in `recv`, in its turn).
 */
export function frameArrived(state: { lastSeen: number }, at: number): void {
  state.lastSeen = Math.max(state.lastSeen, at);
}

export function checkKeepalive(state: KeepaliveState, policy: KeepalivePolicy, now: number): KeepaliveVerdict {
  const deadlines: number[] = [];
  if (state.recv === 0 && state.lastSeen <= state.connectedAt && policy.idleTimeoutMs > 0) {
    const idleAt = state.connectedAt + policy.idleTimeoutMs;
    if (now >= idleAt) return { close: DisconnectReason.IdleTimeout };
    deadlines.push(idleAt);
  }
  if (state.heartbeatInterval > 0) {
    const intervalMs = state.heartbeatInterval * 1000;
    const silentTicks = Math.max(1, policy.backoff);
    const waitingUntil = state.awaitingSince > 0 ? state.awaitingSince + MAX_AWAITED_ANSWER_MS : 0;
    const heard = Math.max(state.lastSeen, state.answeredAt, waitingUntil, state.heartbeatSince);
    // Closed at the first tick T with nothing heard in the last N ticks: heard <= T - N·I.
    const closeTick = tickAtOrAfter(state.heartbeatSince, intervalMs, heard + silentTicks * intervalMs);
    if (now >= closeTick) return { close: DisconnectReason.KeepaliveTimeout };
    deadlines.push(closeTick);
  }
  return deadlines.length === 0 ? {} : { nextCheck: Math.min(...deadlines) };
}

/**
 * Longest heartbeat interval the check uses, in seconds (7 days). The schema allows any integer (up to 2^53 − 1),
 * but a deadline that far away cannot be an alarm (`setAlarm` refuses dates after 2189): a longer interval is
 * checked at this one.
 */
export const MAX_HEARTBEAT_INTERVAL_S = 7 * 24 * 3600;

/**
 * The heartbeat interval a BootNotification answer sets: only `Accepted` with a positive integer interval, at
 * most MAX_HEARTBEAT_INTERVAL_S.
 */
export function heartbeatFromBootReply(payload: Readonly<Record<string, unknown>>): number | undefined {
  const interval = payload.interval;
  if (payload.status !== "Accepted" || typeof interval !== "number") return undefined;
  return Number.isInteger(interval) && interval > 0 ? Math.min(interval, MAX_HEARTBEAT_INTERVAL_S) : undefined;
}

export interface ClientInfo {
  readonly clientid: string;
  readonly username?: string;
  readonly protoVer: string;
  readonly ipaddress?: string;
  readonly connectedAt: number;
  readonly keepalive: number;
}

function clientFields(info: ClientInfo) {
  return {
    clientid: info.clientid,
    username: info.username ?? null,
    proto_name: "OCPP",
    proto_ver: info.protoVer,
    ipaddress: info.ipaddress ?? null,
  };
}

/**
 * `client.connected` (EMQX's event fields), published retained on the events topic; `client_certificate` (ours) is
 * the certificate the charge point authenticated with, or null.
 */
export function connectedEvent(info: ClientInfo, certificate?: CertificateIdentity): string {
  return JSON.stringify({
    event: "client.connected",
    ...clientFields(info),
    keepalive: info.keepalive,
    connected_at: info.connectedAt,
    client_certificate: certificate ?? null,
  });
}

/** `client.disconnected`, for EVERY close, server-initiated ones included. */
export function disconnectedEvent(info: ClientInfo, reason: string, at: number): string {
  return JSON.stringify({
    event: "client.disconnected",
    ...clientFields(info),
    reason,
    connected_at: info.connectedAt,
    disconnected_at: at,
  });
}
