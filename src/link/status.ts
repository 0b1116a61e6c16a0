/** What the management API shows of a gateway shard's broker link, and the error a publish fails with. */

/** The broker link cannot publish now (not connected, or the broker did not confirm). */
export class LinkUnavailableError extends Error {
  override readonly name = "LinkUnavailableError";
}

/** Downstream filters listed in a status. */
export const LISTED_FILTERS = 100;

export type LinkState = "idle" | "connecting" | "connected" | "waiting";

/** Counters since the shard's object started. */
export interface LinkCounters {
  connects: number;
  published: number;
  delivered: number;
  /** Downstream messages acknowledged but not delivered (retained, too large) and reported on the error topic. */
  refused: number;
  /** Downstream messages neither delivered nor reported (unroutable, not UTF-8, no readable UniqueId, failed). */
  dropped: number;
  /** Broker sessions discarded because they held a message the link could not receive (recovery.ts). */
  sessionsDiscarded: number;
}

export interface LinkStatus extends LinkCounters {
  /** The shard's name (`<region>/<index>`). */
  readonly shard: string;
  /** `idle`: not connected and not trying (no charge point has used the shard since its object started). */
  readonly state: LinkState;
  readonly clientId: string;
  /** `tcp` (mqtt://, mqtts://) or `websocket` (ws://, wss://). */
  readonly transport: string;
  /** Filters the broker's session holds for this shard, as far as it knows: two per charge point it holds. */
  readonly subscriptions: number;
  /** The first LISTED_FILTERS of its downstream filters (one per charge point), for a look. */
  readonly filters: readonly string[];
  /** Charge points connected to the shard now. */
  readonly attached: number;
  readonly lastError?: { readonly at: number; readonly message: string };
}
