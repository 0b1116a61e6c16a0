/**
 * Everything a charge point's session says to the CSMS: envelopes on their topics, gateway-made CALLERROR
 * envelopes on the error topic, and payload checks with their diagnostics records. A message that can be neither
 * published nor kept is counted and logged here, once.
 */
import { errorMessage, log } from "../log";
import { gatewayErrorEnvelope, type GatewayError } from "../mqtt/envelope";
import { renderTopic } from "../mqtt/topics";
import type { JsonObject } from "../ocpp/frame";
import { ErrorKind } from "../ocpp/protocol";
import type { PayloadKind } from "../ocpp/validation";
import { checkPayload, diagnosticsRecord, refusedFrameRecord, type CheckFailure, type Direction } from "./checks";
import type { CallEnd, Connection, ConnectionState, SessionPorts } from "./connection";
import type { MessageClass, PublishOutcome } from "./outbox";

export class CsmsPublisher {
  constructor(
    private readonly conn: Connection,
    private readonly ports: SessionPorts,
    private readonly state: ConnectionState,
  ) {}

  topic(template: string, action?: string): string {
    const vars = { cid: this.conn.cid, proto_ver: this.conn.protocol.version, ...(action === undefined ? {} : { action }) };
    return renderTopic(this.conn.config.mountpoint, template, vars);
  }

  /** The charge point's version's spelling of an error class. */
  code(kind: ErrorKind): string {
    return this.conn.protocol.errorCodes[kind];
  }

  /** Publishes (or keeps for later); false when refused, which is then counted and logged. */
  async publish(topic: string, payload: string, what: string, uniqueId: string, kind: MessageClass = "normal"): Promise<boolean> {
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

  /** Publishes a gateway-made CALLERROR envelope on the error topic; it ends a CSMS message visibly. */
  async report(error: GatewayError): Promise<void> {
    const topic = this.topic(this.conn.config.upstream.error_topic, error.action);
    await this.publish(topic, gatewayErrorEnvelope(error), "gateway_error", error.uniqueId, "ending");
  }

  /** Tells the CSMS that the gateway ended one of its calls (refused, timed out, dropped). */
  endCall(call: { uniqueId: string; action: string }, end: CallEnd): Promise<void> {
    const { dnstream } = this.conn.config;
    const descriptions: Record<CallEnd, string> = {
      not_connected: "charge point is not connected",
      duplicate: `a call with UniqueId ${call.uniqueId} is already pending for this charge point`,
      queue_full: `the charge point's queue is full (${dnstream.max_mqueue_len} calls waiting)`,
      timeout: `no answer from the charge point within ${dnstream.awaiting_timeout}`,
      disconnected: "the charge point's connection ended before it answered",
      session_expired: `the charge point did not come back within ${dnstream.session_expiry_interval}`,
      version_changed: `the charge point reconnected speaking OCPP ${this.conn.protocol.version}; the call was queued for another version`,
    };
    return this.report({
      uniqueId: call.uniqueId,
      action: call.action,
      errorCode: this.code(end === "duplicate" ? ErrorKind.Protocol : ErrorKind.Generic),
      errorDescription: descriptions[end],
      reason: end,
    });
  }

  /**
   * Checks a payload; on failure publishes the diagnostics record and counts it. Returns the failure only when
   * the message must be refused (policy `enforce`).
   */
  async check(
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
    await this.publish(this.topic(this.conn.config.diagnostics_topic, action), record, "diagnostics", message.uniqueId);
    return failure.policy === "enforce" ? failure : undefined;
  }

  /** Publishes the diagnostics record of a frame refused by the RPC framework's rules (never relayed). */
  async reportRefused(frame: { messageTypeId: number; uniqueId: string; action: string | undefined; kind: ErrorKind; description: string; text: string }): Promise<void> {
    const record = refusedFrameRecord({
      cid: this.conn.cid,
      errorCode: this.code(frame.kind),
      description: frame.description,
      messageTypeId: frame.messageTypeId,
      uniqueId: frame.uniqueId,
      action: frame.action,
      frameText: frame.text,
      at: this.ports.now(),
    });
    await this.publish(this.topic(this.conn.config.diagnostics_topic, frame.action), record, "diagnostics", frame.uniqueId);
  }
}
