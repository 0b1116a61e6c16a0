/** How the Worker and the objects find the BrokerLink shards. */
import { shardOf } from "../mqtt/shard";
import { brokerLinkShards } from "./config-store";

/** The broker link cannot publish now (not connected, or the broker did not confirm). */
export class LinkUnavailableError extends Error {
  override readonly name = "LinkUnavailableError";
}

/** A publish's outcome as a value: `error` says why the broker did not confirm it. */
export interface PublishResult {
  readonly ok: boolean;
  readonly error?: string;
}

export interface LinkStatus {
  readonly shard: number;
  /** `idle`: not connected and not trying (no charge point has used the link since the object started). */
  readonly state: "idle" | "connecting" | "connected" | "waiting";
  readonly clientId: string;
  /** Downstream filters the broker's session holds for this link (as far as the link knows). */
  readonly subscriptions: readonly string[];
  /** Charge points attached since this instance started. */
  readonly attached: number;
  readonly connects: number;
  readonly published: number;
  readonly delivered: number;
  /** Downstream messages acknowledged but not delivered (retained, too large) and reported on the error topic. */
  readonly refused: number;
  /** Downstream messages neither delivered nor reported (unroutable, not UTF-8, no readable UniqueId, failed). */
  readonly dropped: number;
  /** Broker sessions discarded because they held a message the link could not receive (link-recovery.ts). */
  readonly sessionsDiscarded: number;
  readonly lastError?: { readonly at: number; readonly message: string };
}

export function brokerLinkName(shard: number): string {
  return `link-${shard}`;
}

export type LinkStub = ReturnType<Env["BROKER_LINK"]["get"]>;

export interface ShardLink {
  readonly shard: number;
  readonly stub: LinkStub;
}

function linkStub(env: Env, shard: number): LinkStub {
  return env.BROKER_LINK.get(env.BROKER_LINK.idFromName(brokerLinkName(shard)));
}

/**
 * The charge point's link shard and a stub for it. A stub belongs to the object that made it (workerd refuses
 * I/O through another object's stub), so callers keep it per object, not per module.
 */
export function brokerLinkFor(env: Env, cid: string): ShardLink {
  const shard = shardOf(cid, brokerLinkShards(env));
  return { shard, stub: linkStub(env, shard) };
}

/** Every link shard, for the management API. */
export function allBrokerLinks(env: Env): ShardLink[] {
  return Array.from({ length: brokerLinkShards(env) }, (_, shard) => ({ shard, stub: linkStub(env, shard) }));
}
