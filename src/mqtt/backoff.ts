/**
 * Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with jitter so that many links (or many
 * gateway instances) do not reconnect in step after a broker restart.
 *
 * The cap is what bounds recovery: a link that has been failing for a minute still tries again within `maxMs` of
 * the broker's (or the network's) return, so the fleet relays again within about that long, whatever the outage's
 * length (the soak measures it: docs/reliability.md). A longer cap would spare nothing worth sparing: against a
 * broker that is down an attempt is one refused (or unanswered) TCP handshake, which a probe would cost as well,
 * and a shard makes at most one every 1 to 2 s. A broker that answers but refuses the credentials is retried on
 * its own, slower clock (AUTH_RETRY_MS in the link).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 2_000 };

/** Delay before reconnect attempt `attempt` (0-based); `random` is in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random()): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
