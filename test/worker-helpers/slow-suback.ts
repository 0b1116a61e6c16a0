/**
 * The test broker (test/setup/broker.global.ts) grants filters naming a charge point whose id starts with
 * SLOW_SUBACK_PREFIX only after SLOW_SUBACK_MS: a broker slow to confirm a subscription, as a busy one is in a
 * reconnect storm.
 */
export const SLOW_SUBACK_PREFIX = "slow-suback-";
export const SLOW_SUBACK_MS = 7_000;
