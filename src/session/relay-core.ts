/**
 * What the two directions of a charge point's relay share: its connection, ports and state, the CSMS's calls to
 * it, and the helpers to render topics, send frames, publish, check payloads and report to the CSMS.
 */
import { durationMs, type GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { gatewayErrorEnvelope, type GatewayError } from "../mqtt/envelope";
import { renderTopic } from "../mqtt/topics";
import type { JsonObject } from "../ocpp/frame";
import { ErrorKind, type OcppProtocol } from "../ocpp/protocol";
import type { PayloadKind } from "../ocpp/validation";
import { checkPayload, diagnosticsRecord, type CheckFailure, type Direction } from "./checks";
import { DownstreamCalls, type CallStore, type Refusal } from "./downstream-calls";
import type { DisconnectReason } from "./lifecycle";
import type { MessageClass, PublishOutcome } from "./outbox";

export interface Connection {
  readonly cid: string;
  readonly protocol: OcppProtocol;
  readonly config: GatewayConfig;
}

export interface RelayPorts {
  /** Sends one frame to the charge point; false when it has no open connection. */
  sendToChargePoint(text: string): boolean;
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
  /** All frames that could not be parsed on this connection. */
  malformed: number;
  /** All messages, either direction, that failed a schema check. */
  invalid: number;
  /** The charge point's calls relayed to the CSMS and not answered yet, oldest first: [UniqueId, Action]. */
  cpCalls: [string, string][];
  /** When the last text frame arrived (the connection time before the first). */
  lastSeen: number;
  /** Current heartbeat interval in seconds (0: not checked). */
  heartbeatInterval: number;
  /** When that interval was set: the start of the heartbeat tick grid. */
  heartbeatSince: number;
  /** Frame rate limit: tokens left (-1: a full bucket) and when they were counted. */
  tokens: number;
  tokensAt: number;
  /** 1 when the CSMS answered the charge point's last call: its next CALL obeys OCPP-J's pacing (upstream.ts). */
  csmsAnswered: number;
  /** Messages the gateway could neither publish nor keep (counted and logged). */
  dropped: number;
}

export function newConnectionState(now = 0, heartbeatInterval = 0): ConnectionState {
  return {
    recv: 0,
    sent: 0,
    badFrames: 0,
    malformed: 0,
    invalid: 0,
    cpCalls: [],
    lastSeen: now,
    heartbeatInterval,
    heartbeatSince: now,
    tokens: -1,
    tokensAt: now,
    csmsAnswered: 0,
    dropped: 0,
  };
}

/** Why the gateway ended a downstream call itself; sent as `Reason` in its CALLERROR envelope. */
export type CallEnd = Refusal | "timeout" | "disconnected" | "session_expired";

/** WebSocket close code for a charge point that keeps sending frames we cannot read (RFC 6455 §7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;

/** The charge point's unanswered calls remembered per connection (OCPP-J allows one; be lenient). */
const MAX_REMEMBERED_CP_CALLS = 8;

export abstract class RelayCore {
  protected readonly calls: DownstreamCalls;

  constructor(
    protected readonly conn: Connection,
    protected readonly ports: RelayPorts,
    protected readonly state: ConnectionState,
    callStore: CallStore,
  ) {
    this.calls = new DownstreamCalls(
      callStore,
      { awaitingTimeoutMs: durationMs(conn.config.dnstream.awaiting_timeout), maxQueueLength: conn.config.dnstream.max_mqueue_len },
      (frame) => this.send(frame),
    );
  }

  protected topic(template: string, action?: string): string {
    const vars = action === undefined ? { cid: this.conn.cid } : { cid: this.conn.cid, action };
    return renderTopic(this.conn.config.mountpoint, template, vars);
  }

  protected code(kind: ErrorKind): string {
    return this.conn.protocol.errorCodes[kind];
  }

  protected send(text: string): boolean {
    const sent = this.ports.sendToChargePoint(text);
    if (sent) this.state.sent++;
    return sent;
  }

  /** Publishes (or keeps for later); false when refused, which is then counted and logged. */
  protected async publishOrLog(topic: string, payload: string, what: string, uniqueId: string, kind: MessageClass = "normal"): Promise<boolean> {
    let outcome: PublishOutcome;
    try {
      outcome = await this.ports.publish(topic, payload, kind);
    } catch (e) {
      log("error", "publish_failed", { cid: this.conn.cid, what, uniqueId, topic, error: errorMessage(e) });
      outcome = "refused";
    }
    if (outcome !== "refused") return true;
    this.state.dropped++;
    log("error", "upstream_unavailable", { cid: this.conn.cid, what, uniqueId, topic, dropped: this.state.dropped });
    return false;
  }

  /** Publishes a gateway-made CALLERROR envelope to the error topic. */
  protected async reportToCsms(error: GatewayError): Promise<void> {
    const topic = this.topic(this.conn.config.upstream.error_topic, error.action);
    await this.publishOrLog(topic, gatewayErrorEnvelope(error), "gateway_error", error.uniqueId, "ending");
  }

  /**
   * Checks a payload; on failure publishes the diagnostics record and counts it. Returns the failure only when
   * the message must be refused (policy `enforce`).
   */
  protected async check(
    direction: Direction,
    action: string,
    kind: PayloadKind,
    payload: JsonObject,
    message: { messageTypeId: number; uniqueId: string; text: string },
  ): Promise<CheckFailure | undefined> {
    const failure = checkPayload(this.conn.protocol, this.conn.config, direction, action, kind, payload);
    if (failure === undefined) return undefined;
    this.state.invalid++;
    log("warn", "validation_failed", { cid: this.conn.cid, direction, action, uniqueId: message.uniqueId, reason: failure.description });
    const record = diagnosticsRecord({
      cid: this.conn.cid,
      direction,
      failure,
      errorCode: this.code(failure.kind),
      messageTypeId: message.messageTypeId,
      uniqueId: message.uniqueId,
      action,
      frameText: message.text,
      at: this.ports.now(),
    });
    await this.publishOrLog(this.topic(this.conn.config.diagnostics_topic, action), record, "diagnostics", message.uniqueId);
    return failure.policy === "enforce" ? failure : undefined;
  }

  protected rememberCpCall(uniqueId: string, action: string): void {
    const calls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
    calls.push([uniqueId, action]);
    this.state.cpCalls = calls.slice(-MAX_REMEMBERED_CP_CALLS);
  }

  protected cpCallAction(uniqueId: string): string | undefined {
    return this.state.cpCalls.find(([id]) => id === uniqueId)?.[1];
  }

  protected forgetCpCall(uniqueId: string): void {
    this.state.cpCalls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
  }

  /** Tells the CSMS that the gateway ended one of its calls (refused, timed out, dropped). */
  protected endCall(call: { uniqueId: string; action: string }, end: CallEnd): Promise<void> {
    const descriptions: Record<CallEnd, string> = {
      not_connected: "charge point is not connected",
      duplicate: `a call with UniqueId ${call.uniqueId} is already pending for this charge point`,
      queue_full: `the charge point's queue is full (${this.conn.config.dnstream.max_mqueue_len} calls waiting)`,
      timeout: `no answer from the charge point within ${this.conn.config.dnstream.awaiting_timeout}`,
      disconnected: "the charge point's connection ended before it answered",
      session_expired: `the charge point did not come back within ${this.conn.config.dnstream.session_expiry_interval}`,
    };
    return this.reportToCsms({
      uniqueId: call.uniqueId,
      action: call.action,
      errorCode: this.code(end === "duplicate" ? ErrorKind.Protocol : ErrorKind.Generic),
      errorDescription: descriptions[end],
      reason: end,
    });
  }

  protected async sendNext(): Promise<void> {
    const sent = await this.calls.sendNext(this.ports.isConnected(), this.ports.now());
    if (sent !== undefined) log("info", "call_dequeued", { cid: this.conn.cid, uniqueId: sent.uniqueId });
  }
}
