/**
 * A cap on password-hashing work per isolate. A PBKDF2 check at 100,000 iterations takes tens of milliseconds of
 * CPU, and every request an isolate serves shares its CPU: without a cap, guesses spread over many ids and
 * addresses (each within its failure budget) slow down every other upgrade the isolate handles. Over the cap, a
 * login is answered 503 with Retry-After before any hashing; charge points retry (OCPP reconnect back-off).
 * A login from a source its credential knows (it logged in from there before) is never refused by the cap, only
 * charged to it: otherwise guesses from many addresses would be a button that locks every charger out. What such
 * logins can spend is bounded before they get here, by the credential's guard (src/auth/throttle.ts): at most
 * LOGINS_PER_MINUTE successes a minute per credential, and PAIR_FAILURE_LIMIT failures per window per known source.
 */

/** Work units (PBKDF2 iterations; a salted digest is one unit) an isolate may spend per second. */
export const HASH_UNITS_PER_SECOND = 1_000_000;

/** A token bucket holding at most one second's worth of work. */
export class HashBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.at = now();
  }

  /**
   * Takes `cost` units when available; false (nothing taken) when the isolate is over its budget. With `always`, the
   * work is charged whatever the balance (down to one second's debt) and allowed.
   */
  take(cost: number, always = false): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (always) {
      this.tokens = Math.max(-this.perSecond, this.tokens - cost);
      return true;
    }
    if (this.tokens < Math.min(cost, this.perSecond)) return false;
    this.tokens -= cost;
    return true;
  }
}

/** This isolate's budget (module state lives as long as the isolate). */
export const isolateHashBudget = new HashBudget(HASH_UNITS_PER_SECOND);
