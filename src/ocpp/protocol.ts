/**
 * OCPP-J protocol vocabulary. The protocol version is a value that flows through parsing, validation and error
 * mapping (OCPP 2.0.1 and 2.1 spell several error codes differently and add message types), never an assumption.
 */

import { OCPP16_VALIDATORS } from "../generated/ocpp16-validators.gen.js";
import type { SchemaSet } from "./validation";

/** OCPP-J 1.6 §4.1.3 message type numbers. */
export const MessageTypeId = { Call: 2, CallResult: 3, CallError: 4 } as const;
export type MessageTypeId = (typeof MessageTypeId)[keyof typeof MessageTypeId];

/**
 * The error classes the gateway raises itself. Each protocol version maps them to its own spelling
 * (OCPP-J 1.6 §4.2.3 keeps the typo "OccurenceConstraintViolation"; 2.0.1 fixes it and renames FormationViolation).
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
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface OcppProtocol {
  /** WebSocket subprotocol token (RFC 6455 §1.9), e.g. "ocpp1.6". */
  readonly subprotocol: string;
  /** Version as shown to operators (EMQX `proto_ver`). */
  readonly version: string;
  /** Wire spelling of each error class. */
  readonly errorCodes: Readonly<Record<ErrorKind, string>>;
  /** Longest UniqueId the protocol allows (OCPP-J 1.6 §4.1.4: 36 characters). */
  readonly maxUniqueIdLength: number;
  /** Request and response schema of every Action of this version. */
  readonly schemas: SchemaSet;
}

export const OCPP16: OcppProtocol = {
  subprotocol: "ocpp1.6",
  version: "1.6",
  errorCodes: {
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
  },
  maxUniqueIdLength: 36,
  schemas: OCPP16_VALIDATORS,
};

/** Subprotocols the gateway speaks, in order of preference. */
export const SUPPORTED_PROTOCOLS: readonly OcppProtocol[] = [OCPP16];

export function protocolBySubprotocol(token: string): OcppProtocol | undefined {
  return SUPPORTED_PROTOCOLS.find((p) => p.subprotocol === token);
}

/** True when `code` is an error code of `protocol` (used to check CALLERRORs the CSMS asks us to send). */
export function isKnownErrorCode(protocol: OcppProtocol, code: string): boolean {
  return Object.values(protocol.errorCodes).includes(code);
}
