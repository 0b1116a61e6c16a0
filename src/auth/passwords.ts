/**
 * Password hashes of the built-in user database (EMQX's algorithms): salted SHA-256/SHA-512 with the salt before
 * or after the password, and PBKDF2. A user record keeps the algorithm it was hashed with, so changing the
 * authenticator's algorithm does not lock existing users out. Passwords are never stored.
 */

export type HashAlgorithm =
  | { readonly name: "sha256" | "sha512"; readonly salt_position?: "prefix" | "suffix" }
  | { readonly name: "pbkdf2"; readonly mac_fun?: "sha256" | "sha512"; readonly iterations?: number; readonly dk_length?: number };

export const DEFAULT_HASH_ALGORITHM: HashAlgorithm = { name: "sha256", salt_position: "suffix" };
export const DEFAULT_PBKDF2_ITERATIONS = 4096;

export interface PasswordHash {
  readonly algorithm: HashAlgorithm;
  /** Hex. */
  readonly salt: string;
  /** Hex. */
  readonly hash: string;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function webCryptoHash(name: "sha256" | "sha512"): string {
  return name === "sha256" ? "SHA-256" : "SHA-512";
}

async function compute(algorithm: HashAlgorithm, salt: string, password: string): Promise<string> {
  if (algorithm.name === "pbkdf2") {
    const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: webCryptoHash(algorithm.mac_fun ?? "sha256"), salt: encoder.encode(salt), iterations: algorithm.iterations ?? DEFAULT_PBKDF2_ITERATIONS },
      key,
      8 * (algorithm.dk_length ?? 32),
    );
    return hex(bits);
  }
  const input = algorithm.salt_position === "prefix" ? salt + password : password + salt;
  return hex(await crypto.subtle.digest(webCryptoHash(algorithm.name), encoder.encode(input)));
}

export async function hashPassword(password: string, algorithm: HashAlgorithm = DEFAULT_HASH_ALGORITHM): Promise<PasswordHash> {
  const salt = hex(crypto.getRandomValues(new Uint8Array(16)));
  return { algorithm, salt, hash: await compute(algorithm, salt, password) };
}

/**
 * Work units of one hash with `algorithm`, for the per-isolate hashing budget: PBKDF2 costs its iteration count
 * (one HMAC each), a salted SHA-2 digest one unit.
 */
export function hashCost(algorithm: HashAlgorithm): number {
  return algorithm.name === "pbkdf2" ? (algorithm.iterations ?? DEFAULT_PBKDF2_ITERATIONS) : 1;
}

/** The algorithm with every default written out, so that two spellings of one algorithm compare equal. */
function normalized(algorithm: HashAlgorithm): string {
  if (algorithm.name === "pbkdf2") {
    return JSON.stringify([algorithm.name, algorithm.mac_fun ?? "sha256", algorithm.iterations ?? DEFAULT_PBKDF2_ITERATIONS, algorithm.dk_length ?? 32]);
  }
  return JSON.stringify([algorithm.name, algorithm.salt_position ?? "suffix"]);
}

/** Whether hashes made with `a` and with `b` are computed the same way. */
export function sameAlgorithm(a: HashAlgorithm, b: HashAlgorithm): boolean {
  return normalized(a) === normalized(b);
}

/** Per algorithm (its JSON), a hash of a random secret that no password matches. */
const decoys = new Map<string, Promise<PasswordHash>>();

/**
 * What an unknown user's password is checked against, so that refusing an unknown user costs what refusing a known
 * one does: a hash made with the authenticator's configured algorithm (PBKDF2 with its iterations, not a plain
 * digest), since that is the algorithm of every user created under it.
 */
export function decoyHash(algorithm: HashAlgorithm = DEFAULT_HASH_ALGORITHM): Promise<PasswordHash> {
  const key = JSON.stringify(algorithm);
  let decoy = decoys.get(key);
  if (decoy === undefined) {
    decoy = hashPassword(crypto.randomUUID(), algorithm);
    decoys.set(key, decoy);
  }
  return decoy;
}

export async function verifyPassword(stored: PasswordHash, password: string): Promise<boolean> {
  const candidate = encoder.encode(await compute(stored.algorithm, stored.salt, password));
  const expected = encoder.encode(stored.hash);
  return candidate.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(candidate, expected);
}
