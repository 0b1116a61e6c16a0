/**
 * OCPP-J frames (OCPP-J 1.6 §4): parsing in stages, each stage failing with one specific error, and serialising.
 *
 *   JSON → array → MessageTypeId → UniqueId → shape of the type → payload → no duplicate keys
 *
 * A failure knows whether it can be answered with a CALLERROR: only a CALL (or a frame of unknown type) whose
 * UniqueId could be read. A malformed CALLRESULT or CALLERROR is never answered (OCPP-J §4.2.3: CALLERROR only
 * replies to a CALL), but its UniqueId is kept so the gateway can tell the CSMS which call went wrong.
 */
import { duplicateKeyWhere, hasDuplicateKeys, lastElementSpan, sliceSpan } from "./json-scan";
import { ErrorKind, hasMessageType, isSignedAction, MessageTypeId, type OcppProtocol } from "./protocol";

export type JsonObject = { [key: string]: unknown };

export interface CallFrame {
  readonly type: typeof MessageTypeId.Call;
  readonly uniqueId: string;
  readonly action: string;
  readonly payload: JsonObject;
  /** The payload exactly as the sender wrote it. */
  readonly payloadText: string;
}

export interface CallResultFrame {
  readonly type: typeof MessageTypeId.CallResult;
  readonly uniqueId: string;
  readonly payload: JsonObject;
  readonly payloadText: string;
}

export interface CallErrorFrame {
  readonly type: typeof MessageTypeId.CallError;
  readonly uniqueId: string;
  readonly errorCode: string;
  readonly errorDescription: string;
  readonly errorDetails: JsonObject;
  readonly errorDetailsText: string;
}

/** OCPP 2.1 Part 4 §4.2.4: the receiver of a CALLRESULT reports it invalid; the shape of a CALLERROR. */
export interface CallResultErrorFrame {
  readonly type: typeof MessageTypeId.CallResultError;
  readonly uniqueId: string;
  readonly errorCode: string;
  readonly errorDescription: string;
  readonly errorDetails: JsonObject;
  readonly errorDetailsText: string;
}

/** OCPP 2.1 Part 4 §4.2.5: the shape of a CALL, never answered. */
export interface SendFrame {
  readonly type: typeof MessageTypeId.Send;
  readonly uniqueId: string;
  readonly action: string;
  readonly payload: JsonObject;
  readonly payloadText: string;
}

export type Frame = CallFrame | CallResultFrame | CallErrorFrame | CallResultErrorFrame | SendFrame;

export interface FrameError {
  readonly kind: ErrorKind;
  /** Plain-words reason, used as ErrorDescription. */
  readonly message: string;
  /** Present when the UniqueId could be read. */
  readonly uniqueId?: string;
  /** Present when the MessageTypeId could be read as a number. */
  readonly messageTypeId?: number;
  /** True when a CALLERROR may be sent back to the sender. */
  readonly answerable: boolean;
}

export type FrameResult = { readonly ok: true; readonly frame: Frame } | { readonly ok: false; readonly error: FrameError };

/**
 * OCPP action names are alphanumeric words ("BootNotification", "Get15118EVCertificate"); OCPP 2.1 Part 4 §7
 * signs a message by sending it under its action name with the suffix "-Signed".
 */
const ACTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}(?:-Signed)?$/;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `value` is an action name; a signed one (`<Action>-Signed`) only when `allowSigned` (OCPP 2.1). */
export function isActionName(value: string, allowSigned = false): boolean {
  return ACTION_NAME.test(value) && (allowSigned || !isSignedAction(value));
}

function fail(error: FrameError): FrameResult {
  return { ok: false, error };
}

export function parseFrame(text: string, protocol: OcppProtocol): FrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail({ kind: ErrorKind.Formation, message: "frame is not valid JSON", answerable: false });
  }
  if (!Array.isArray(value)) {
    return fail({ kind: ErrorKind.Formation, message: "frame is not a JSON array", answerable: false });
  }
  const [typeId, rawId] = value as unknown[];
  const uniqueId = typeof rawId === "string" ? rawId : undefined;
  const idPart = uniqueId === undefined ? {} : { uniqueId };
  if (typeof typeId !== "number" || !Number.isInteger(typeId)) {
    return fail({ kind: ErrorKind.Formation, message: "MessageTypeId is not an integer", answerable: false, ...idPart });
  }
  if (!hasMessageType(protocol, typeId)) {
    const known = [...protocol.messageTypes].map((t) => `${t} (${TYPE_NAMES[t]})`).join(", ");
    return fail({
      kind: ErrorKind.MessageTypeNotSupported,
      message: `MessageTypeId ${typeId} is not one of ${known}`,
      messageTypeId: typeId,
      answerable: uniqueId !== undefined,
      ...idPart,
    });
  }
  const answerable = typeId === MessageTypeId.Call;
  if (uniqueId === undefined) {
    const message = value.length < 2 ? "UniqueId is missing" : "UniqueId is not a string";
    // OCPP 2.x Part 4 §4.2.3: a CALL whose id cannot be read is answered under the id "-1"; 1.6 cannot answer it.
    if (answerable && protocol.unreadableIdAnswer !== undefined) {
      return fail({ kind: ErrorKind.RpcFramework, message, messageTypeId: typeId, answerable: true, uniqueId: protocol.unreadableIdAnswer });
    }
    return fail({ kind: ErrorKind.Formation, message, messageTypeId: typeId, answerable: false });
  }
  const base = { messageTypeId: typeId, uniqueId, answerable };
  if (uniqueId.length === 0 || uniqueId.length > protocol.maxUniqueIdLength) {
    return fail({
      ...base,
      kind: ErrorKind.Formation,
      message: `UniqueId must be 1 to ${protocol.maxUniqueIdLength} characters long`,
    });
  }
  const result = parseShape(text, value, typeId, base, protocol);
  if (result.ok && hasDuplicateKeys(text, value)) {
    // The frame is relayed as written: a receiver that keeps the first of two keys would read something the
    // checks never saw. FormationViolation: the payload does not conform to the PDU (OCPP-J 1.6 §4.2.3).
    return fail({ ...base, kind: ErrorKind.Formation, message: `frame has a duplicate key${duplicateKeyWhere(text)}` });
  }
  return result;
}

const TYPE_NAMES: Readonly<Record<MessageTypeId, string>> = {
  [MessageTypeId.Call]: "CALL",
  [MessageTypeId.CallResult]: "CALLRESULT",
  [MessageTypeId.CallError]: "CALLERROR",
  [MessageTypeId.CallResultError]: "CALLRESULTERROR",
  [MessageTypeId.Send]: "SEND",
};

function parseShape(text: string, value: unknown[], typeId: MessageTypeId, base: Base, protocol: OcppProtocol): FrameResult {
  switch (typeId) {
    case MessageTypeId.Call:
    case MessageTypeId.Send:
      return parseCallShaped(text, value, typeId, base, protocol.signedMessages);
    case MessageTypeId.CallResult:
      return parseCallResult(text, value, base);
    case MessageTypeId.CallError:
    case MessageTypeId.CallResultError:
      return parseErrorShaped(text, value, typeId, base);
    default:
      return typeId satisfies never;
  }
}

type Base = { messageTypeId: number; uniqueId: string; answerable: boolean };

/** Raw text of the frame's last element (the payload or ErrorDetails), at `index`. */
function elementText(text: string, index: number): string {
  const span = lastElementSpan(text, index);
  // parseFrame only asks for the last element of an array it has already parsed with that length.
  if (span === undefined) throw new Error(`element ${index} missing from a parsed frame`);
  return sliceSpan(text, span);
}

function parseCallShaped(
  text: string,
  value: unknown[],
  typeId: typeof MessageTypeId.Call | typeof MessageTypeId.Send,
  base: Base,
  allowSigned: boolean,
): FrameResult {
  const name = TYPE_NAMES[typeId];
  if (value.length < 4) {
    return fail({ ...base, kind: ErrorKind.Protocol, message: `${name} must have 4 elements: [${typeId}, UniqueId, Action, Payload]` });
  }
  if (value.length > 4) {
    return fail({ ...base, kind: ErrorKind.Formation, message: `${name} has more than 4 elements` });
  }
  const [, , action, payload] = value;
  if (typeof action !== "string" || !isActionName(action, allowSigned)) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "Action must be an alphanumeric action name" });
  }
  if (!isJsonObject(payload)) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "Payload must be a JSON object" });
  }
  return { ok: true, frame: { type: typeId, uniqueId: base.uniqueId, action, payload, payloadText: elementText(text, 3) } };
}

function parseCallResult(text: string, value: unknown[], base: Base): FrameResult {
  if (value.length !== 3) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "CALLRESULT must have 3 elements: [3, UniqueId, Payload]" });
  }
  const payload = value[2];
  if (!isJsonObject(payload)) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "Payload must be a JSON object" });
  }
  return {
    ok: true,
    frame: { type: MessageTypeId.CallResult, uniqueId: base.uniqueId, payload, payloadText: elementText(text, 2) },
  };
}

function parseErrorShaped(
  text: string,
  value: unknown[],
  typeId: typeof MessageTypeId.CallError | typeof MessageTypeId.CallResultError,
  base: Base,
): FrameResult {
  if (value.length !== 5) {
    return fail({
      ...base,
      kind: ErrorKind.Formation,
      message: `${TYPE_NAMES[typeId]} must have 5 elements: [${typeId}, UniqueId, ErrorCode, ErrorDescription, ErrorDetails]`,
    });
  }
  const [, , errorCode, errorDescription, errorDetails] = value;
  if (typeof errorCode !== "string" || errorCode.length === 0) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "ErrorCode must be a non-empty string" });
  }
  if (typeof errorDescription !== "string") {
    return fail({ ...base, kind: ErrorKind.Formation, message: "ErrorDescription must be a string" });
  }
  if (!isJsonObject(errorDetails)) {
    return fail({ ...base, kind: ErrorKind.Formation, message: "ErrorDetails must be a JSON object" });
  }
  return {
    ok: true,
    frame: {
      type: typeId,
      uniqueId: base.uniqueId,
      errorCode,
      errorDescription,
      errorDetails,
      errorDetailsText: elementText(text, 4),
    },
  };
}

export function callText(uniqueId: string, action: string, payloadText: string): string {
  return `[2,${JSON.stringify(uniqueId)},${JSON.stringify(action)},${payloadText}]`;
}

export function callResultText(uniqueId: string, payloadText: string): string {
  return `[3,${JSON.stringify(uniqueId)},${payloadText}]`;
}

export function callErrorText(uniqueId: string, errorCode: string, errorDescription: string, detailsText = "{}"): string {
  return errorShapedText(MessageTypeId.CallError, uniqueId, errorCode, errorDescription, detailsText);
}

export function sendText(uniqueId: string, action: string, payloadText: string): string {
  return `[6,${JSON.stringify(uniqueId)},${JSON.stringify(action)},${payloadText}]`;
}

/** OCPP 2.x Part 4 §4.2.3: ErrorDescription is at most 255 characters (1.6 sets no limit; the gateway keeps to it). */
const MAX_ERROR_DESCRIPTION = 255;

/** CALLERROR (4) or CALLRESULTERROR (5). */
export function errorShapedText(
  type: typeof MessageTypeId.CallError | typeof MessageTypeId.CallResultError,
  uniqueId: string,
  errorCode: string,
  errorDescription: string,
  detailsText = "{}",
): string {
  const description = errorDescription.length > MAX_ERROR_DESCRIPTION ? `${errorDescription.slice(0, MAX_ERROR_DESCRIPTION - 1)}…` : errorDescription;
  return `[${type},${JSON.stringify(uniqueId)},${JSON.stringify(errorCode)},${JSON.stringify(description)},${detailsText}]`;
}
