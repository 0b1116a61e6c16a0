/**
 * Which messages are checked against the schemas, and what a failure does (reference §6; ours: every mode does
 * what its name says, for calls AND replies):
 *  - `message_format_checking` picks the directions (`all`, `upstream_only`, `dnstream_only`, `disable`);
 *  - `message_format_policy` says what a failure does: `enforce` refuses the message, `report` relays it anyway;
 *  - `message_format_overrides[Action]` replaces the policy for one Action in both directions, or `disable`s it.
 * Every failure, enforced or not, is also described for the diagnostics topic.
 */
import type { GatewayConfig, MessageFormatPolicy } from "../config/gateway-config";
import type { JsonObject } from "../ocpp/frame";
import { isSignedAction, type ErrorKind, type OcppProtocol } from "../ocpp/protocol";
import { validatePayload, type PayloadKind, type Violation } from "../ocpp/validation";

export type Direction = "upstream" | "dnstream";

/** ErrorDetails lists at most this many violations. */
const MAX_REPORTED_VIOLATIONS = 10;

export function policyFor(config: GatewayConfig, direction: Direction, action: string): MessageFormatPolicy | undefined {
  const checking = config.message_format_checking;
  if (checking === "disable" || (checking !== "all" && checking !== `${direction}_only`)) return undefined;
  const override = Object.hasOwn(config.message_format_overrides, action) ? config.message_format_overrides[action] : undefined;
  if (override === "disable") return undefined;
  return override ?? config.message_format_policy;
}

/** A failed check: what to answer, and whether the message is refused. */
export interface CheckFailure {
  readonly policy: MessageFormatPolicy;
  readonly kind: ErrorKind;
  readonly description: string;
  readonly violations: readonly Violation[];
}

export function checkPayload(
  protocol: OcppProtocol,
  config: GatewayConfig,
  direction: Direction,
  action: string,
  kind: PayloadKind,
  payload: JsonObject,
): CheckFailure | undefined {
  const policy = policyFor(config, direction, action);
  if (policy === undefined) return undefined;
  // OCPP 2.1 Part 4 §7: a signed message's payload is a signature container over the named message; the gateway
  // holds no key to open it, so only the frame's shape was checked (the receiver verifies the signature).
  if (isSignedAction(action)) return undefined;
  const result = validatePayload(protocol.schemas, action, kind, payload);
  if (result.ok) return undefined;
  if (result.unknownAction) return { policy, kind: result.kind, description: result.description, violations: [] };
  return { policy, ...result.failure };
}

/** ErrorDetails for a failed check: the failing paths and rules. */
export function failureDetails(failure: CheckFailure): JsonObject {
  return { errors: failure.violations.slice(0, MAX_REPORTED_VIOLATIONS).map((v) => ({ ...v })) };
}

/** The record published on the diagnostics topic for every failed check. */
export function diagnosticsRecord(input: {
  readonly cid: string;
  readonly direction: Direction;
  readonly failure: CheckFailure;
  readonly errorCode: string;
  readonly messageTypeId: number;
  readonly uniqueId: string;
  readonly action: string;
  /** The frame or envelope as received; valid JSON. */
  readonly frameText: string;
  readonly at: number;
}): string {
  const head = JSON.stringify({
    event: "validation_failed",
    clientid: input.cid,
    direction: input.direction,
    policy: input.failure.policy,
    relayed: input.failure.policy === "report",
    MessageTypeId: input.messageTypeId,
    UniqueId: input.uniqueId,
    Action: input.action,
    ErrorCode: input.errorCode,
    ErrorDescription: input.failure.description,
    errors: input.failure.violations,
    at: input.at,
  });
  return `${head.slice(0, -1)},"frame":${input.frameText}}`;
}

/**
 * The record published on the diagnostics topic for a well-formed frame the RPC framework does not allow where it
 * came (OCPP 2.1: a SEND of a call's Action, a CALLRESULTERROR about no CALLRESULT), never relayed.
 */
export function refusedFrameRecord(input: {
  readonly cid: string;
  readonly errorCode: string;
  readonly description: string;
  readonly messageTypeId: number;
  readonly uniqueId: string;
  readonly action?: string | undefined;
  /** The frame as received; valid JSON. */
  readonly frameText: string;
  readonly at: number;
}): string {
  const head = JSON.stringify({
    event: "frame_refused",
    clientid: input.cid,
    direction: "upstream",
    relayed: false,
    MessageTypeId: input.messageTypeId,
    UniqueId: input.uniqueId,
    ...(input.action === undefined ? {} : { Action: input.action }),
    ErrorCode: input.errorCode,
    ErrorDescription: input.description,
    at: input.at,
  });
  return `${head.slice(0, -1)},"frame":${input.frameText}}`;
}
