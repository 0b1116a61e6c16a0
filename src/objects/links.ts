/** How the Worker and the objects find the BrokerLink shards. */
import { shardOf } from "../mqtt/shard";
import { brokerLinkShards } from "./config-store";

/** The broker link cannot publish now (not connected, or the broker did not confirm). */
export class LinkUnavailableError extends Error {
  override readonly name = "LinkUnavailableError";
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
