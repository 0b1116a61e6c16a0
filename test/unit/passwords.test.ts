// Equal work for unknown and known users: the decoy an unknown user's password is checked against is made with the
// authenticator's configured algorithm (observed through the Web Crypto calls the check makes).
import { afterEach, describe, expect, it, vi } from "vitest";
import { decoyHash, hashCost, hashPassword, type HashAlgorithm } from "../../src/auth/passwords";
import { AuthStore, type Authenticator, type StoredUser } from "../../src/auth/store";

const PBKDF2: HashAlgorithm = { name: "pbkdf2", mac_fun: "sha512", iterations: 20_000, dk_length: 48 };
const authenticator = (algorithm?: HashAlgorithm): Authenticator => ({
  backend: "built_in_database",
  mechanism: "password_based",
  ...(algorithm === undefined ? {} : { password_hash_algorithm: algorithm }),
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The hashing a password check performs: PBKDF2 derivations (hash, iterations, bits) and plain digests. */
async function hashingOf(check: () => Promise<unknown>): Promise<{ derive: unknown[]; digests: string[] }> {
  const derive = vi.spyOn(crypto.subtle, "deriveBits");
  const digest = vi.spyOn(crypto.subtle, "digest");
  await check();
  const calls = {
    derive: derive.mock.calls.map(([params, , bits]) => {
      const p = params as { hash: string; iterations: number };
      return { hash: p.hash, iterations: p.iterations, bits };
    }),
    digests: digest.mock.calls.map(([algorithm]) => String(algorithm)),
  };
  vi.restoreAllMocks();
  return calls;
}

describe("decoy for unknown users", () => {
  it("is made with the algorithm it is asked for", async () => {
    expect((await decoyHash(PBKDF2)).algorithm).toEqual(PBKDF2);
    expect((await decoyHash({ name: "sha512", salt_position: "prefix" })).algorithm).toEqual({ name: "sha512", salt_position: "prefix" });
  });

  it.each([
    ["pbkdf2", PBKDF2],
    ["sha512 prefix", { name: "sha512", salt_position: "prefix" } as HashAlgorithm],
    ["the default (sha256)", undefined],
  ])("with %s configured, an unknown user's check does the same hashing as a known user's", async (_name, algorithm) => {
    const store = new AuthStore({} as KVNamespace);
    const known: StoredUser = { user_id: "CP1", is_superuser: false, ...(await hashPassword("right", algorithm)) };
    await decoyHash(algorithm); // made once per isolate; the check itself is what must cost the same
    const forKnown = await hashingOf(() => store.checkPassword(known, "wrong", authenticator(algorithm)));
    const forUnknown = await hashingOf(() => store.checkPassword(null, "wrong", authenticator(algorithm)));
    expect(forKnown.derive.length + forKnown.digests.length).toBe(1);
    expect(forUnknown).toEqual(forKnown);
    if (algorithm?.name === "pbkdf2") expect(forUnknown.derive).toEqual([{ hash: "SHA-512", iterations: 20_000, bits: 384 }]);
  });
});

describe("hashCost", () => {
  it("is the PBKDF2 iteration count, one unit for a salted digest", () => {
    expect(hashCost(PBKDF2)).toBe(20_000);
    expect(hashCost({ name: "pbkdf2" })).toBe(4096);
    expect(hashCost({ name: "sha256" })).toBe(1);
  });
});
