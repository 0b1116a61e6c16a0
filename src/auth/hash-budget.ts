/**
 * A cap on password-hashing work per isolate. A PBKDF2 check at 100,000 iterations takes tens of milliseconds of
 * CPU, and every request an isolate serves shares its CPU: without a cap, guesses spread over many ids and
 * addresses (each within its failure budget) slow down every other upgrade the isolate handles. Over the cap, a
 * login is answered 503 with Retry-After before any hashing; charge points retry (OCPP reconnect back-off).
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

  /** Takes `cost` units when available; false (nothing taken) when the isolate is over its budget. */
  take(cost: number): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < Math.min(cost, this.perSecond)) return false;
    this.tokens -= cost;
    return true;
  }
}

/** This isolate's budget (module state lives as long as the isolate). */
export const isolateHashBudget = new HashBudget(HASH_UNITS_PER_SECOND);
