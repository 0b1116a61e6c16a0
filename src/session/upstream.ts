/**
 * Upstream (reference §4): every frame from the charge point is parsed in stages for its OCPP version; a CALL whose
 * UniqueId can be read but is malformed or invalid is answered with a CALLERROR; a good frame is published as the
 * EMQX envelope on its topic; replies that answer a CSMS call carry that call's Action and are checked against its
 * response schema. Each message type is handled in one method. Frames over the rate limit are refused; a call the
 * gateway refuses itself is answered no sooner than the limit allows the next frame (rate-limit.ts).
 */
import { log } from "../log";
import { upstreamEnvelope } from "../mqtt/envelope";
import {
  callErrorText,
  errorShapedText,
  parseFrame,
  type CallErrorFrame,
  type CallFrame,
  type CallResultErrorFrame,
  type CallResultFrame,
  type FrameError,
  type SendFrame,
} from "../ocpp/frame";
import { ErrorKind, isSendAction, MessageTypeId, notASendMessage } from "../ocpp/protocol";
import { failureDetails } from "./checks";
import { CLOSE_POLICY_VIOLATION } from "./connection";
import type { Answer } from "./downstream-calls";
import { DisconnectReason, frameArrived } from "./lifecycle";
import type { MessageClass } from "./outbox";
import type { SessionParts } from "./parts";

/** An answer to one of the CSMS's calls ends it: the outbox keeps room for it (outbox.ts). */
function endingIf(answer: Answer): MessageClass {
  return answer.kind === "unknown" ? "normal" : "ending";
}

export class Upstream {
  constructor(private readonly s: SessionParts) {}

  /** A text frame, `arrivedAt` when the runtime handed it over (the rate limit judges arrival, not turn). */
  async handle(text: string, arrivedAt: number): Promise<void> {
    const { state, limit } = this.s;
    state.recv++;
    frameArrived(state, arrivedAt);
    const parsed = parseFrame(text, this.s.conn.protocol);
    if (!parsed.ok) {
      // Malformed frames take a token like any other; over the limit, a malformed CALL is still answered.
      if (!limit.take(arrivedAt)) return this.overLimit(parsed.error.answerable ? parsed.error.uniqueId : undefined);
      state.limited = 0;
      return this.badFrame(parsed.error, text);
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case MessageTypeId.Call:
        if (!limit.isPacedCall() && !limit.take(arrivedAt)) return this.overLimit(frame.uniqueId);
        this.admitted();
        return this.call(frame, text, arrivedAt);
      case MessageTypeId.CallResult: {
        const answer = await this.s.csmsCalls.answer(frame.uniqueId);
        // Answers to the gateway's own calls are paced by the gateway (one outstanding call): never limited.
        if (answer.kind === "unknown" && !limit.take(arrivedAt)) return this.overLimit(undefined);
        this.admitted();
        return this.callResult(frame, text, answer);
      }
      case MessageTypeId.CallError: {
        const answer = await this.s.csmsCalls.answer(frame.uniqueId);
        if (answer.kind === "unknown" && !limit.take(arrivedAt)) return this.overLimit(undefined);
        this.admitted();
        return this.callError(frame, answer);
      }
      case MessageTypeId.CallResultError:
        if (!limit.take(arrivedAt)) return this.overLimit(undefined);
        return this.callResultError(frame, text);
      case MessageTypeId.Send:
        if (!limit.take(arrivedAt)) return this.overLimit(undefined);
        return this.send(frame, text);
      default:
        return frame satisfies never;
    }
  }

  private async call(frame: CallFrame, text: string, arrivedAt: number): Promise<void> {
    const { csms } = this.s;
    const refused = await csms.check("upstream", frame.action, "request", frame.payload, { messageTypeId: frame.type, uniqueId: frame.uniqueId, text });
    if (refused !== undefined) {
      this.refuse(callErrorText(frame.uniqueId, csms.code(refused.kind), refused.description, JSON.stringify(failureDetails(refused))));
      return;
    }
    this.s.cpCalls.remember(frame.uniqueId, frame.action, arrivedAt);
    if (!(await csms.publish(this.callTopic(frame.action), upstreamEnvelope(frame), "call", frame.uniqueId))) {
      this.s.cpCalls.forget(frame.uniqueId);
      // The charge point's own retry logic takes over; nothing was accepted and then dropped.
      this.refuse(callErrorText(frame.uniqueId, csms.code(ErrorKind.Internal), "upstream unavailable"));
    }
  }

  /**
   * OCPP 2.1 SEND: a call that is never answered, allowed while a call is outstanding, and only for the version's
   * SEND messages (Part 4 §4.2.5). Published like a CALL; an invalid one is not relayed, and (never answered on the
   * wire) is reported only on the diagnostics topic.
   */
  private async send(frame: SendFrame, text: string): Promise<void> {
    const { csms, conn } = this.s;
    if (!isSendAction(conn.protocol, frame.action)) return this.refuseFrame(frame, text, notASendMessage(conn.protocol, frame.action));
    this.admitted();
    const refused = await csms.check("upstream", frame.action, "request", frame.payload, { messageTypeId: frame.type, uniqueId: frame.uniqueId, text });
    if (refused !== undefined) return;
    await csms.publish(this.callTopic(frame.action), upstreamEnvelope(frame), "send", frame.uniqueId);
  }

  private async callResult(frame: CallResultFrame, text: string, answer: Answer): Promise<void> {
    const { csms, conn } = this.s;
    const action = answer.kind === "unknown" ? undefined : answer.action;
    const refused =
      action === undefined
        ? undefined
        : await csms.check("upstream", action, "response", frame.payload, { messageTypeId: frame.type, uniqueId: frame.uniqueId, text });
    if (refused !== undefined && action !== undefined) {
      await csms.report({
        uniqueId: frame.uniqueId,
        action,
        errorCode: csms.code(refused.kind),
        errorDescription: `the charge point's answer is invalid: ${refused.description}`,
        errorDetails: failureDetails(refused),
        reason: "invalid",
      });
      // OCPP 2.1 Part 4 §4.2.4: the receiver of an invalid CALLRESULT says so; 1.6 and 2.0.1 have no way to.
      if (conn.protocol.answersInvalidResult) {
        const details = JSON.stringify(failureDetails(refused));
        this.s.toChargePoint(errorShapedText(MessageTypeId.CallResultError, frame.uniqueId, csms.code(refused.kind), refused.description, details));
      }
    } else {
      const topic = csms.topic(conn.config.upstream.reply_topic, action);
      await csms.publish(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_result", frame.uniqueId, endingIf(answer));
    }
    if (answer.kind === "answered") await this.s.sendNext();
  }

  private async callError(frame: CallErrorFrame, answer: Answer): Promise<void> {
    const { csms, conn } = this.s;
    const action = answer.kind === "unknown" ? undefined : answer.action;
    const topic = csms.topic(conn.config.upstream.error_topic, action);
    await csms.publish(topic, upstreamEnvelope(frame, action, answer.kind === "late"), "call_error", frame.uniqueId, endingIf(answer));
    if (answer.kind === "answered") await this.s.sendNext();
  }

  /**
   * OCPP 2.1: the charge point found the CSMS's CALLRESULT to one of its calls invalid (Part 4 §4.2.4), once per
   * CALLRESULT. One about anything else (the CSMS's own outstanding call, say) would read to a CSMS correlating by
   * UniqueId as the answer to that call: it is refused.
   */
  private async callResultError(frame: CallResultErrorFrame, text: string): Promise<void> {
    const { csms, conn } = this.s;
    const action = this.s.cpCalls.takeAnswered(frame.uniqueId);
    if (action === undefined) {
      return this.refuseFrame(frame, text, `CALLRESULTERROR ${frame.uniqueId} is about no CALLRESULT the CSMS sent to this charge point`);
    }
    this.admitted();
    const topic = csms.topic(conn.config.upstream.error_topic, action);
    await csms.publish(topic, upstreamEnvelope(frame, action), "call_result_error", frame.uniqueId);
  }

  private callTopic(action: string): string {
    const { upstream } = this.s.conn.config;
    const template = Object.hasOwn(upstream.topic_override_mapping, action) ? (upstream.topic_override_mapping[action] as string) : upstream.topic;
    return this.s.csms.topic(template, action);
  }

  private async badFrame(error: FrameError, text: string): Promise<void> {
    const { state, conn, csms } = this.s;
    state.badFrames++;
    state.malformed++;
    log("warn", "bad_frame", {
      cid: conn.cid,
      reason: error.message,
      uniqueId: error.uniqueId,
      count: state.badFrames,
      frame: text.length > 256 ? `${text.slice(0, 256)}…` : text,
    });
    if (error.answerable && error.uniqueId !== undefined) {
      this.refuse(callErrorText(error.uniqueId, csms.code(error.kind), error.message));
    } else if (
      error.uniqueId !== undefined &&
      (error.messageTypeId === MessageTypeId.CallResult || error.messageTypeId === MessageTypeId.CallError)
    ) {
      // A malformed answer to one of the CSMS's calls: tell the CSMS instead of letting its call hang.
      const answer = await this.s.csmsCalls.answer(error.uniqueId);
      if (answer.kind !== "unknown") {
        await csms.report({
          uniqueId: error.uniqueId,
          action: answer.action,
          errorCode: csms.code(ErrorKind.Formation),
          errorDescription: `the charge point's answer was malformed: ${error.message}`,
          reason: "malformed",
        });
        if (answer.kind === "answered") await this.s.sendNext();
      }
    }
    if (state.badFrames >= conn.config.max_bad_frames) {
      log("warn", "closing_bad_frames", { cid: conn.cid, count: state.badFrames });
      await this.s.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, DisconnectReason.ProtocolError, "too many malformed frames");
    }
  }

  /**
   * A well-formed 2.1 frame the RPC framework does not allow here. Neither SEND nor CALLRESULTERROR can be answered
   * on the wire, so it is reported on the diagnostics topic and counted and logged as a malformed frame (a run of
   * `max_bad_frames` closes); it is never published as if valid.
   */
  private async refuseFrame(frame: SendFrame | CallResultErrorFrame, text: string, reason: string): Promise<void> {
    this.s.state.limited = 0;
    const action = frame.type === MessageTypeId.Send ? frame.action : undefined;
    await this.s.csms.reportRefused({ messageTypeId: frame.type, uniqueId: frame.uniqueId, action, kind: ErrorKind.Protocol, description: reason, text });
    return this.badFrame({ kind: ErrorKind.Protocol, message: reason, uniqueId: frame.uniqueId, messageTypeId: frame.type, answerable: false }, text);
  }

  /**
   * Sends one of the gateway's own CALLERRORs to the charge point, counted for the metrics. Unless `paced` is false,
   * it goes no sooner than the rate limit allows the charge point's next frame: a charger that waits for each answer
   * is slowed to the limit instead of being refused (rate-limit.ts).
   */
  private refuse(text: string, paced = true): void {
    const { state, limit, ports } = this.s;
    state.callErrors++;
    this.s.toChargePoint(text, paced ? limit.nextTokenAt(ports.now()) : undefined);
  }

  /** A well-formed frame within the limit: the runs of malformed and refused frames are over. */
  private admitted(): void {
    this.s.state.badFrames = 0;
    this.s.state.limited = 0;
  }

  /**
   * Over the limit: a CALL whose UniqueId is known is refused (the charger retries it), until `max_bad_frames` of
   * them in a row; anything else, or a longer run, closes the connection.
   */
  private async overLimit(callId: string | undefined): Promise<void> {
    const { conn, csms, limit, state } = this.s;
    state.limited++;
    log("warn", "rate_limited", { cid: conn.cid, uniqueId: callId, inRow: state.limited });
    if (callId !== undefined && state.limited < conn.config.max_bad_frames) {
      this.refuse(callErrorText(callId, csms.code(ErrorKind.Generic), limit.describe()), false);
      return;
    }
    return this.s.ports.closeChargePoint(CLOSE_POLICY_VIOLATION, DisconnectReason.RateLimited, limit.describe());
  }
}
