/**
 * The gateway shards as the tests look into them: addressed only through src/shard/address.ts (the one addressing
 * function), and read through their SQLite tables (src/shard/store.ts) or their status over RPC.
 */
import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import type { GatewayConfig, LocationHint } from "../../src/config/gateway-config";
import { DEFAULT_CONFIG } from "../../src/config/gateway-config";
import type { LinkStatus } from "../../src/link/status";
import { regionOf, shardAddress, shardName, shardStub, type Placement, type ShardAddress, type ShardStub } from "../../src/shard/address";

/** Where miniflare places every request by default (request.cf.continent "NA" → region "enam"). */
export const LOCAL: ShardAddress = { region: "enam", index: 0 };

export function stubOf(address: ShardAddress = LOCAL): ShardStub {
  return shardStub(env, address);
}

/** The shard the Worker chooses for `cid` connecting from `placement` (miniflare's own: continent NA). */
export function addressOf(cid: string, config: GatewayConfig = DEFAULT_CONFIG, placement: Placement = { continent: "NA" }): ShardAddress {
  return shardAddress(cid, regionOf(placement, config), config);
}

export function nameOf(address: ShardAddress): string {
  return shardName(address);
}

/** Rows of a query on a shard's storage (its tables: sessions, dn_queue, dn_inflight, outbox, filters, …). */
export function rows<T extends Record<string, SqlStorageValue>>(address: ShardAddress, query: string, ...params: SqlStorageValue[]): Promise<T[]> {
  return runInDurableObject(stubOf(address), (_instance, state) => state.storage.sql.exec<T>(query, ...params).toArray());
}

/** The link status of one shard (as GET /broker lists it). */
export function linkOf(address: ShardAddress): Promise<LinkStatus> {
  return stubOf(address).status(shardName(address));
}

/** Whether any shard object that exists stores a session for `cid` (false when the Worker never handed it to one). */
export async function anyShardHolds(cid: string): Promise<boolean> {
  for (const id of await listDurableObjectIds(env.SHARD)) {
    const found = await runInDurableObject(env.SHARD.get(id), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE cid = ?", cid).one().n,
    );
    if (found > 0) return true;
  }
  return false;
}

/** The regions the default configuration places charge points in. */
export const REGIONS: readonly LocationHint[] = [...new Set(Object.values(DEFAULT_CONFIG.shards.regions))];
