// Which gateway shard serves a charge point (src/shard/address.ts): the hashes against their published reference
// values, how few charge points a changed shard count moves, and how a request's place becomes a region.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type GatewayConfig } from "../../src/config/gateway-config";
import {
  allShards,
  candidateShards,
  fnv1a64,
  jumpHash,
  parsePlacement,
  parseShardName,
  placementOf,
  regionOf,
  regionsOf,
  shardAddress,
  shardName,
} from "../../src/shard/address";
import { config } from "./support/fake-relay";

function withShards(shards: Partial<GatewayConfig["shards"]>): GatewayConfig {
  return config({ shards: { ...DEFAULT_CONFIG.shards, ...shards } });
}

describe("fnv1a64", () => {
  it("matches the FNV reference values (offset basis; 'a'; 'foobar'), over the id's UTF-8 bytes", () => {
    expect(fnv1a64("")).toBe(0xcbf29ce484222325n);
    expect(fnv1a64("a")).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64("foobar")).toBe(0x85944171f73967e8n);
    // UTF-8, not UTF-16 code units: "é" is hashed as the two bytes C3 A9 (over the one unit E9 it would be 0xaf64644c8602d3a4).
    expect(fnv1a64("é")).toBe(0x0ac21707b7181e01n);
  });
});

describe("jumpHash (Lamping and Veach, arXiv:1406.2294)", () => {
  it("matches the reference implementation's golden values", () => {
    // Keys 0..19 into 100 buckets, and single keys, as published with Guava's and go-jump's implementations.
    const golden100 = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83];
    expect(golden100.map((_, key) => jumpHash(BigInt(key), 100))).toEqual(golden100);
    expect(jumpHash(10863919174838991n, 11)).toBe(6);
    expect(jumpHash(2016238256797177309n, 11)).toBe(3);
    expect(jumpHash(1673758223894951030n, 11)).toBe(5);
    expect(jumpHash(2n, 100001)).toBe(80343);
    expect(jumpHash(2201n, 100001)).toBe(22152);
    expect(jumpHash(2202n, 100001)).toBe(15018);
    expect(Array.from({ length: 19 }, (_, i) => jumpHash(0xdeadbeefn, i + 1))).toEqual([0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16]);
  });

  it("one bucket holds every key", () => {
    for (const key of [0n, 1n, 0xffffffffffffffffn, fnv1a64("CP-1")]) expect(jumpHash(key, 1)).toBe(0);
  });

  it.each([1, 2, 3, 7])("going from %i to n+1 shards moves about 1/(n+1) of the ids, each to the new shard only", (n) => {
    const ids = Array.from({ length: 6000 }, (_, i) => `CP-${i.toString(36)}-${(i * 7919) % 1000}`);
    let moved = 0;
    for (const id of ids) {
      const key = fnv1a64(id);
      const before = jumpHash(key, n);
      const after = jumpHash(key, n + 1);
      expect(before).toBeLessThan(n);
      if (after !== before) {
        moved++;
        expect(after).toBe(n);
      }
    }
    const expected = ids.length / (n + 1);
    // Binomial: 6000 draws, p = 1/(n+1); five standard deviations either side.
    const sd = Math.sqrt(ids.length * (1 / (n + 1)) * (1 - 1 / (n + 1)));
    expect(Math.abs(moved - expected)).toBeLessThan(5 * sd);
  });

  it("spreads ids evenly over the shards of a region", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) {
      const index = jumpHash(fnv1a64(`station-${i}`), 4);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(5 * Math.sqrt(8000 * 0.25 * 0.75));
  });
});

describe("placement and region", () => {
  it("placementOf keeps a colo (three capitals) and a continent (two capitals), and nothing else", () => {
    expect(placementOf({ colo: "FRA", continent: "EU" })).toBe("FRA,EU");
    expect(placementOf({ continent: "NA" })).toBe(",NA");
    expect(placementOf(undefined)).toBe(",");
    // Whatever else arrives is dropped: it would become part of the stored session.
    expect(placementOf({ colo: "fra", continent: "Europe" })).toBe(",");
    expect(placementOf({ colo: "FRA,EU", continent: 7 })).toBe(",");
    expect(parsePlacement(placementOf({ colo: "FRA", continent: "EU" }))).toEqual({ colo: "FRA", continent: "EU" });
    expect(parsePlacement(",NA")).toEqual({ continent: "NA" });
    expect(parsePlacement(",")).toEqual({});
  });

  it("regionOf prefers the colo over the continent over '*'", () => {
    const c = withShards({ regions: { FRA: "eeur", EU: "weur", NA: "enam", "*": "apac" } });
    expect(regionOf({ colo: "FRA", continent: "EU" }, c)).toBe("eeur");
    expect(regionOf({ colo: "AMS", continent: "EU" }, c)).toBe("weur");
    expect(regionOf({ colo: "AMS" }, c)).toBe("apac");
    expect(regionOf({ continent: "AF" }, c)).toBe("apac");
    expect(regionOf({}, c)).toBe("apac");
  });

  it("regionOf reads only the map's own keys", () => {
    const c = withShards({ regions: { "*": "enam" } });
    expect(regionOf({ colo: "constructor", continent: "__proto__" } as never, c)).toBe("enam");
  });

  it("the default map: one region per continent, North America for anything unknown", () => {
    expect(regionOf({ continent: "EU" }, DEFAULT_CONFIG)).toBe("weur");
    expect(regionOf({ continent: "NA" }, DEFAULT_CONFIG)).toBe("enam");
    expect(regionOf({ continent: "AN" }, DEFAULT_CONFIG)).toBe("oc");
    expect(regionOf({}, DEFAULT_CONFIG)).toBe("enam");
  });
});

describe("shard addresses and names", () => {
  it("shardAddress is (region, jump(fnv1a64(id)) mod per_region)", () => {
    const c = withShards({ per_region: 5 });
    for (const cid of ["CP-1", "CP-2", "東京ステーション1", "x".repeat(64)]) {
      expect(shardAddress(cid, "weur", c)).toEqual({ region: "weur", index: jumpHash(fnv1a64(cid), 5) });
    }
    expect(shardAddress("CP-1", "weur", withShards({ per_region: 1 }))).toEqual({ region: "weur", index: 0 });
  });

  it("names round-trip, and a name for a region the configuration does not use is refused", () => {
    const c = withShards({ per_region: 3 });
    expect(shardName({ region: "weur", index: 2 })).toBe("weur/2");
    expect(parseShardName("weur/2", c)).toEqual({ region: "weur", index: 2 });
    expect(parseShardName("me/0", withShards({ regions: { "*": "enam" } }))).toBeUndefined();
    for (const bad of ["weur", "weur/", "weur/-1", "weur/12345", "WEUR/0", "weur/0/1", "/0", ""]) expect(parseShardName(bad, c)).toBeUndefined();
  });

  it("allShards lists regions × per_region once each; candidateShards one per region", () => {
    const c = withShards({ per_region: 2, regions: { EU: "weur", FRA: "weur", NA: "enam", "*": "enam" } });
    expect(regionsOf(c)).toEqual(["weur", "enam"]);
    expect(allShards(c).map(shardName)).toEqual(["weur/0", "weur/1", "enam/0", "enam/1"]);
    const index = jumpHash(fnv1a64("CP-9"), 2);
    expect(candidateShards("CP-9", c)).toEqual([
      { region: "weur", index },
      { region: "enam", index },
    ]);
  });
});
