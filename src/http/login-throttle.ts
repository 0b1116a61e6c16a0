/**
 * Slows down repeated failed logins for one id, before any object is touched. Failures are counted by the
 * Workers rate limiter `LOGIN_FAILURES` (5 per 60 s per id, counted per Cloudflare location); when an id goes over,
 * it is locked for 60 s through a KV entry that every location sees: every attempt is then answered 429 with
 * Retry-After, the right password included, so a guesser learns nothing while locked. Online guessing drops from
 * thousands of tries a second to about five a minute per id.
 */

export const LOCK_SECONDS = 60;
const LOCK_PREFIX = "gateway/auth/locked/";

export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimit,
    private readonly kv: KVNamespace,
  ) {}

  async isLocked(id: string): Promise<boolean> {
    return (await this.kv.get(LOCK_PREFIX + encodeURIComponent(id))) !== null;
  }

  /** Counts a failure; true when the id is now locked. */
  async recordFailure(id: string): Promise<boolean> {
    const { success } = await this.limiter.limit({ key: id });
    if (success) return false;
    await this.kv.put(LOCK_PREFIX + encodeURIComponent(id), String(Date.now()), { expirationTtl: LOCK_SECONDS });
    return true;
  }
}
