/**
 * The JSON envelope of EMQX's OCPP gateway, both ways.
 *
 * Upstream (charge point → MQTT):
 *   CALL            {"MessageTypeId":2,"UniqueId","Action","Payload"}
 *   CALLRESULT      {"MessageTypeId":3,"UniqueId","Action"?,"Payload"}                 Action: the call it answers
 *   CALLERROR       {"MessageTypeId":4,"UniqueId","Action"?,"ErrorCode","ErrorDescription","ErrorDetails"}
 *   CALLRESULTERROR {"MessageTypeId":5,"UniqueId","Action"?,"ErrorCode","ErrorDescription","ErrorDetails"} (2.1)
 *   SEND            {"MessageTypeId":6,"UniqueId","Action","Payload"}                                        (2.1)
 * Payloads and ErrorDetails are the charge point's own bytes. Envelopes the gateway makes itself (a call refused,
 * an invalid message) are CALLERRORs that also carry "Origin":"gateway"; the charge point's own never do.
 *
 * Downstream (MQTT → charge point): the same shapes; `Action` is required on a CALL and a SEND and ignored on
 * replies, `ErrorDetails` is optional (sent as `{}` when absent). Types 5 and 6 only to a 2.1 charge point.
 */
import { duplicateKeyWhere, hasDuplicateKeys, objectMemberSpans, sliceSpan } from "../ocpp/json-scan";
import { isActionName, isJsonObject, type Frame, type JsonObject } from "../ocpp/frame";
import { ErrorKind, hasMessageType, isKnownErrorCode, isSendAction, MessageTypeId, notASendMessage, type OcppProtocol } from "../ocpp/protocol";

export const GATEWAY_ORIGIN = "gateway";

function member(name: string, valueJson: string): string {
  return `"${name}":${valueJson}`;
}

/**
 * Envelope for a frame received from the charge point. `action` is the answered call's Action, when known;
 * `late` marks an answer that arrived after the gateway had given the call up ("Late":true).
 */
export function upstreamEnvelope(frame: Frame, action?: string, late = false): string {
  const parts = [member("MessageTypeId", String(frame.type)), member("UniqueId", JSON.stringify(frame.uniqueId))];
  switch (frame.type) {
    case MessageTypeId.Call:
    case MessageTypeId.Send:
      parts.push(member("Action", JSON.stringify(frame.action)), member("Payload", frame.payloadText));
      break;
    case MessageTypeId.CallResult:
      if (action !== undefined) parts.push(member("Action", JSON.stringify(action)));
      parts.push(member("Payload", frame.payloadText));
      break;
    case MessageTypeId.CallError:
    case MessageTypeId.CallResultError:
      if (action !== undefined) parts.push(member("Action", JSON.stringify(action)));
      parts.push(
        member("ErrorCode", JSON.stringify(frame.errorCode)),
        member("ErrorDescription", JSON.stringify(frame.errorDescription)),
        member("ErrorDetails", frame.errorDetailsText),
      );
      break;
    default:
      frame satisfies never;
  }
  if (late) parts.push(member("Late", "true"));
  return `{${parts.join(",")}}`;
}

export interface GatewayError {
  readonly uniqueId: string;
  readonly action?: string;
  readonly errorCode: string;
  readonly errorDescription: string;
  readonly errorDetails?: JsonObject;
  /** Machine-readable cause ("timeout", "queue_full", "not_connected", "duplicate", "invalid", …). */
  readonly reason?: string;
}

/** A CALLERROR envelope made by the gateway (not by the charge point), marked with "Origin":"gateway". */
export function gatewayErrorEnvelope(error: GatewayError): string {
  return JSON.stringify({
    MessageTypeId: MessageTypeId.CallError,
    UniqueId: error.uniqueId,
    ...(error.action === undefined ? {} : { Action: error.action }),
    ErrorCode: error.errorCode,
    ErrorDescription: error.errorDescription,
    ErrorDetails: error.errorDetails ?? {},
    Origin: GATEWAY_ORIGIN,
    ...(error.reason === undefined ? {} : { Reason: error.reason }),
  });
}

export type DownstreamMessage =
  | {
      readonly type: typeof MessageTypeId.Call | typeof MessageTypeId.Send;
      readonly uniqueId: string;
      readonly action: string;
      readonly payload: JsonObject;
      readonly payloadText: string;
    }
  | {
      readonly type: typeof MessageTypeId.CallResult;
      readonly uniqueId: string;
      readonly payload: JsonObject;
      readonly payloadText: string;
    }
  | {
      readonly type: typeof MessageTypeId.CallError | typeof MessageTypeId.CallResultError;
      readonly uniqueId: string;
      readonly errorCode: string;
      readonly errorDescription: string;
      readonly errorDetailsText: string;
    };

export interface EnvelopeError {
  readonly kind: ErrorKind;
  readonly message: string;
  /** Present when the envelope's UniqueId could be read, so the CSMS can be told which message failed. */
  readonly uniqueId?: string;
  /** Present when the envelope named an Action. */
  readonly action?: string;
}

export type DownstreamResult =
  | { readonly ok: true; readonly message: DownstreamMessage }
  | { readonly ok: false; readonly error: EnvelopeError };

function missing(field: string, id: { uniqueId?: string; action?: string }): DownstreamResult {
  return { ok: false, error: { kind: ErrorKind.Protocol, message: `envelope has no ${field}`, ...id } };
}

function malformed(message: string, id: { uniqueId?: string; action?: string }): DownstreamResult {
  return { ok: false, error: { kind: ErrorKind.Formation, message, ...id } };
}

export function decodeDownstream(text: string, protocol: OcppProtocol): DownstreamResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return malformed("envelope is not valid JSON", {});
  }
  if (!isJsonObject(value)) return malformed("envelope is not a JSON object", {});
  const ids: { uniqueId?: string; action?: string } = {};
  if (typeof value.UniqueId === "string") ids.uniqueId = value.UniqueId;
  if (typeof value.Action === "string") ids.action = value.Action;
  // The Payload is forwarded as written: a duplicate key would reach the charge point unchecked (see json-scan.ts).
  if (hasDuplicateKeys(text, value)) return malformed(`envelope has a duplicate key${duplicateKeyWhere(text)}`, ids);

  const type = value.MessageTypeId;
  if (type === undefined) return missing("MessageTypeId", ids);
  if (typeof type !== "number" || !hasMessageType(protocol, type)) {
    return malformed(`MessageTypeId must be one of ${[...protocol.messageTypes].join(", ")} for an OCPP ${protocol.version} charge point`, ids);
  }
  if (value.UniqueId === undefined) return missing("UniqueId", ids);
  const uniqueId = ids.uniqueId;
  if (uniqueId === undefined) return malformed("UniqueId must be a string", ids);
  if (uniqueId.length === 0 || uniqueId.length > protocol.maxUniqueIdLength) {
    return malformed(`UniqueId must be 1 to ${protocol.maxUniqueIdLength} characters long`, ids);
  }
  const spans = objectMemberSpans(text);
  const raw = (name: string): string => {
    const span = spans?.get(name);
    if (span === undefined) throw new Error(`member ${name} missing from a parsed envelope`);
    return sliceSpan(text, span);
  };

  switch (type) {
    case MessageTypeId.Call:
    case MessageTypeId.Send: {
      if (value.Action === undefined) return missing("Action", ids);
      if (typeof value.Action !== "string" || !isActionName(value.Action, protocol.signedMessages)) {
        return malformed("Action must be an alphanumeric action name", ids);
      }
      // OCPP 2.1 Part 4 §4.2.5: SEND is only for the SEND messages; any other Action expects an answer SEND never gets.
      if (type === MessageTypeId.Send && !isSendAction(protocol, value.Action)) {
        return { ok: false, error: { kind: ErrorKind.Protocol, message: notASendMessage(protocol, value.Action), ...ids } };
      }
      if (value.Payload === undefined) return missing("Payload", ids);
      if (!isJsonObject(value.Payload)) return malformed("Payload must be a JSON object", ids);
      return {
        ok: true,
        message: { type, uniqueId, action: value.Action, payload: value.Payload, payloadText: raw("Payload") },
      };
    }
    case MessageTypeId.CallResult: {
      if (value.Payload === undefined) return missing("Payload", ids);
      if (!isJsonObject(value.Payload)) return malformed("Payload must be a JSON object", ids);
      return { ok: true, message: { type, uniqueId, payload: value.Payload, payloadText: raw("Payload") } };
    }
    case MessageTypeId.CallError:
    case MessageTypeId.CallResultError: {
      if (value.ErrorCode === undefined) return missing("ErrorCode", ids);
      if (typeof value.ErrorCode !== "string" || value.ErrorCode.length === 0) {
        return malformed("ErrorCode must be a non-empty string", ids);
      }
      // OCPP-J 1.6 §4.2.3: a CALLERROR's ErrorCode is one of the protocol's codes; a charge point may reject others.
      if (!isKnownErrorCode(protocol, value.ErrorCode)) {
        return malformed(`ErrorCode ${JSON.stringify(value.ErrorCode)} is not an OCPP ${protocol.version} error code`, ids);
      }
      if (value.ErrorDescription === undefined) return missing("ErrorDescription", ids);
      if (typeof value.ErrorDescription !== "string") return malformed("ErrorDescription must be a string", ids);
      if (value.ErrorDetails !== undefined && !isJsonObject(value.ErrorDetails)) {
        return malformed("ErrorDetails must be a JSON object", ids);
      }
      return {
        ok: true,
        message: {
          type,
          uniqueId,
          errorCode: value.ErrorCode,
          errorDescription: value.ErrorDescription,
          errorDetailsText: value.ErrorDetails === undefined ? "{}" : raw("ErrorDetails"),
        },
      };
    }
    default:
      return type satisfies never;
  }
}
