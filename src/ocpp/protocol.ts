/**
 * OCPP-J protocol vocabulary. The protocol version is a value that flows through parsing, validation, error mapping
 * and the session rules: one descriptor per version says which message types it has, how it spells errors, which
 * charge point ids it allows and which schemas check its payloads. Adding a version or a message type is a change
 * here and in the one place that handles the type.
 */

import { OCPP16_VALIDATORS } from "../generated/ocpp16-validators.gen.js";
import { OCPP201_VALIDATORS } from "../generated/ocpp201-validators.gen.js";
import { OCPP21_VALIDATORS } from "../generated/ocpp21-validators.gen.js";
import type { SchemaSet } from "./validation";

/**
 * Message type numbers: OCPP-J 1.6 §4.1.3 and OCPP 2.x Part 4 §4.1.3 (2, 3, 4); OCPP 2.1 Part 4 adds
 * CALLRESULTERROR (5: the receiver of a CALLRESULT reports it invalid) and SEND (6: a CALL that is never answered).
 */
export const MessageTypeId = { Call: 2, CallResult: 3, CallError: 4, CallResultError: 5, Send: 6 } as const;
export type MessageTypeId = (typeof MessageTypeId)[keyof typeof MessageTypeId];

/**
 * The error classes the gateway raises itself. Each protocol version maps them to its own spelling (OCPP-J 1.6
 * §4.2.3 keeps the typo "OccurenceConstraintViolation"; 2.0.1 fixes it, renames FormationViolation to
 * FormatViolation and adds RpcFrameworkError and MessageTypeNotSupported).
 */
export const ErrorKind = {
  NotImplemented: "NotImplemented",
  NotSupported: "NotSupported",
  Internal: "Internal",
  Protocol: "Protocol",
  Security: "Security",
  Formation: "Formation",
  PropertyConstraint: "PropertyConstraint",
  OccurrenceConstraint: "OccurrenceConstraint",
  TypeConstraint: "TypeConstraint",
  Generic: "Generic",
  /** The frame is not a valid RPC message (e.g. its UniqueId cannot be read). */
  RpcFramework: "RpcFramework",
  /** A message type number the version does not have, with a readable UniqueId. */
  MessageTypeNotSupported: "MessageTypeNotSupported",
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Which charge point ids a version allows, beyond the gateway's own id profile (src/ocpp/identity.ts). */
export interface IdentityRules {
  readonly maxLength: number;
  /** Characters the version forbids in an id (2.x: `:`, since the id is the HTTP Basic user name). */
  readonly forbidden: readonly string[];
}

export interface OcppProtocol {
  /** WebSocket subprotocol token (RFC 6455 §1.9), e.g. "ocpp1.6". */
  readonly subprotocol: string;
  /** Version as shown to operators (EMQX `proto_ver`) and in the `${proto_ver}` topic placeholder. */
  readonly version: string;
  /** Message types the version has. */
  readonly messageTypes: ReadonlySet<MessageTypeId>;
  /** Wire spelling of each error class the gateway raises. */
  readonly errorCodes: Readonly<Record<ErrorKind, string>>;
  /** Every error code of the version, for checking codes others ask the gateway to send. */
  readonly vocabulary: ReadonlySet<string>;
  /** Longest UniqueId the protocol allows (36 characters in every version). */
  readonly maxUniqueIdLength: number;
  /**
   * UniqueId of an answer to a CALL whose own UniqueId cannot be read; undefined when such a frame is not answered
   * (1.6). OCPP 2.x Part 4 §4.2.3: "-1".
   */
  readonly unreadableIdAnswer?: string;
  /** Whether an invalid CALLRESULT is answered on the wire with CALLRESULTERROR (2.1) or not at all. */
  readonly answersInvalidResult: boolean;
  /** Whether `<Action>-Signed` messages exist (OCPP 2.1 Part 4 §7: signed messages). */
  readonly signedMessages: boolean;
  /**
   * The actions SEND (6) may carry: the version's SEND messages, those with a request and no response schema
   * (OCPP 2.1 Part 4 §4.2.5; 2.1 has one, `NotifyPeriodicEventStream`). Empty for versions without SEND.
   */
  readonly sendActions: ReadonlySet<string>;
  readonly identity: IdentityRules;
  /** Request and response schema of every Action of this version. */
  readonly schemas: SchemaSet;
}

const OCPP16_CODES = {
  NotImplemented: "NotImplemented",
  NotSupported: "NotSupported",
  Internal: "InternalError",
  Protocol: "ProtocolError",
  Security: "SecurityError",
  Formation: "FormationViolation",
  PropertyConstraint: "PropertyConstraintViolation",
  OccurrenceConstraint: "OccurenceConstraintViolation",
  TypeConstraint: "TypeConstraintViolation",
  Generic: "GenericError",
  // 1.6 has neither: an unreadable frame or an unknown type is a formation problem there.
  RpcFramework: "FormationViolation",
  MessageTypeNotSupported: "FormationViolation",
} as const satisfies Record<ErrorKind, string>;

/** OCPP 2.0.1 and 2.1 Part 4 §4.2.3 (the same list in both). */
const OCPP2_CODES = {
  NotImplemented: "NotImplemented",
  NotSupported: "NotSupported",
  Internal: "InternalError",
  Protocol: "ProtocolError",
  Security: "SecurityError",
  Formation: "FormatViolation",
  PropertyConstraint: "PropertyConstraintViolation",
  OccurrenceConstraint: "OccurrenceConstraintViolation",
  TypeConstraint: "TypeConstraintViolation",
  Generic: "GenericError",
  RpcFramework: "RpcFrameworkError",
  MessageTypeNotSupported: "MessageTypeNotSupported",
} as const satisfies Record<ErrorKind, string>;

const CORE_TYPES = [MessageTypeId.Call, MessageTypeId.CallResult, MessageTypeId.CallError] as const;

/** A schema set's SEND messages: the actions it has no response schema for (schemas/build.mjs). */
function sendOnly(schemas: SchemaSet): ReadonlySet<string> {
  return new Set(Object.entries(schemas).flatMap(([action, pair]) => (pair.response === undefined ? [action] : [])));
}

export const OCPP16: OcppProtocol = {
  subprotocol: "ocpp1.6",
  version: "1.6",
  messageTypes: new Set(CORE_TYPES),
  errorCodes: OCPP16_CODES,
  vocabulary: new Set(Object.values(OCPP16_CODES)),
  maxUniqueIdLength: 36,
  answersInvalidResult: false,
  signedMessages: false,
  sendActions: new Set(),
  // The gateway's own profile (64 characters) is the only limit 1.6 has.
  identity: { maxLength: 64, forbidden: [] },
  schemas: OCPP16_VALIDATORS,
};

/** OCPP 2.x Part 4 §3.1.1: the identity is at most 48 characters and, being the Basic user name, has no ':'. */
const OCPP2_IDENTITY: IdentityRules = { maxLength: 48, forbidden: [":"] };

export const OCPP201: OcppProtocol = {
  subprotocol: "ocpp2.0.1",
  version: "2.0.1",
  messageTypes: new Set(CORE_TYPES),
  errorCodes: OCPP2_CODES,
  vocabulary: new Set(Object.values(OCPP2_CODES)),
  maxUniqueIdLength: 36,
  unreadableIdAnswer: "-1",
  answersInvalidResult: false,
  signedMessages: false,
  sendActions: new Set(),
  identity: OCPP2_IDENTITY,
  schemas: OCPP201_VALIDATORS,
};

export const OCPP21: OcppProtocol = {
  subprotocol: "ocpp2.1",
  version: "2.1",
  messageTypes: new Set([...CORE_TYPES, MessageTypeId.CallResultError, MessageTypeId.Send]),
  errorCodes: OCPP2_CODES,
  vocabulary: new Set(Object.values(OCPP2_CODES)),
  maxUniqueIdLength: 36,
  unreadableIdAnswer: "-1",
  answersInvalidResult: true,
  signedMessages: true,
  sendActions: sendOnly(OCPP21_VALIDATORS),
  identity: OCPP2_IDENTITY,
  schemas: OCPP21_VALIDATORS,
};

/** Every version the gateway speaks (the charge point's order of preference decides among them). */
export const SUPPORTED_PROTOCOLS: readonly OcppProtocol[] = [OCPP21, OCPP201, OCPP16];

/** The version a charge point that offers no subprotocol speaks (EMQX's behaviour, and 1.6 chargers in the field). */
export const IMPLICIT_PROTOCOL = OCPP16;

export function protocolBySubprotocol(token: string): OcppProtocol | undefined {
  return SUPPORTED_PROTOCOLS.find((p) => p.subprotocol === token);
}

/** True when `code` is an error code of `protocol` (used to check CALLERRORs the CSMS asks us to send). */
export function isKnownErrorCode(protocol: OcppProtocol, code: string): boolean {
  return protocol.vocabulary.has(code);
}

/** OCPP 2.1 Part 4 §7: a signed message travels under its action name with this suffix. */
export const SIGNED_SUFFIX = "-Signed";

export function isSignedAction(action: string): boolean {
  return action.endsWith(SIGNED_SUFFIX);
}

/** Whether SEND may carry `action` in `protocol`: one of its SEND messages, signed or not (Part 4 §4.2.5, §7). */
export function isSendAction(protocol: OcppProtocol, action: string): boolean {
  return protocol.sendActions.has(isSignedAction(action) ? action.slice(0, -SIGNED_SUFFIX.length) : action);
}

/** Why SEND may not carry `action`, in plain words. */
export function notASendMessage(protocol: OcppProtocol, action: string): string {
  return `SEND carries only the OCPP ${protocol.version} SEND messages (${[...protocol.sendActions].join(", ")}); ${action} is not one`;
}

export function hasMessageType(protocol: OcppProtocol, type: number): type is MessageTypeId {
  return protocol.messageTypes.has(type as MessageTypeId);
}
