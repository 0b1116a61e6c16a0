/**
 * What every part of a charge point's session shares: the connection it belongs to (id, protocol version,
 * configuration), the ports to the outside world the ChargePoint object supplies, and the per-connection state kept
 * in the WebSocket attachment so it survives hibernation.
 */
import type { GatewayConfig } from "../config/gateway-config";
import type { OcppProtocol } from "../ocpp/protocol";
import type { Refusal } from "./downstream-calls";
import type { DisconnectReason } from "./lifecycle";
import type { MessageClass, PublishOutcome } from "./outbox";

export interface Connection {
  readonly cid: string;
  readonly protocol: OcppProtocol;
  readonly config: GatewayConfig;
}

export interface SessionPorts {
  /**
   * Sends one frame to the charge point, at once or, given `notBefore` (ms since the epoch) still ahead, then (a
   * refusal paced by the rate limit, rate-limit.ts); false when it has no open connection now.
   */
  sendToChargePoint(text: string, notBefore?: number): boolean;
  /**
   * Publishes with QoS 1: "sent" once the broker confirmed it, "queued" when it waits in the outbox for the
   * broker, "refused" when it can do neither (outbox full or off). An "ending" ends one of the CSMS's calls and may
   * use the outbox's reserve (outbox.ts).
   */
  publish(topic: string, payload: string, kind?: MessageClass): Promise<PublishOutcome>;
  /** Closes the charge point's connection from the gateway's side (and reports it). */
  closeChargePoint(code: number, reason: DisconnectReason, text: string): Promise<void>;
  /** Whether the charge point has an open connection. */
  isConnected(): boolean;
  now(): number;
}

/** Per-connection state, kept in the WebSocket attachment so it survives hibernation. */
export interface ConnectionState {
  recv: number;
  sent: number;
  /** Consecutive frames that could not be relayed; reset by a good frame. */
  badFrames: number;
  /** Consecutive frames refused over the rate limit; reset by a frame within it. */
  limited: number;
  /** All frames that could not be parsed, or that broke the RPC framework's rules, on this connection. */
  malformed: number;
  /** All messages, either direction, that failed a schema check. */
  invalid: number;
  /** The charge point's calls relayed to the CSMS and not answered yet, oldest first: [UniqueId, Action]. */
  cpCalls: [string, string][];
  /** The charge point's calls the CSMS answered with a CALLRESULT last, oldest first (what a CALLRESULTERROR is about). */
  answeredCpCalls: [string, string][];
  /** When the last text frame arrived (the connection time before the first), handled or not yet (lifecycle.ts). */
  lastSeen: number;
  /** When the charge point's latest call, relayed and not answered yet, arrived; 0 when it waits for nothing. */
  awaitingSince: number;
  /** When the answer to the charge point's latest call reached it (0: none yet). */
  answeredAt: number;
  /** Current heartbeat interval in seconds (0: not checked). */
  heartbeatInterval: number;
  /** When that interval was set: the start of the heartbeat tick grid. */
  heartbeatSince: number;
  /** Frame rate limit: tokens left (-1: a full bucket) and when they were counted. */
  tokens: number;
  tokensAt: number;
  /** 1 when the CSMS answered the charge point's latest call: its next CALL obeys OCPP-J's pacing (rate-limit.ts). */
  csmsAnswered: number;
  /** Messages the gateway could neither publish nor keep (counted and logged). */
  dropped: number;
  /** CALLERRORs the gateway itself sent the charge point (refused calls: invalid, malformed, over the limit, no broker). */
  callErrors: number;
}

export function newConnectionState(now = 0, heartbeatInterval = 0): ConnectionState {
  return {
    recv: 0,
    sent: 0,
    badFrames: 0,
    limited: 0,
    malformed: 0,
    invalid: 0,
    cpCalls: [],
    answeredCpCalls: [],
    lastSeen: now,
    awaitingSince: 0,
    answeredAt: 0,
    heartbeatInterval,
    heartbeatSince: now,
    tokens: -1,
    tokensAt: now,
    csmsAnswered: 0,
    dropped: 0,
    callErrors: 0,
  };
}

/** Why the gateway ended a downstream call itself; sent as `Reason` in its CALLERROR envelope. */
export type CallEnd = Refusal | "timeout" | "disconnected" | "session_expired" | "version_changed";

/** WebSocket close code for a charge point that keeps sending frames we cannot read (RFC 6455 §7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;
