/**
 * Downstream (reference §5): an envelope the CSMS published for this charge point becomes one frame after the same
 * checks as upstream. A CALL goes through the one-outstanding-call queue; everything else (answers to the charge
 * point's calls, 2.1's SEND and CALLRESULTERROR) goes out at once. One that cannot be sent is reported to the CSMS
 * as a gateway CALLERROR envelope on the error topic. Each message type is handled in one method.
 */
import { log } from "../log";
import { decodeDownstream, type DownstreamMessage } from "../mqtt/envelope";
import { callResultText, callText, errorShapedText, sendText, type JsonObject } from "../ocpp/frame";
import { ErrorKind, MessageTypeId } from "../ocpp/protocol";
import { failureDetails, type CheckFailure } from "./checks";
import { heartbeatFromBootReply } from "./lifecycle";
import type { SessionParts } from "./parts";

/** A CALL or (2.1) a SEND. */
type CallShaped = Extract<DownstreamMessage, { readonly action: string }>;
type ResultMessage = Extract<DownstreamMessage, { readonly type: typeof MessageTypeId.CallResult }>;
/** A CALLERROR or (2.1) a CALLRESULTERROR. */
type ErrorShaped = Extract<DownstreamMessage, { readonly errorCode: string }>;

export class Downstream {
  constructor(private readonly s: SessionParts) {}

  /** An envelope the CSMS published on this charge point's downstream topic. */
  async handle(text: string): Promise<void> {
    const { conn, csms, cpCalls } = this.s;
    const decoded = decodeDownstream(text, conn.protocol);
    if (!decoded.ok) {
      const { error } = decoded;
      log("warn", "bad_envelope", { cid: conn.cid, reason: error.message, uniqueId: error.uniqueId });
      if (error.uniqueId !== undefined) {
        // A malformed answer to one of the charge point's calls names that call's Action, as a valid one would.
        const action = error.action ?? cpCalls.actionOf(error.uniqueId);
        await csms.report({
          uniqueId: error.uniqueId,
          ...(action === undefined ? {} : { action }),
          errorCode: csms.code(error.kind),
          errorDescription: `envelope not sent to the charge point: ${error.message}`,
          reason: "malformed",
        });
      }
      return;
    }
    const message = decoded.message;
    const refused = await this.check(message, text);
    if (refused !== undefined) {
      const action = "action" in message ? message.action : cpCalls.actionOf(message.uniqueId);
      await csms.report({
        uniqueId: message.uniqueId,
        ...(action === undefined ? {} : { action }),
        errorCode: csms.code(refused.kind),
        errorDescription: `not sent to the charge point: ${refused.description}`,
        errorDetails: failureDetails(refused),
        reason: "invalid",
      });
      return;
    }
    switch (message.type) {
      case MessageTypeId.Call:
        return this.call(message);
      case MessageTypeId.Send:
        return this.send(message);
      case MessageTypeId.CallResult:
        return this.callResult(message);
      case MessageTypeId.CallError:
      case MessageTypeId.CallResultError:
        return this.errorShaped(message);
      default:
        return message satisfies never;
    }
  }

  private check(message: DownstreamMessage, text: string): Promise<CheckFailure | undefined> {
    const meta = { messageTypeId: message.type, uniqueId: message.uniqueId, text };
    switch (message.type) {
      case MessageTypeId.Call:
      case MessageTypeId.Send:
        return this.s.csms.check("dnstream", message.action, "request", message.payload, meta);
      case MessageTypeId.CallResult: {
        const action = this.s.cpCalls.actionOf(message.uniqueId);
        if (action === undefined) return Promise.resolve(undefined);
        return this.s.csms.check("dnstream", action, "response", message.payload, meta);
      }
      case MessageTypeId.CallError:
      case MessageTypeId.CallResultError:
        return Promise.resolve(undefined);
      default:
        return message satisfies never;
    }
  }

  private async call(message: CallShaped): Promise<void> {
    const { csmsCalls, csms, ports, conn } = this.s;
    const call = { uniqueId: message.uniqueId, action: message.action, frame: callText(message.uniqueId, message.action, message.payloadText) };
    const outcome = await csmsCalls.submit(call, ports.isConnected(), ports.now());
    if (outcome.outcome === "refused") await csms.endCall(call, outcome.reason);
    else if (outcome.outcome === "queued") log("info", "call_queued", { cid: conn.cid, uniqueId: call.uniqueId, position: outcome.position });
    else if (outcome.outcome === "redelivered") log("info", "call_redelivered", { cid: conn.cid, uniqueId: call.uniqueId });
  }

  /** OCPP 2.1 SEND: never answered, so never queued behind the outstanding call (Part 4 §4.2.5). */
  private async send(message: CallShaped): Promise<void> {
    if (!this.s.toChargePoint(sendText(message.uniqueId, message.action, message.payloadText))) {
      await this.reportNotConnected(message.uniqueId, message.action);
    }
  }

  /** Calls cross freely: the CSMS's answer to the charge point's own call goes out at once. */
  private async callResult(message: ResultMessage): Promise<void> {
    const action = this.s.cpCalls.actionOf(message.uniqueId);
    if (!this.s.toChargePoint(callResultText(message.uniqueId, message.payloadText))) return this.reportNotConnected(message.uniqueId, action);
    if (action === undefined) return;
    this.s.cpCalls.answered(message.uniqueId, action, this.s.ports.now(), true);
    if (action === "BootNotification") this.applyBootReply(message.payload);
  }

  /** A CALLERROR answering the charge point's call, or (2.1) a CALLRESULTERROR about the charge point's answer. */
  private async errorShaped(message: ErrorShaped): Promise<void> {
    const action = message.type === MessageTypeId.CallError ? this.s.cpCalls.actionOf(message.uniqueId) : undefined;
    const frame = errorShapedText(message.type, message.uniqueId, message.errorCode, message.errorDescription, message.errorDetailsText);
    if (!this.s.toChargePoint(frame)) return this.reportNotConnected(message.uniqueId, action);
    if (action !== undefined) this.s.cpCalls.answered(message.uniqueId, action, this.s.ports.now(), false);
  }

  /**
   * Reference §3 (ours): only the answer to the charge point's BootNotification sets the heartbeat interval (the
   * same rule in 1.6 and 2.x: an `Accepted` answer's `interval`).
   */
  private applyBootReply(payload: JsonObject): void {
    const interval = heartbeatFromBootReply(payload);
    if (interval === undefined) return;
    this.s.state.heartbeatInterval = interval;
    this.s.state.heartbeatSince = this.s.ports.now();
    log("info", "heartbeat_interval", { cid: this.s.conn.cid, interval });
  }

  private reportNotConnected(uniqueId: string, action: string | undefined): Promise<void> {
    const { csms } = this.s;
    return csms.report({
      uniqueId,
      ...(action === undefined ? {} : { action }),
      errorCode: csms.code(ErrorKind.Generic),
      errorDescription: "charge point is not connected",
      reason: "not_connected",
    });
  }
}
