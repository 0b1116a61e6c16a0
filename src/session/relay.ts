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
import { durationMs, type GatewayConfig } from "../config/gateway-config";
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
import { DownstreamCalls, type CallStore, type InflightCall, type QueuedCall, type Refusal } from "./downstream-calls";
import { DisconnectReason, heartbeatFromBootReply } from "./lifecycle";
import type { PublishOutcome } from "./outbox";

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
   * broker, "refused" when it can do neither (outbox full or off).
   */
  publish(topic: string, payload: string): Promise<PublishOutcome>;
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
    dropped: 0,
  };
}

/** Why the gateway ended a downstream call itself; sent as `Reason` in its CALLERROR envelope. */
export type CallEnd = Refusal | "timeout" | "disconnected" | "session_expired";

/** WebSocket close code for a charge point that keeps sending frames we cannot read (RFC 6455 §7.4.1). */
export const CLOSE_POLICY_VIOLATION = 1008;

/** The charge point's unanswered calls remembered per connection (OCPP-J allows one; be lenient). */
const MAX_REMEMBERED_CP_CALLS = 8;

export class ChargePointRelay {
  private readonly calls: DownstreamCalls;

  constructor(
    private readonly conn: Connection,
    private readonly ports: RelayPorts,
    private readonly state: ConnectionState,
    callStore: CallStore,
  ) {
    this.calls = new DownstreamCalls(
      callStore,
      { awaitingTimeoutMs: durationMs(conn.config.dnstream.awaiting_timeout), maxQueueLength: conn.config.dnstream.max_mqueue_len },
      (frame) => this.send(frame),
    );
  }

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

  /** Publishes (or keeps for later); false when refused, which is then counted and logged. */
  private async publishOrLog(topic: string, payload: string, what: string, uniqueId: string): Promise<boolean> {
    let outcome: PublishOutcome;
    try {
      outcome = await this.ports.publish(topic, payload);
    } catch (e) {
      log("error", "publish_failed", { cid: this.conn.cid, what, uniqueId, topic, error: errorMessage(e) });
      outcome = "refused";
    }
    if (outcome !== "refused") return true;
    this.state.dropped++;
    log("error", "upstream_unavailable", { cid: this.conn.cid, what, uniqueId, topic, dropped: this.state.dropped });
    return false;
  }

  /** Token bucket: `max_frames_per_second` per second, bursts of twice that. */
  private takeToken(): boolean {
    const rate = this.conn.config.max_frames_per_second;
    if (rate === 0) return true;
    const now = this.ports.now();
    const burst = 2 * rate;
    const available = this.state.tokens < 0 ? burst : Math.min(burst, this.state.tokens + ((now - this.state.tokensAt) / 1000) * rate);
    this.state.tokensAt = now;
    if (available < 1) {
      this.state.tokens = available;
      return false;
    }
    this.state.tokens = available - 1;
    return true;
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
    this.state.lastSeen = this.ports.now();
    const parsed = parseFrame(text, this.conn.protocol);
    if (!this.takeToken()) {
      const limit = `rate limit exceeded: at most ${this.conn.config.max_frames_per_second} frames per second`;
      log("warn", "rate_limited", { cid: this.conn.cid });
      // A call can be refused and retried by the charger; any other frame over the limit ends the connection.
      if (parsed.ok && parsed.frame.type === MessageTypeId.Call) {
        this.send(callErrorText(parsed.frame.uniqueId, this.code(ErrorKind.Generic), limit));
        return;
      }
      return this.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, DisconnectReason.RateLimited, limit);
    }
    if (!parsed.ok) return this.onBadFrame(parsed.error, text);
    this.state.badFrames = 0;
    const frame = parsed.frame;
    switch (frame.type) {
      case MessageTypeId.Call:
        return this.upstreamCall(frame, text);
      case MessageTypeId.CallResult:
        return this.upstreamResult(frame, text);
      case MessageTypeId.CallError: {
        const answer = await this.calls.answer(frame.uniqueId);
        const action = answer.kind === "unknown" ? undefined : answer.action;
        const topic = this.topic(this.conn.config.upstream.error_topic, action);
        await this.publishOrLog(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_error", frame.uniqueId);
        if (answer.kind === "answered") await this.sendNext();
        return;
      }
      default:
        frame satisfies never;
    }
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
      const answer = await this.calls.answer(error.uniqueId);
      if (answer.kind !== "unknown") {
        await this.reportToCsms({
          uniqueId: error.uniqueId,
          action: answer.action,
          errorCode: this.code(ErrorKind.Formation),
          errorDescription: `the charge point's answer was malformed: ${error.message}`,
          reason: "malformed",
        });
        if (answer.kind === "answered") await this.sendNext();
      }
    }
    if (this.state.badFrames >= this.conn.config.max_bad_frames) {
      log("warn", "closing_bad_frames", { cid: this.conn.cid, count: this.state.badFrames });
      await this.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, DisconnectReason.ProtocolError, "too many malformed frames");
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
    const answer = await this.calls.answer(frame.uniqueId);
    const action = answer.kind === "unknown" ? undefined : answer.action;
    const refused =
      action === undefined
        ? undefined
        : await this.check("upstream", action, "response", frame.payload, { messageTypeId: frame.type, uniqueId: frame.uniqueId, text });
    if (refused !== undefined) {
      await this.reportToCsms({
        uniqueId: frame.uniqueId,
        ...(action === undefined ? {} : { action }),
        errorCode: this.code(refused.kind),
        errorDescription: `the charge point's answer is invalid: ${refused.description}`,
        errorDetails: failureDetails(refused),
        reason: "invalid",
      });
    } else {
      const topic = this.topic(this.conn.config.upstream.reply_topic, action);
      await this.publishOrLog(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_result", frame.uniqueId);
    }
    if (answer.kind === "answered") await this.sendNext();
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
          reason: "malformed",
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
        reason: "invalid",
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
    switch (message.type) {
      case MessageTypeId.Call: {
        const frame = callText(message.uniqueId, message.action, message.payloadText);
        const call = { uniqueId: message.uniqueId, action: message.action, frame };
        const outcome = await this.calls.submit(call, this.ports.isConnected(), this.ports.now());
        if (outcome.outcome === "refused") await this.endCall(call, outcome.reason);
        else if (outcome.outcome === "queued") log("info", "call_queued", { cid: this.conn.cid, uniqueId: call.uniqueId, position: outcome.position });
        return;
      }
      case MessageTypeId.CallResult: {
        // Calls cross freely: the CSMS's answer to the charge point's own call goes out at once.
        const action = this.cpCallAction(message.uniqueId);
        if (!this.send(callResultText(message.uniqueId, message.payloadText))) return this.reportNotConnected(message.uniqueId, action);
        this.forgetCpCall(message.uniqueId);
        if (action === "BootNotification") this.applyBootReply(message.payload);
        return;
      }
      case MessageTypeId.CallError: {
        const action = this.cpCallAction(message.uniqueId);
        const frame = callErrorText(message.uniqueId, message.errorCode, message.errorDescription, message.errorDetailsText);
        if (!this.send(frame)) return this.reportNotConnected(message.uniqueId, action);
        this.forgetCpCall(message.uniqueId);
        return;
      }
      default:
        return message satisfies never;
    }
  }

  /** Reference §3 (ours): only the answer to the charge point's BootNotification sets the heartbeat interval. */
  private applyBootReply(payload: JsonObject): void {
    const interval = heartbeatFromBootReply(payload);
    if (interval === undefined) return;
    this.state.heartbeatInterval = interval;
    this.state.heartbeatSince = this.ports.now();
    log("info", "heartbeat_interval", { cid: this.conn.cid, interval });
  }

  private reportNotConnected(uniqueId: string, action: string | undefined): Promise<void> {
    return this.reportToCsms({
      uniqueId,
      ...(action === undefined ? {} : { action }),
      errorCode: this.code(ErrorKind.Generic),
      errorDescription: "charge point is not connected",
      reason: "not_connected",
    });
  }

  /** Tells the CSMS that the gateway ended one of its calls (refused, timed out, dropped). */
  private endCall(call: { uniqueId: string; action: string }, end: CallEnd): Promise<void> {
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

  private async sendNext(): Promise<void> {
    const sent = await this.calls.sendNext(this.ports.isConnected(), this.ports.now());
    if (sent !== undefined) log("info", "call_dequeued", { cid: this.conn.cid, uniqueId: sent.uniqueId });
  }

  // ── timers and connection changes (driven by the ChargePoint object) ─────────────────────────────────────────

  /** Deadline of the outstanding downstream call, if any. */
  callDeadline(): Promise<number | undefined> {
    return this.calls.deadline();
  }

  /** Ends the outstanding call if its time is up, then sends the next. */
  async expireCalls(): Promise<InflightCall | undefined> {
    const expired = await this.calls.expireInflight(this.ports.now());
    if (expired === undefined) return undefined;
    await this.endCall(expired, "timeout");
    await this.sendNext();
    return expired;
  }

  /** The connection the outstanding call went out on has ended: the call cannot be answered any more. */
  async abandonInflight(): Promise<void> {
    const abandoned = await this.calls.abandonInflight();
    if (abandoned !== undefined) await this.endCall(abandoned, "disconnected");
  }

  /** A (re)connected charge point: queued calls go out, one at a time. */
  resume(): Promise<void> {
    return this.sendNext();
  }

  /** The charge point stayed away past the session expiry: every queued call ends. */
  async expireSession(): Promise<QueuedCall[]> {
    const dropped = await this.calls.drain();
    for (const call of dropped) await this.endCall(call, "session_expired");
    return dropped;
  }
}
