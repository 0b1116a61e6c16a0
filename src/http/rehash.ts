/**
 * After a successful login, a user hashed with another algorithm than the authenticator's configured one is hashed
 * again with the configured one (the password is at hand only now). A wrong password for that user then costs what
 * it costs for an unknown user, whose decoy uses the configured algorithm (src/auth/store.ts), so the time
 * of a refusal stops telling the two apart; and an algorithm made stronger reaches every user that logs in.
 *
 * KV has no compare-and-set and a read may be up to 60 s old at another location, so a login that read the user
 * before the management API changed it (password, superuser flag, deletion, or the whole authenticator deleted)
 * could write the old record back. Every such change is first recorded in the user's LoginGuard (and the
 * authenticator's), and the record is rewritten only when neither had one within REWRITE_HOLD_MS.
 */
import { isolateHashBudget } from "../auth/hash-budget";
import { hashCost, hashPassword, sameAlgorithm } from "../auth/passwords";
import { errorMessage, log } from "../log";
import { AuthStore, configuredAlgorithm, type Authenticator, type StoredUser } from "../auth/store";
import { AUTHENTICATOR_CREDENTIAL, type LoginThrottle } from "./login-throttle";

/** Whether `user` should be hashed again after a successful login under `authenticator`. */
export function needsRehash(user: StoredUser, authenticator: Authenticator): boolean {
  return !sameAlgorithm(user.algorithm, configuredAlgorithm(authenticator));
}

/** Hashes `password` with the configured algorithm and stores it in `user`'s record, when nothing forbids it. */
export async function rehash(store: AuthStore, throttle: LoginThrottle, credential: string, user: StoredUser, password: string, authenticator: Authenticator): Promise<void> {
  try {
    const algorithm = configuredAlgorithm(authenticator);
    // Once per user and algorithm, after a login that succeeded: charged, never refused.
    isolateHashBudget.take(hashCost(algorithm), true);
    const fresh = await hashPassword(password, algorithm);
    // Asked after hashing, so that the time from the answer to the write is as short as can be.
    if (!(await throttle.mayRewrite([credential, AUTHENTICATOR_CREDENTIAL]))) return;
    await store.saveUser({ ...user, ...fresh });
    log("info", "user_rehashed", { algorithm: algorithm.name });
  } catch (error) {
    log("error", "user_rehash_failed", { error: errorMessage(error) });
  }
}
