/**
 * A CSMS message for a charge point that has never connected to this gateway. Its OCPP version is unknown, so the
 * answer uses only what every version spells the same: `GenericError` (OCPP-J 1.6 §4.2.3, 2.x Part 4 §4.2.3).
 */
import type { GatewayError } from "../mqtt/envelope";
import { isActionName, isJsonObject } from "../ocpp/frame";

const SAME_IN_EVERY_VERSION = "GenericError";

/** The gateway's answer to such an envelope, or undefined when it has no UniqueId to answer under. */
export function notConnectedError(envelope: string): GatewayError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(envelope);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || typeof value.UniqueId !== "string" || value.UniqueId.length === 0 || value.UniqueId.length > 36) return undefined;
  const action = typeof value.Action === "string" && isActionName(value.Action, true) ? value.Action : undefined;
  return {
    uniqueId: value.UniqueId,
    ...(action === undefined ? {} : { action }),
    errorCode: SAME_IN_EVERY_VERSION,
    errorDescription: "charge point is not connected",
    reason: "not_connected",
  };
}
