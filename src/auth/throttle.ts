/**
 * Login throttling rules, shared by the two ledgers a LoginGuard object keeps (src/objects/login-guard.ts):
 *
 * - A source address (an IPv4 address or an IPv6 /64, src/auth/source.ts) that the credential does not know allows
 *   PAIR_FAILURE_LIMIT failures per FAILURE_WINDOW_MS on that credential and SOURCE_FAILURE_LIMIT across every
 *   credential (SourceLedger, in the guard named after the source). Nothing counts failures of a credential over all
 *   sources together: such a budget would be a button that anyone, from anywhere, could press to keep the
 *   credential's owner out. Guessing stays infeasible because every credential is too strong to guess at these
 *   rates from every address an attacker plausibly holds (README, "Charge point authentication", with the
 *   arithmetic; the admin secret's minimum is enforced in src/http/admin-secret.ts).
 * - A source that logged in with the credential in the last KNOWN_SOURCE_MS (a "known source", at most
 *   MAX_KNOWN_SOURCES, the most recent) has PAIR_FAILURE_LIMIT failures of its own in the credential's guard
 *   (CredentialLedger) and is not asked of its address's budget, so strangers sharing its address (carrier-grade
 *   NAT) cannot spend it by guessing other credentials.
 * - A charge point credential logs in successfully at most LOGINS_PER_MINUTE times a minute, whatever the source:
 *   a charger (or whoever holds its password) reconnecting in a loop is refused before hashing instead of spending
 *   the isolate's hashing budget (src/auth/hash-budget.ts). Only successes count, so nobody without the password
 *   can use this bound against the charger.
 * - Every admitted attempt counts as a failure (and, for the login bound, as a success from its source) until it
 *   is finished, so parallel attempts cannot all pass the check before the first result is written. An attempt
 *   never finished (its Worker died) stops counting after TICKET_MS.
 *
 * This is the "known device" defence against lock-out (OWASP Authentication Cheat Sheet, account lockout;
 * NIST SP 800-63B §5.2.2 rate limiting), with the source address as the device, and without the per-account lock.
 */

export const FAILURE_WINDOW_MS = 15 * 60_000;
/** Failures per credential per source address per window. */
export const PAIR_FAILURE_LIMIT = 5;
/** Failures per source address per window, across credentials. */
export const SOURCE_FAILURE_LIMIT = 20;
export const KNOWN_SOURCE_MS = 30 * 24 * 3600_000;
export const MAX_KNOWN_SOURCES = 16;
export const LOGIN_WINDOW_MS = 60_000;
/** Successful logins per charge point credential per LOGIN_WINDOW_MS. */
export const LOGINS_PER_MINUTE = 6;
/**
 * After a user is written through the management API, how long a login may not rewrite that user's record (a
 * rehash): longer than a KV read can be stale at another location (60 s), so a login that read the record before
 * the change cannot write the old password back.
 */
export const REWRITE_HOLD_MS = 10 * 60_000;
export const TICKET_MS = 30_000;

export type Refusal = "too_many_failed_logins" | "too_many_logins";

export type Admission =
  | { readonly admitted: true; readonly ticket: string; readonly known: boolean }
  | { readonly admitted: false; readonly retryAfter: number; readonly reason: Refusal };

export type Outcome = "succeeded" | "failed" | "released";

export function isTimes(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((t) => typeof t === "number" && Number.isFinite(t));
}

/** The times still inside `window` at `now`, oldest first. */
export function within(times: readonly number[] | undefined, window: number, now: number): number[] {
  return (times ?? []).filter((t) => now - t < window);
}

/**
 * A refusal while `count + pending` reaches `limit`: an attempt may go once enough of `times` (oldest first, all
 * inside `window`) have left it; pending attempts end within seconds.
 */
export function refusal(times: readonly number[], pending: number, limit: number, window: number, now: number, reason: Refusal): Admission | undefined {
  const over = times.length + pending - limit;
  if (over < 0) return undefined;
  const freedAt = over < times.length ? (times[over] ?? now) + window : now + 1000;
  return { admitted: false, retryAfter: Math.max(1, Math.ceil((freedAt - now) / 1000)), reason };
}

/** Admitted attempts in progress (in memory only), each with what its ledger needs to finish it. */
export class Tickets<T> {
  private readonly open = new Map<string, T & { readonly expires: number }>();

  add(value: T, now: number): string {
    const id = crypto.randomUUID();
    this.open.set(id, { ...value, expires: now + TICKET_MS });
    return id;
  }

  take(id: string): T | undefined {
    const value = this.open.get(id);
    this.open.delete(id);
    return value;
  }

  /** Attempts still running at `now` that match `where`. */
  count(now: number, where: (value: T) => boolean): number {
    let n = 0;
    for (const [id, value] of this.open) {
      if (value.expires <= now) this.open.delete(id);
      else if (where(value)) n++;
    }
    return n;
  }
}
