/**
 * The Worker's side of login throttling (rules: src/auth/throttle.ts). Before a password is checked, the
 * credential's LoginGuard admits or refuses the attempt; only when the source is not one the credential knows is
 * the source address's LoginGuard asked too. After the check, the outcome goes back to the same guards.
 *
 * Cost of a correct login from a known source (every reconnect of a charger that connected before): two requests
 * to the credential's guard (admit, finish) and no storage write (one per day per source refreshes the known
 * source). From a new source: two more requests to the source's guard and one storage write in the credential's
 * guard. A failure from a known source: one write in the credential's guard; from another source: one write in the
 * source's guard. A write may also move the guard's alarm (src/objects/login-guard.ts).
 */
import { sha256Hex } from "../auth/credentials";
import type { Source } from "../auth/source";
import type { Admission, Outcome } from "../auth/throttle";
import { errorMessage, log } from "../log";
import type { LoginGuard } from "../objects/login-guard";
import { ApiError } from "./errors";

/** The guard of a user of the authenticator (named by the SHA-256 of its id, so any id fits). */
export async function userCredential(userId: string): Promise<string> {
  return `user:${await sha256Hex(userId)}`;
}

/** The guard of the management API's key and secret. */
export const ADMIN_CREDENTIAL = "admin";
/** The guard that holds when the authenticator (with every user) was last deleted. */
export const AUTHENTICATOR_CREDENTIAL = "authenticator";

export interface LoginAttempt {
  /** The source logged in as this credential recently (the guard's known sources): it is the charger itself. */
  readonly known: boolean;
  /** Reports the result of the password check (and of the id binding). */
  finish(ok: boolean): Promise<void>;
  /** Ends the attempt without a check (it was refused for another reason before hashing). */
  release(): Promise<void>;
}

function refused(admission: Extract<Admission, { admitted: false }>): ApiError {
  const message = admission.reason === "too_many_logins" ? "too many logins with this credential; try again later" : "too many failed logins; try again later";
  return new ApiError(429, "TOO_MANY_REQUESTS", message, { reason: admission.reason }, { "Retry-After": String(admission.retryAfter) });
}

function unavailable(error: unknown): ApiError {
  log("error", "login_guard_unavailable", { error: errorMessage(error) });
  return new ApiError(503, "SERVICE_UNAVAILABLE", "login throttling is unavailable; try again later", {}, { "Retry-After": "1" });
}

export class LoginThrottle {
  constructor(private readonly guards: DurableObjectNamespace<LoginGuard>) {}

  private guard(name: string) {
    return this.guards.get(this.guards.idFromName(name));
  }

  /**
   * Admits an attempt on `credential` (a guard name: userCredential(…) or ADMIN_CREDENTIAL) from `source`, or
   * throws 429 with Retry-After. `loginsPerMinute` bounds the credential's successful logins (none: unbounded).
   * Fails closed (503) when a guard cannot be reached.
   */
  async admit(credential: string, source: Source, loginsPerMinute?: number): Promise<LoginAttempt> {
    const credentialGuard = this.guard(credential);
    let first: Admission;
    try {
      first = await credentialGuard.admitCredential(source.key, loginsPerMinute ?? null);
    } catch (error) {
      throw unavailable(error);
    }
    if (!first.admitted) throw refused(first);
    const ends: ((outcome: Outcome) => Promise<void>)[] = [(outcome) => credentialGuard.finishCredential(first.ticket, outcome)];
    const end = async (outcome: Outcome) => {
      await Promise.all(ends.map((e) => e(outcome))).catch((error: unknown) => {
        log("error", "login_guard_finish_failed", { error: errorMessage(error) });
      });
    };
    // A source the credential knows has its own budget there; others must be within their address's budget.
    if (!first.known) {
      const sourceGuard = this.guard(`source:${source.key}`);
      let second: Admission;
      try {
        second = await sourceGuard.admitSource(credential);
      } catch (error) {
        await end("released");
        throw unavailable(error);
      }
      if (!second.admitted) {
        await end("released");
        throw refused(second);
      }
      ends.push((outcome) => sourceGuard.finishSource(second.ticket, outcome));
    }
    return {
      known: first.known,
      finish: (ok) => end(ok ? "succeeded" : "failed"),
      release: () => end("released"),
    };
  }

  /**
   * Records, before a user (or the authenticator) is written through the management API, that logins which read
   * the record earlier must not write it back for a while (REWRITE_HOLD_MS). Throws 503 when that cannot be stored.
   */
  async changing(credential: string): Promise<void> {
    let stored: boolean;
    try {
      stored = await this.guard(credential).markChanged();
    } catch (error) {
      throw unavailable(error);
    }
    if (!stored) throw unavailable(new Error(`the change of ${credential} could not be recorded`));
  }

  /** Whether a login may write back a record it read: none of `credentials` was written through the API lately. */
  async mayRewrite(credentials: readonly string[]): Promise<boolean> {
    const answers = await Promise.all(credentials.map((name) => this.guard(name).mayRewrite()));
    return answers.every(Boolean);
  }
}
