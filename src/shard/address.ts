/**
 * Which gateway shard serves a charge point: `(region, jump(id) mod per_region)`. The region comes from where
 * Cloudflare's edge received the charger's request (`request.cf.colo`, else `request.cf.continent`, else `*` in the
 * `shards.regions` map) and is a Durable Object location hint, given when the shard's object is first created, so
 * that a charger's frames stay near it and only the shard's broker connection crosses the distance
 * (https://developers.cloudflare.com/durable-objects/reference/data-location/). Within a region, Lamping and
 * Veach's jump consistent hash (arXiv:1406.2294) over the id's 64-bit FNV-1a picks the shard: going from n to n+1
 * shards moves 1/(n+1) of the charge points, the least any scheme can.
 *
 * The one addressing function for shards: nothing else calls `idFromName` for them.
 */
import type { GatewayConfig, LocationHint } from "../config/gateway-config";

export interface ShardAddress {
  readonly region: LocationHint;
  readonly index: number;
}

const encoder = new TextEncoder();
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

export function fnv1a64(text: string): bigint {
  let hash = FNV64_OFFSET;
  for (const byte of encoder.encode(text)) hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  return hash;
}

/** Jump consistent hash: the bucket in [0, buckets) of a 64-bit key. */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (2 ** 31 / Number((k >> 33n) + 1n)));
  }
  return b;
}

/** Where Cloudflare's edge received a charge point's request: what its region is decided by. */
export interface Placement {
  readonly colo?: string;
  readonly continent?: string;
}

/** The placement as kept with a session (`<colo>,<continent>`), so a changed region map can be applied to it later. */
export function placementOf(cf: { readonly colo?: unknown; readonly continent?: unknown } | undefined): string {
  const colo = typeof cf?.colo === "string" && /^[A-Z]{3}$/.test(cf.colo) ? cf.colo : "";
  const continent = typeof cf?.continent === "string" && /^[A-Z]{2}$/.test(cf.continent) ? cf.continent : "";
  return `${colo},${continent}`;
}

export function parsePlacement(text: string): Placement {
  const [colo, continent] = text.split(",");
  return { ...(colo ? { colo } : {}), ...(continent ? { continent } : {}) };
}

/** The region of a request: its colo, else its continent, else `*`, in the configuration's map. */
export function regionOf(placement: Placement, config: GatewayConfig): LocationHint {
  const { regions } = config.shards;
  const { colo, continent } = placement;
  if (colo !== undefined && Object.hasOwn(regions, colo)) return regions[colo] as LocationHint;
  if (continent !== undefined && Object.hasOwn(regions, continent)) return regions[continent] as LocationHint;
  return regions["*"] as LocationHint;
}

export function shardAddress(cid: string, region: LocationHint, config: GatewayConfig): ShardAddress {
  return { region, index: jumpHash(fnv1a64(cid), config.shards.per_region) };
}

export function shardName(address: ShardAddress): string {
  return `${address.region}/${address.index}`;
}

/** Parses a name made by shardName. */
export function parseShardName(name: string, config: GatewayConfig): ShardAddress | undefined {
  const m = /^([a-z]+)\/(\d{1,4})$/.exec(name);
  if (m === null) return undefined;
  const region = m[1] as LocationHint;
  if (!Object.values(config.shards.regions).includes(region)) return undefined;
  return { region, index: Number(m[2]) };
}

export type ShardStub = DurableObjectStub<import("../objects/gateway-shard").GatewayShard>;

/** The shard's stub; created, on first use, in its region. */
export function shardStub(env: Env, address: ShardAddress): ShardStub {
  return env.SHARD.get(env.SHARD.idFromName(`shard:${shardName(address)}`), { locationHint: address.region });
}

/** The regions the configuration can place charge points in. */
export function regionsOf(config: GatewayConfig): LocationHint[] {
  return [...new Set(Object.values(config.shards.regions))];
}

/** Every shard of the configuration, for the management API's fan-out. */
export function allShards(config: GatewayConfig): ShardAddress[] {
  return regionsOf(config).flatMap((region) => Array.from({ length: config.shards.per_region }, (_, index) => ({ region, index })));
}

/** The shards that can hold a charge point: its shard in each region (the region depends on where it connects from). */
export function candidateShards(cid: string, config: GatewayConfig): ShardAddress[] {
  return regionsOf(config).map((region) => shardAddress(cid, region, config));
}
