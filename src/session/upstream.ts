/**
 * Upstream (reference §4): every frame from the charge point is parsed in stages; a CALL whose UniqueId can be read
 * but is malformed or invalid is answered with a CALLERROR; a good frame is published as the EMQX envelope on its
 * topic; replies that answer a downstream call carry that call's Action and are checked against its response
 * schema. Frames over the rate limit are refused, except those OCPP-J's one-outstanding-call rule already paces.
 */
import { log } from "../log";
import { upstreamEnvelope } from "../mqtt/envelope";
import { callErrorText, parseFrame, type CallFrame, type CallResultFrame, type FrameError } from "../ocpp/frame";
import { ErrorKind, MessageTypeId } from "../ocpp/protocol";
import { failureDetails } from "./checks";
import { DisconnectReason } from "./lifecycle";
import type { Answer } from "./downstream-calls";
import type { MessageClass } from "./outbox";
import { CLOSE_POLICY_VIOLATION, RelayCore } from "./relay-core";

/** An answer to one of the CSMS's calls ends it: the outbox keeps room for it (outbox.ts). */
function endingIf(answer: Answer): MessageClass {
  return answer.kind === "unknown" ? "normal" : "ending";
}

export abstract class UpstreamRelay extends RelayCore {
  /**
   * A text frame from the charge point, `arrivedAt` when the runtime handed it over (frames can wait behind a slow
   * publish; the rate limit must judge when they were sent, not when they were processed).
   */
  async fromChargePoint(text: string, arrivedAt: number = this.ports.now()): Promise<void> {
    this.state.recv++;
    this.state.lastSeen = Math.max(this.state.lastSeen, arrivedAt);
    const parsed = parseFrame(text, this.conn.protocol);
    if (!parsed.ok) {
      // A malformed CALL is answered with its error either way (and counted towards max_bad_frames).
      if (parsed.error.answerable || this.takeToken(arrivedAt)) return this.onBadFrame(parsed.error, text);
      return this.overLimit(undefined);
    }
    this.state.badFrames = 0;
    const frame = parsed.frame;
    switch (frame.type) {
      case MessageTypeId.Call:
        if (!this.isCompliantCall() && !this.takeToken(arrivedAt)) return this.overLimit(frame.uniqueId);
        return this.upstreamCall(frame, text);
      case MessageTypeId.CallResult: {
        const answer = await this.calls.answer(frame.uniqueId);
        // Answers to the gateway's own calls are paced by the gateway (one outstanding call): never limited.
        if (answer.kind === "unknown" && !this.takeToken(arrivedAt)) return this.overLimit(undefined);
        return this.upstreamResult(frame, text, answer);
      }
      case MessageTypeId.CallError: {
        const answer = await this.calls.answer(frame.uniqueId);
        if (answer.kind === "unknown" && !this.takeToken(arrivedAt)) return this.overLimit(undefined);
        const action = answer.kind === "unknown" ? undefined : answer.action;
        const topic = this.topic(this.conn.config.upstream.error_topic, action);
        await this.publishOrLog(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_error", frame.uniqueId, endingIf(answer));
        if (answer.kind === "answered") await this.sendNext();
        return;
      }
      default:
        frame satisfies never;
    }
  }

  /**
   * OCPP-J 1.6 §4.1.1: a charge point sends a CALL only once its previous one was answered. A CALL that follows an
   * answer from the CSMS, with nothing else outstanding, obeys that rule and is paced by the CSMS itself: it is
   * never rate limited (an offline queue flushed one call per answer goes through at the CSMS's speed). Answers the
   * gateway made itself (refusals) earn nothing, so a charger cannot pace itself on them.
   */
  private isCompliantCall(): boolean {
    if (this.state.csmsAnswered < 1 || this.state.cpCalls.length > 0) return false;
    this.state.csmsAnswered = 0;
    return true;
  }

  /** Over the limit: a CALL whose UniqueId is known is refused (the charger retries it); anything else closes. */
  private async overLimit(callId: string | undefined): Promise<void> {
    const limit = `rate limit exceeded: at most ${this.conn.config.max_frames_per_second} frames per second`;
    log("warn", "rate_limited", { cid: this.conn.cid, uniqueId: callId });
    if (callId !== undefined) {
      this.send(callErrorText(callId, this.code(ErrorKind.Generic), limit));
      return;
    }
    return this.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, DisconnectReason.RateLimited, limit);
  }

  protected async onBadFrame(error: FrameError, text: string): Promise<void> {
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

  protected async upstreamCall(frame: CallFrame, text: string): Promise<void> {
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

  protected async upstreamResult(frame: CallResultFrame, text: string, answer: Answer): Promise<void> {
    const action = answer.kind === "unknown" ? undefined : answer.action;
    const refused =
      action === undefined
        ? undefined
        : await this.check("upstream", action, "response", frame.payload, { messageTypeId: frame.type, uniqueId: frame.uniqueId, text });
    if (refused !== undefined && action !== undefined) {
      await this.reportToCsms({
        uniqueId: frame.uniqueId,
        action,
        errorCode: this.code(refused.kind),
        errorDescription: `the charge point's answer is invalid: ${refused.description}`,
        errorDetails: failureDetails(refused),
        reason: "invalid",
      });
    } else {
      const topic = this.topic(this.conn.config.upstream.reply_topic, action);
      await this.publishOrLog(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_result", frame.uniqueId, endingIf(answer));
    }
    if (answer.kind === "answered") await this.sendNext();
  }

  /** Token bucket: `max_frames_per_second` per second, bursts of twice that, counted at arrival. */
  protected takeToken(arrivedAt: number): boolean {
    const rate = this.conn.config.max_frames_per_second;
    if (rate === 0) return true;
    const now = Math.max(arrivedAt, this.state.tokensAt);
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
}
