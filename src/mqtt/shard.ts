/** Which BrokerLink shard carries a charge point's traffic: FNV-1a (32 bit) of the id's UTF-8 bytes, mod N. */

const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function shardOf(cid: string, shards: number): number {
  return shards <= 1 ? 0 : fnv1a32(cid) % shards;
}
