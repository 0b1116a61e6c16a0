/**
 * The Worker's side of failed-login throttling (rules: src/auth/throttle.ts). Before a password is checked, the
 * credential's LoginGuard admits or refuses the attempt; only when the source is not one the credential knows is
 * the source address's LoginGuard asked too. After the check, the outcome goes back to the same guards.
 *
 * Cost of a correct login from a known source (every reconnect of a charger that connected before): two requests
 * to the credential's guard (admit, finish) and no storage write (one per day per source refreshes the known
 * source). From a new source: two more requests to the source's guard and one storage write. A failure: the same
 * requests and a storage write per guard asked.
 */
import type { Admission, Outcome } from "../auth/throttle";
import { CREDENTIAL_FAILURE_LIMIT, SOURCE_FAILURE_LIMIT } from "../auth/throttle";
import type { Source } from "../auth/source";
import { errorMessage, log } from "../log";
import type { LoginGuard } from "../objects/login-guard";
import { ApiError } from "./errors";

export interface LoginAttempt {
  /** The source logged in as this credential recently (the guard's known sources): it is the charger itself. */
  readonly known: boolean;
  /** Reports the result of the password check (and of the id binding). */
  finish(ok: boolean): Promise<void>;
  /** Ends the attempt without a check (it was refused for another reason before hashing). */
  release(): Promise<void>;
}

function tooMany(retryAfter: number): ApiError {
  return new ApiError(
    429,
    "TOO_MANY_REQUESTS",
    "too many failed logins; try again later",
    { reason: "too_many_failed_logins" },
    { "Retry-After": String(retryAfter) },
  );
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
   * Admits an attempt on `credential` (a guard name: `user:<hash>` or `admin`) from `source`, or throws 429 with
   * Retry-After. Fails closed (503) when a guard cannot be reached.
   */
  async admit(credential: string, source: Source): Promise<LoginAttempt> {
    const credentialGuard = this.guard(credential);
    const sourceGuard = this.guard(`source:${source.key}`);
    let first: Admission;
    try {
      first = await credentialGuard.admit(source.key, CREDENTIAL_FAILURE_LIMIT);
    } catch (error) {
      throw unavailable(error);
    }
    if (!first.admitted) throw tooMany(first.retryAfter);
    const ends: ((outcome: Outcome) => Promise<void>)[] = [(outcome) => credentialGuard.finish(first.ticket, outcome)];
    const end = async (outcome: Outcome) => {
      await Promise.all(ends.map((e) => e(outcome))).catch((error: unknown) => {
        log("error", "login_guard_finish_failed", { error: errorMessage(error) });
      });
    };
    // A source the credential knows has its own budget there; others must also be within their address's budget.
    if (!first.known) {
      let second: Admission;
      try {
        second = await sourceGuard.admit(null, SOURCE_FAILURE_LIMIT);
      } catch (error) {
        await end("released");
        throw unavailable(error);
      }
      if (!second.admitted) {
        await end("released");
        throw tooMany(second.retryAfter);
      }
      ends.push((outcome) => sourceGuard.finish(second.ticket, outcome));
    }
    return {
      known: first.known,
      finish: (ok) => end(ok ? "succeeded" : "failed"),
      release: () => end("released"),
    };
  }
}
