/**
 * The least ADMIN_API_SECRET the gateway accepts. Failed logins are counted per source address
 * (src/auth/throttle.ts), so whoever holds many addresses gets many guesses: the secret itself must be too strong to
 * guess from every address an attacker can hold (README, "Management API authentication"). Randomness
 * cannot be measured; what is certainly weak is refused: fewer than 32 characters (32 random hex digits are 128
 * bits), or fewer than 8 different ones. Until it is set right, every management call is answered 503 naming this
 * rule, as when no secret is set.
 */
import { ApiError } from "./errors";

export const ADMIN_SECRET_MIN_LENGTH = 32;
export const ADMIN_SECRET_MIN_DISTINCT = 8;

/** Why `secret` is refused; undefined when it is not. */
export function adminSecretProblem(secret: string): string | undefined {
  const characters = [...secret];
  if (characters.length < ADMIN_SECRET_MIN_LENGTH) return `it has ${characters.length} characters`;
  const distinct = new Set(characters).size;
  if (distinct < ADMIN_SECRET_MIN_DISTINCT) return `it has only ${distinct} different characters`;
  return undefined;
}

/** Throws 503 `admin_secret_too_weak` when ADMIN_API_SECRET breaks the rule above. */
export function checkAdminSecret(secret: string): void {
  const problem = adminSecretProblem(secret);
  if (problem === undefined) return;
  throw new ApiError(
    503,
    "SERVICE_UNAVAILABLE",
    `the management API is disabled: ADMIN_API_SECRET must be at least ${ADMIN_SECRET_MIN_LENGTH} characters with at least ${ADMIN_SECRET_MIN_DISTINCT} different ones (${problem}); make one with \`openssl rand -base64 32\``,
    { reason: "admin_secret_too_weak" },
  );
}
