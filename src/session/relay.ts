/**
 * What happens to each message between one charge point and the broker. Knows nothing of sockets, Durable
 * Objects or MQTT connections: the ChargePoint object supplies the ports and the stores.
 *
 * Upstream (reference §4): every frame is parsed in stages; a CALL whose UniqueId can be read but is malformed or
 * invalid is answered with a CALLERROR; a good frame is published as the EMQX envelope on its topic; replies that
 * answer a downstream call carry that call's Action and are checked against its response schema.
 * Downstream (reference §5): an envelope becomes one frame after the same checks; one that cannot be sent is
 * reported to the CSMS as a gateway CALLERROR envelope on the error topic. Every schema failure is also published
 * on the diagnostics topic.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { decodeDownstream, gatewayErrorEnvelope, upstreamEnvelope, type DownstreamMessage, type GatewayError } from "../mqtt/envelope";
import { renderTopic } from "../mqtt/topics";
import {
  callErrorText,
  callResultText,
  callText,
  parseFrame,
  type CallFrame,
  type CallResultFrame,
  type FrameError,
  type JsonObject,
} from "../ocpp/frame";
import { ErrorKind, MessageTypeId, type OcppProtocol } from "../ocpp/protocol";
import type { PayloadKind } from "../ocpp/validation";
import { checkPayload, diagnosticsRecord, failureDetails, type CheckFailure, type Direction } from "./checks";

export interface Connection {
  readonly cid: string;
  readonly protocol: OcppProtocol;
  readonly config: GatewayConfig;
}

export interface RelayPorts {
  /** Sends one frame to the charge point; false when it has no open connection. */
  sendToChargePoint(text: string): boolean;
  /** Publishes with QoS 1; resolves once the broker confirmed it. */
  publish(topic: string, payload: string): Promise<void>;
  closeChargePoint(code: number, reason: string): void;
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
}

export function newConnectionState(): ConnectionState {
  return { recv: 0, sent: 0, badFrames: 0, malformed: 0, invalid: 0, cpCalls: [] };
}

/** Downstream calls sent to the charge point and not yet answered (kept in durable storage). */
export interface PendingCalls {
  get(uniqueId: string): Promise<string | undefined>;
  put(uniqueId: string, action: string): Promise<void>;
  delete(uniqueId: string): Promise<void>;
}

/** WebSocket close code for a charge point that keeps sending frames we cannot read (RFC 6455 §7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;

/** The charge point's unanswered calls remembered per connection (OCPP-J allows one; be lenient). */
const MAX_REMEMBERED_CP_CALLS = 8;

export class ChargePointRelay {
  constructor(
    private readonly conn: Connection,
    private readonly ports: RelayPorts,
    private readonly state: ConnectionState,
    private readonly pending: PendingCalls,
  ) {}

  private topic(template: string, action?: string): string {
    const vars = action === undefined ? { cid: this.conn.cid } : { cid: this.conn.cid, action };
    return renderTopic(this.conn.config.mountpoint, template, vars);
  }

  private code(kind: ErrorKind): string {
    return this.conn.protocol.errorCodes[kind];
  }

  private send(text: string): boolean {
    const sent = this.ports.sendToChargePoint(text);
    if (sent) this.state.sent++;
    return sent;
  }

  private async publishOrLog(topic: string, payload: string, what: string, uniqueId: string): Promise<boolean> {
    try {
      await this.ports.publish(topic, payload);
      return true;
    } catch (e) {
      log("error", "publish_failed", { cid: this.conn.cid, what, uniqueId, topic, error: errorMessage(e) });
      return false;
    }
  }

  /** Publishes a gateway-made CALLERROR envelope to the error topic. */
  private async reportToCsms(error: GatewayError): Promise<void> {
    const topic = this.topic(this.conn.config.upstream.error_topic, error.action);
    await this.publishOrLog(topic, gatewayErrorEnvelope(error), "gateway_error", error.uniqueId);
  }

  /**
   * Checks a payload; on failure publishes the diagnostics record and counts it. Returns the failure only when
   * the message must be refused (policy `enforce`).
   */
  private async check(
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

  private rememberCpCall(uniqueId: string, action: string): void {
    const calls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
    calls.push([uniqueId, action]);
    this.state.cpCalls = calls.slice(-MAX_REMEMBERED_CP_CALLS);
  }

  private cpCallAction(uniqueId: string): string | undefined {
    return this.state.cpCalls.find(([id]) => id === uniqueId)?.[1];
  }

  private forgetCpCall(uniqueId: string): void {
    this.state.cpCalls = this.state.cpCalls.filter(([id]) => id !== uniqueId);
  }

  // ── upstream ────────────────────────────────────────────────────────────────────────────────────────────────

  /** A text frame from the charge point. */
  async fromChargePoint(text: string): Promise<void> {
    this.state.recv++;
    const parsed = parseFrame(text, this.conn.protocol);
    if (!parsed.ok) return this.onBadFrame(parsed.error, text);
    this.state.badFrames = 0;
    const frame = parsed.frame;
    switch (frame.type) {
      case MessageTypeId.Call:
        return this.upstreamCall(frame, text);
      case MessageTypeId.CallResult:
        return this.upstreamResult(frame, text);
      case MessageTypeId.CallError: {
        const action = await this.takePending(frame.uniqueId);
        const topic = this.topic(this.conn.config.upstream.error_topic, action);
        await this.publishOrLog(topic, upstreamEnvelope(frame, action), "call_error", frame.uniqueId);
        return;
      }
      default:
        frame satisfies never;
    }
  }

  private async takePending(uniqueId: string): Promise<string | undefined> {
    const action = await this.pending.get(uniqueId);
    if (action !== undefined) await this.pending.delete(uniqueId);
    return action;
  }

  private async onBadFrame(error: FrameError, text: string): Promise<void> {
    this.state.badFrames++;
    this.state.malformed++;
    log("warn", "bad_frame", {
      cid: this.conn.cid,
      reason: error.message,
      uniqueId: error.uniqueId,
      count: this.state.badFrames,
      frame: text.length > 256 ? `${text.slice(0, 256)}…` : text,
    });
    if (error.answerable && error.uniqueId !== undefined) {
      this.send(callErrorText(error.uniqueId, this.code(error.kind), error.message));
    } else if (
      error.uniqueId !== undefined &&
      (error.messageTypeId === MessageTypeId.CallResult || error.messageTypeId === MessageTypeId.CallError)
    ) {
      // A malformed answer to one of the CSMS's calls: tell the CSMS instead of letting its call hang.
      const action = await this.takePending(error.uniqueId);
      if (action !== undefined) {
        await this.reportToCsms({
          uniqueId: error.uniqueId,
          action,
          errorCode: this.code(ErrorKind.Formation),
          errorDescription: `the charge point's answer was malformed: ${error.message}`,
        });
      }
    }
    if (this.state.badFrames >= this.conn.config.max_bad_frames) {
      log("warn", "closing_bad_frames", { cid: this.conn.cid, count: this.state.badFrames });
      this.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, "too many malformed frames");
    }
  }

  private async upstreamCall(frame: CallFrame, text: string): Promise<void> {
    const refused = await this.check("upstream", frame.action, "request", frame.payload, {
      messageTypeId: frame.type,
      uniqueId: frame.uniqueId,
      text,
    });
    if (refused !== undefined) {
      this.send(callErrorText(frame.uniqueId, this.code(refused.kind), refused.description, JSON.stringify(failureDetails(refused))));
      return;
    }
    const { upstream } = this.conn.config;
    const template = Object.hasOwn(upstream.topic_override_mapping, frame.action)
      ? (upstream.topic_override_mapping[frame.action] as string)
      : upstream.topic;
    this.rememberCpCall(frame.uniqueId, frame.action);
    if (!(await this.publishOrLog(this.topic(template, frame.action), upstreamEnvelope(frame), "call", frame.uniqueId))) {
      this.forgetCpCall(frame.uniqueId);
      // The charge point's own retry logic takes over; nothing was accepted and then dropped.
      this.send(callErrorText(frame.uniqueId, this.code(ErrorKind.Internal), "upstream unavailable"));
    }
  }

  private async upstreamResult(frame: CallResultFrame, text: string): Promise<void> {
    const action = await this.pending.get(frame.uniqueId);
    if (action !== undefined) {
      const refused = await this.check("upstream", action, "response", frame.payload, {
        messageTypeId: frame.type,
        uniqueId: frame.uniqueId,
        text,
      });
      await this.pending.delete(frame.uniqueId);
      if (refused !== undefined) {
        await this.reportToCsms({
          uniqueId: frame.uniqueId,
          action,
          errorCode: this.code(refused.kind),
          errorDescription: `the charge point's answer is invalid: ${refused.description}`,
          errorDetails: failureDetails(refused),
        });
        return;
      }
    }
    const topic = this.topic(this.conn.config.upstream.reply_topic, action);
    await this.publishOrLog(topic, upstreamEnvelope(frame, action), "call_result", frame.uniqueId);
  }

  // ── downstream ──────────────────────────────────────────────────────────────────────────────────────────────

  /** An envelope the CSMS published on this charge point's downstream topic. */
  async fromCsms(text: string): Promise<void> {
    const decoded = decodeDownstream(text, this.conn.protocol);
    if (!decoded.ok) {
      const { error } = decoded;
      log("warn", "bad_envelope", { cid: this.conn.cid, reason: error.message, uniqueId: error.uniqueId });
      if (error.uniqueId !== undefined) {
        await this.reportToCsms({
          uniqueId: error.uniqueId,
          ...(error.action === undefined ? {} : { action: error.action }),
          errorCode: this.code(error.kind),
          errorDescription: `envelope not sent to the charge point: ${error.message}`,
        });
      }
      return;
    }
    const message = decoded.message;
    const refused = await this.checkDownstream(message, text);
    if (refused !== undefined) {
      const action = message.type === MessageTypeId.Call ? message.action : this.cpCallAction(message.uniqueId);
      await this.reportToCsms({
        uniqueId: message.uniqueId,
        ...(action === undefined ? {} : { action }),
        errorCode: this.code(refused.kind),
        errorDescription: `not sent to the charge point: ${refused.description}`,
        errorDetails: failureDetails(refused),
      });
      return;
    }
    await this.deliver(message);
  }

  private checkDownstream(message: DownstreamMessage, text: string): Promise<CheckFailure | undefined> {
    const meta = { messageTypeId: message.type, uniqueId: message.uniqueId, text };
    switch (message.type) {
      case MessageTypeId.Call:
        return this.check("dnstream", message.action, "request", message.payload, meta);
      case MessageTypeId.CallResult: {
        const action = this.cpCallAction(message.uniqueId);
        if (action === undefined) return Promise.resolve(undefined);
        return this.check("dnstream", action, "response", message.payload, meta);
      }
      case MessageTypeId.CallError:
        return Promise.resolve(undefined);
      default:
        return message satisfies never;
    }
  }

  private async deliver(message: DownstreamMessage): Promise<void> {
    let frame: string;
    let action: string | undefined;
    switch (message.type) {
      case MessageTypeId.Call:
        frame = callText(message.uniqueId, message.action, message.payloadText);
        action = message.action;
        break;
      case MessageTypeId.CallResult:
        frame = callResultText(message.uniqueId, message.payloadText);
        break;
      case MessageTypeId.CallError:
        frame = callErrorText(message.uniqueId, message.errorCode, message.errorDescription, message.errorDetailsText);
        break;
      default:
        return message satisfies never;
    }
    if (action !== undefined) await this.pending.put(message.uniqueId, action);
    if (this.send(frame)) {
      if (message.type !== MessageTypeId.Call) this.forgetCpCall(message.uniqueId);
      return;
    }
    if (action !== undefined) await this.pending.delete(message.uniqueId);
    await this.reportToCsms({
      uniqueId: message.uniqueId,
      ...(action === undefined ? {} : { action: action }),
      errorCode: this.code(ErrorKind.Generic),
      errorDescription: "charge point is not connected",
    });
  }
}
