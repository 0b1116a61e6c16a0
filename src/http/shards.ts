/**
 * The management API's view of the shards: there is no registry, so lists and figures are asked of every shard of
 * the configuration (regions × per_region), and one charge point's details of its shard in each region (where it
 * is depends on where it connected from). A shard that cannot be asked is reported, not hidden.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage } from "../log";
import { allShards, candidateShards, shardName, shardStub, type ShardStub } from "../shard/address";

export interface ShardCall<T> {
  readonly shard: string;
  readonly result?: T;
  readonly error?: string;
}

/** Calls `fn` on every shard of the configuration, side by side. */
export function everyShard<T>(env: Env, config: GatewayConfig, fn: (stub: ShardStub, name: string) => Promise<T>): Promise<ShardCall<T>[]> {
  return Promise.all(
    allShards(config).map(async (address) => {
      const name = shardName(address);
      try {
        return { shard: name, result: await fn(shardStub(env, address), name) };
      } catch (e) {
        return { shard: name, error: errorMessage(e) };
      }
    }),
  );
}

/** The first of a charge point's candidate shards for which `fn` gives a value (undefined: none holds it). */
export async function holderOf<T>(env: Env, config: GatewayConfig, cid: string, fn: (stub: ShardStub, name: string) => Promise<T | undefined>): Promise<{ name: string; value: T } | undefined> {
  const answers = await Promise.all(
    candidateShards(cid, config).map(async (address) => {
      const name = shardName(address);
      const value = await fn(shardStub(env, address), name).catch(() => undefined);
      return value === undefined ? undefined : { name, value };
    }),
  );
  return answers.find((a) => a !== undefined);
}
