/**
 * Charge point identity rules. The id becomes an MQTT topic level and a Durable Object name, so it is checked
 * before anything else sees it (reference §3: EMQX refuses `/`, `+`, `#`; we also refuse control characters
 * and ids longer than 64 characters — OCPP 1.6 security whitepaper: identity is at most 48 characters, 2.0.1: 48).
 */

export const MAX_CHARGE_POINT_ID_LENGTH = 64;

/** Why `id` cannot be a charge point id (EMQX-style reason token and words), or undefined when it can. */
export function chargePointIdProblem(id: string): { reason: string; message: string } | undefined {
  if (id.length === 0) return { reason: "clientid_cannot_be_empty", message: "charge point id is empty" };
  if (/[/+#]/.test(id)) {
    return { reason: "unsupported_clientid", message: "charge point id must not contain '/', '+' or '#'" };
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) {
    return { reason: "unsupported_clientid", message: "charge point id must not contain control characters" };
  }
  if ([...id].length > MAX_CHARGE_POINT_ID_LENGTH) {
    return {
      reason: "clientid_too_long",
      message: `charge point id is longer than ${MAX_CHARGE_POINT_ID_LENGTH} characters`,
    };
  }
  return undefined;
}

export function isChargePointId(id: string): boolean {
  return chargePointIdProblem(id) === undefined;
}
