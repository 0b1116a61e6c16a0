/**
 * What the broker link checks before it hands a downstream message to a charge point, and the gateway error
 * envelope that reports a message it refused. Two kinds are acknowledged to the broker but never delivered:
 *
 *  - `retained`: the PUBLISH has RETAIN set. A broker sets it only on a stored message it sends because of a new
 *    subscription, never on one forwarded live to an existing subscription (MQTT 3.1.1 §3.3.1.3, [MQTT-3.3.1-8],
 *    [MQTT-3.3.1-9]); the link re-subscribes on every reconnect, so delivering it would execute an old command
 *    again after each restart. (aedes also sets it on a retained message queued for a persistent session while the
 *    link was away; that one is refused too: the two cannot be told apart.)
 *  - `too_large`: longer than `max_frame_size` bytes. The frame made from an envelope is about as long as the
 *    envelope, and a charge point is promised no frame above that size, in either direction.
 *
 * UniqueId and Action are read from the start of the message only, without parsing all of it: a refused message
 * may be megabytes long.
 */
import { objectMemberSpans, sliceSpan } from "../ocpp/json-scan";
import { isActionName } from "../ocpp/frame";
import { ErrorKind, OCPP16, SUPPORTED_PROTOCOLS } from "../ocpp/protocol";
import { gatewayErrorEnvelope } from "./envelope";

export const Refusal = { Retained: "retained", TooLarge: "too_large" } as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];

/** Bytes of a refused message searched for its UniqueId and Action (EMQX's envelope puts them first). */
export const ID_SCAN_BYTES = 4096;

const MAX_UNIQUE_ID_LENGTH = Math.max(...SUPPORTED_PROTOCOLS.map((p) => p.maxUniqueIdLength));

/** Why a downstream message must not be delivered, or undefined when it may be. */
export function screenDownstream(payload: Uint8Array, retain: boolean, maxBytes: number): Refusal | undefined {
  if (retain) return Refusal.Retained;
  if (payload.byteLength > maxBytes) return Refusal.TooLarge;
  return undefined;
}

export interface EnvelopeIds {
  readonly uniqueId?: string;
  readonly action?: string;
}

/**
 * The envelope's UniqueId and Action when they can be read from its first ID_SCAN_BYTES bytes. Anything unreadable
 * is left out: an unterminated or non-string value, an over-long UniqueId, an Action that is not an action name
 * (it may become a topic level).
 */
export function envelopeIds(payload: Uint8Array): EnvelopeIds {
  // A cut inside a multi-byte character only spoils the text after the cut.
  const head = new TextDecoder().decode(payload.subarray(0, ID_SCAN_BYTES));
  let spans: ReturnType<typeof objectMemberSpans>;
  try {
    spans = objectMemberSpans(head);
  } catch {
    // A member name cut at the end of the head.
    return {};
  }
  const read = (name: string): string | undefined => {
    const span = spans?.get(name);
    if (span === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(sliceSpan(head, span));
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const uniqueId = read("UniqueId");
  const action = read("Action");
  return {
    ...(uniqueId !== undefined && uniqueId.length > 0 && uniqueId.length <= MAX_UNIQUE_ID_LENGTH ? { uniqueId } : {}),
    ...(action !== undefined && isActionName(action) ? { action } : {}),
  };
}

const DESCRIPTIONS: Readonly<Record<Refusal, (maxBytes: number, size: number) => string>> = {
  retained: () => "retained message not executed: commands must be published without the retain flag",
  too_large: (maxBytes, size) => `message of ${size} bytes exceeds max_frame_size (${maxBytes} bytes)`,
};

/**
 * The gateway CALLERROR envelope reporting a refused message, or undefined when its UniqueId cannot be read (the
 * CSMS could not match a report to anything). OCPP-J has no error code for either case: GenericError, spelled the
 * same in every supported version; the Reason says why.
 */
export function refusalEnvelope(refusal: Refusal, ids: EnvelopeIds, size: number, maxBytes: number): string | undefined {
  if (ids.uniqueId === undefined) return undefined;
  return gatewayErrorEnvelope({
    uniqueId: ids.uniqueId,
    ...(ids.action === undefined ? {} : { action: ids.action }),
    errorCode: OCPP16.errorCodes[ErrorKind.Generic],
    errorDescription: DESCRIPTIONS[refusal](maxBytes, size),
    reason: refusal,
  });
}
