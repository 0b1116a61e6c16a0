/**
 * What happens to each message between one charge point and the broker. Knows nothing of sockets, Durable
 * Objects or MQTT connections: the ChargePoint object supplies the ports and the stores.
 *
 * Upstream (reference §4): every frame is parsed in stages; a CALL whose UniqueId can be read but is malformed is
 * answered with a CALLERROR; a good frame is published as the EMQX envelope on its topic; replies that answer a
 * downstream call carry that call's Action. Downstream (reference §5): an envelope becomes one frame; one that
 * cannot be sent is reported to the CSMS as a gateway CALLERROR envelope on the error topic.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { decodeDownstream, gatewayErrorEnvelope, upstreamEnvelope, type GatewayError } from "../mqtt/envelope";
import { renderTopic } from "../mqtt/topics";
import { callErrorText, callResultText, callText, parseFrame, type Frame, type FrameError } from "../ocpp/frame";
import { ErrorKind, MessageTypeId, type OcppProtocol } from "../ocpp/protocol";

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
}

/** Per-connection counters, kept in the WebSocket attachment so they survive hibernation. */
export interface ConnectionCounters {
  recv: number;
  sent: number;
  /** Consecutive frames that could not be relayed; reset by a good frame. */
  badFrames: number;
  /** All frames that could not be relayed on this connection. */
  malformed: number;
}

/** Downstream calls sent to the charge point and not yet answered (kept in durable storage). */
export interface PendingCalls {
  get(uniqueId: string): Promise<string | undefined>;
  put(uniqueId: string, action: string): Promise<void>;
  delete(uniqueId: string): Promise<void>;
}

/** WebSocket close code for a charge point that keeps sending frames we cannot read (RFC 6455 §7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;

export class ChargePointRelay {
  constructor(
    private readonly conn: Connection,
    private readonly ports: RelayPorts,
    private readonly counters: ConnectionCounters,
    private readonly pending: PendingCalls,
  ) {}

  private topic(template: string, action?: string): string {
    const vars = action === undefined ? { cid: this.conn.cid } : { cid: this.conn.cid, action };
    return renderTopic(this.conn.config.mountpoint, template, vars);
  }

  private errorTopic(action?: string): string {
    return this.topic(this.conn.config.upstream.error_topic, action);
  }

  private code(kind: ErrorKind): string {
    return this.conn.protocol.errorCodes[kind];
  }

  private send(text: string): boolean {
    const sent = this.ports.sendToChargePoint(text);
    if (sent) this.counters.sent++;
    return sent;
  }

  /** Publishes a gateway-made CALLERROR envelope to the error topic. */
  private async reportToCsms(error: GatewayError): Promise<void> {
    try {
      await this.ports.publish(this.errorTopic(error.action), gatewayErrorEnvelope(error));
    } catch (e) {
      log("error", "report_publish_failed", { cid: this.conn.cid, uniqueId: error.uniqueId, error: errorMessage(e) });
    }
  }

  /** A text frame from the charge point. */
  async fromChargePoint(text: string): Promise<void> {
    this.counters.recv++;
    const parsed = parseFrame(text, this.conn.protocol);
    if (!parsed.ok) return this.onBadFrame(parsed.error, text);
    this.counters.badFrames = 0;
    await this.relayUpstream(parsed.frame);
  }

  private async onBadFrame(error: FrameError, text: string): Promise<void> {
    this.counters.badFrames++;
    this.counters.malformed++;
    log("warn", "bad_frame", {
      cid: this.conn.cid,
      reason: error.message,
      uniqueId: error.uniqueId,
      count: this.counters.badFrames,
      frame: text.length > 256 ? `${text.slice(0, 256)}…` : text,
    });
    if (error.answerable && error.uniqueId !== undefined) {
      this.send(callErrorText(error.uniqueId, this.code(error.kind), error.message));
    } else if (
      error.uniqueId !== undefined &&
      (error.messageTypeId === MessageTypeId.CallResult || error.messageTypeId === MessageTypeId.CallError)
    ) {
      // A malformed answer to one of the CSMS's calls: tell the CSMS instead of letting its call hang.
      const action = await this.pending.get(error.uniqueId);
      if (action !== undefined) {
        await this.pending.delete(error.uniqueId);
        await this.reportToCsms({
          uniqueId: error.uniqueId,
          action,
          errorCode: this.code(ErrorKind.Formation),
          errorDescription: `the charge point's answer was malformed: ${error.message}`,
        });
      }
    }
    if (this.counters.badFrames >= this.conn.config.max_bad_frames) {
      log("warn", "closing_bad_frames", { cid: this.conn.cid, count: this.counters.badFrames });
      this.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, "too many malformed frames");
    }
  }

  private async relayUpstream(frame: Frame): Promise<void> {
    const { upstream } = this.conn.config;
    switch (frame.type) {
      case MessageTypeId.Call: {
        const template = upstream.topic_override_mapping[frame.action] ?? upstream.topic;
        try {
          await this.ports.publish(this.topic(template, frame.action), upstreamEnvelope(frame));
        } catch (e) {
          log("error", "upstream_publish_failed", { cid: this.conn.cid, uniqueId: frame.uniqueId, error: errorMessage(e) });
          // The charge point's own retry logic takes over; nothing was accepted and then dropped.
          this.send(callErrorText(frame.uniqueId, this.code(ErrorKind.Internal), "upstream unavailable"));
        }
        return;
      }
      case MessageTypeId.CallResult:
      case MessageTypeId.CallError: {
        const action = await this.pending.get(frame.uniqueId);
        if (action !== undefined) await this.pending.delete(frame.uniqueId);
        const template = frame.type === MessageTypeId.CallResult ? upstream.reply_topic : upstream.error_topic;
        try {
          await this.ports.publish(this.topic(template, action), upstreamEnvelope(frame, action));
        } catch (e) {
          log("error", "upstream_publish_failed", { cid: this.conn.cid, uniqueId: frame.uniqueId, error: errorMessage(e) });
        }
        return;
      }
      default:
        frame satisfies never;
    }
  }

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
    if (!this.send(frame)) {
      if (action !== undefined) await this.pending.delete(message.uniqueId);
      await this.reportToCsms({
        uniqueId: message.uniqueId,
        ...(action === undefined ? {} : { action }),
        errorCode: this.code(ErrorKind.Generic),
        errorDescription: "charge point is not connected",
      });
    }
  }
}
