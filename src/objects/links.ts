/** How a charge point's object finds the BrokerLink shard that carries its traffic. */
import { shardOf } from "../mqtt/shard";
import { brokerLinkShards } from "./config-store";

export function brokerLinkName(shard: number): string {
  return `link-${shard}`;
}

export type LinkStub = ReturnType<Env["BROKER_LINK"]["get"]>;

/**
 * The charge point's link shard and a stub for it. A stub belongs to the object that made it (workerd refuses
 * I/O through another object's stub), so callers keep it per object, not per module.
 */
export function brokerLinkFor(env: Env, cid: string): { shard: number; stub: LinkStub } {
  const shard = shardOf(cid, brokerLinkShards(env));
  return { shard, stub: env.BROKER_LINK.get(env.BROKER_LINK.idFromName(brokerLinkName(shard))) };
}
