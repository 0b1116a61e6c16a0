/**
 * Passwords a charger can have under OCPP's security profiles 1 and 2, for an authenticator whose `password_rules`
 * asks the user API to refuse any other (a user whose password no charger can hold could never log in):
 *
 * - `ocpp1.6`: the 1.6 security whitepaper's AuthorizationKey, "minimal 16 bytes", at most 20 bytes (configured as
 *   up to 40 hex digits); the charger sends the key's bytes as the Basic password, so 16 to 20 bytes of UTF-8 here.
 * - `ocpp2.0.1`: OCPP 2.0.1 (and 2.1) BasicAuthPassword, a passwordString of at least 16 characters from
 *   a-z A-Z 0-9 * - _ = : + | @ . and at most the variable's maxLimit, which is at least 40: 40 is what every
 *   charging station can store.
 * - `any` (default): no rule beyond the schema's 1 to 256 characters.
 */
export type PasswordRules = "any" | "ocpp1.6" | "ocpp2.0.1";

const PASSWORD_STRING = /^[A-Za-z0-9*\-_=:+|@.]*$/;

/** Why `password` is not one a charger can have under `rules`; undefined when it is. */
export function passwordProblem(rules: PasswordRules, password: string): string | undefined {
  if (rules === "ocpp1.6") {
    const bytes = new TextEncoder().encode(password).byteLength;
    return bytes >= 16 && bytes <= 20 ? undefined : `an OCPP 1.6 AuthorizationKey is 16 to 20 bytes (this one is ${bytes})`;
  }
  if (rules === "ocpp2.0.1") {
    if (password.length < 16 || password.length > 40) return `an OCPP 2.0.1 BasicAuthPassword is 16 to 40 characters (this one is ${password.length})`;
    if (!PASSWORD_STRING.test(password)) return "an OCPP 2.0.1 BasicAuthPassword has only a-z, A-Z, 0-9 and * - _ = : + | @ .";
  }
  return undefined;
}
