/** How a charge point's object finds the BrokerLink shard that carries its traffic. */
import { shardOf } from "../mqtt/shard";
import { brokerLinkShards } from "./config-store";

export function brokerLinkName(shard: number): string {
  return `link-${shard}`;
}

export function brokerLinkFor(env: Env, cid: string) {
  const shard = shardOf(cid, brokerLinkShards(env));
  return { shard, stub: env.BROKER_LINK.get(env.BROKER_LINK.idFromName(brokerLinkName(shard))) };
}
