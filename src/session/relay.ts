/**
 * What happens to each message between one charge point and the broker. Knows nothing of sockets, Durable
 * Objects or MQTT connections: the ChargePoint object supplies the ports and the stores.
 *
 * Upstream (upstream.ts, reference §4) and the parts both directions share (relay-core.ts) are layered below this;
 * here, downstream (reference §5): an envelope becomes one frame after the same checks; a CALL goes through the
 * one-outstanding-call queue; one that cannot be sent is reported to the CSMS as a gateway CALLERROR envelope on
 * the error topic. And the timers and connection changes the ChargePoint object drives.
 */
import { log } from "../log";
import { decodeDownstream, type DownstreamMessage } from "../mqtt/envelope";
import { callErrorText, callResultText, callText, type JsonObject } from "../ocpp/frame";
import { ErrorKind, MessageTypeId } from "../ocpp/protocol";
import { failureDetails, type CheckFailure } from "./checks";
import type { InflightCall, QueuedCall } from "./downstream-calls";
import { heartbeatFromBootReply } from "./lifecycle";
import { UpstreamRelay } from "./upstream";

export { CLOSE_POLICY_VIOLATION, newConnectionState, type CallEnd, type Connection, type ConnectionState, type RelayPorts } from "./relay-core";

export class ChargePointRelay extends UpstreamRelay {
  // ── downstream ──────────────────────────────────────────────────────────────────────────────────────────────

  /** An envelope the CSMS published on this charge point's downstream topic. */
  async fromCsms(text: string): Promise<void> {
    const decoded = decodeDownstream(text, this.conn.protocol);
    if (!decoded.ok) {
      const { error } = decoded;
      log("warn", "bad_envelope", { cid: this.conn.cid, reason: error.message, uniqueId: error.uniqueId });
      if (error.uniqueId !== undefined) {
        // A malformed answer to one of the charge point's calls names that call's Action, as a valid one would.
        const action = error.action ?? this.cpCallAction(error.uniqueId);
        await this.reportToCsms({
          uniqueId: error.uniqueId,
          ...(action === undefined ? {} : { action }),
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
        this.answeredCpCall(message.uniqueId, action);
        if (action === "BootNotification") this.applyBootReply(message.payload);
        return;
      }
      case MessageTypeId.CallError: {
        const action = this.cpCallAction(message.uniqueId);
        const frame = callErrorText(message.uniqueId, message.errorCode, message.errorDescription, message.errorDetailsText);
        if (!this.send(frame)) return this.reportNotConnected(message.uniqueId, action);
        this.answeredCpCall(message.uniqueId, action);
        return;
      }
      default:
        return message satisfies never;
    }
  }

  /** The CSMS answered one of the charge point's calls: it may send its next one (upstream.ts, pacing). */
  private answeredCpCall(uniqueId: string, action: string | undefined): void {
    if (action === undefined) return;
    this.forgetCpCall(uniqueId);
    this.state.csmsAnswered = 1;
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
