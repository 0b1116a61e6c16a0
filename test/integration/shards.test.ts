// Gateway shards through the real Worker, real shard objects and a real broker (aedes; the shards speak MQTT over
// TCP to it, the CSMS probe over WebSocket): where a charge point is served (region by the edge's colo or
// continent, shard by jump hash within the region), that a command reaches its charge point's shard only and
// nothing crosses between charge points of one shard, what survives a shard restart, and how charge points move
// when the shard count changes. The configuration is changed through the management API, as an operator does.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig, type GatewayConfig, type ShardsConfig } from "../../src/config/gateway-config";
import type { ShardAddress } from "../../src/shard/address";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";
import { addressOf, linkOf, LOCAL, nameOf, rows, stubOf } from "../worker-helpers/shards";
import { SLOW_SUBACK_MS, SLOW_SUBACK_PREFIX } from "../worker-helpers/slow-suback";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;

function api(path: string, method = "GET", body?: unknown): Promise<Response> {
  return SELF.fetch(`http://gateway/api/v5/gateways/ocpp${path}`, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Sets the shards section through the management API; returns the configuration the gateway now uses. */
async function useShards(shards: Partial<ShardsConfig>): Promise<GatewayConfig> {
  expect((await api("", "PUT", { shards })).status).toBe(204);
  const resolved = resolveConfig((await (await api("")).json()) as Record<string, unknown>);
  if (!resolved.ok) throw new Error(resolved.problems.join("; "));
  return resolved.config;
}

const DEFAULT_SHARDS = { per_region: 1, regions: { NA: "enam", SA: "sam", EU: "weur", AF: "afr", AS: "apac", OC: "oc", AN: "oc", "*": "enam" } } as const;

/** The first ids of the form `<prefix>-<n>` that `config` places in each of `indexes` (region enam). */
function idsFor(prefix: string, config: GatewayConfig, indexes: readonly number[]): string[] {
  const found = new Map<number, string>();
  for (let n = 0; found.size < indexes.length && n < 10_000; n++) {
    const cid = `${prefix}-${n}`;
    const { index } = addressOf(cid, config);
    if (indexes.includes(index) && !found.has(index)) found.set(index, cid);
  }
  return indexes.map((i) => found.get(i) as string);
}

async function clientShard(cid: string): Promise<string | undefined> {
  const res = await api(`/clients/${encodeURIComponent(cid)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /clients/${cid}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { shard: string }).shard;
}

async function sessionRow(address: ShardAddress, cid: string): Promise<boolean> {
  return (await rows(address, "SELECT cid FROM sessions WHERE cid = ?", cid)).length > 0;
}

const on = (topic: string, uniqueId: string) => (m: Received) => m.topic === topic && m.json().UniqueId === uniqueId;
const reset = (id: string) => ({ MessageTypeId: 2, UniqueId: id, Action: "Reset", Payload: { type: "Soft" } });
const disconnected = (cid: string) => (m: Received) => m.topic === `ocpp/events/${cid}` && m.json().event === "client.disconnected";

let csms: MqttProbe;
const open: ChargePointSocket[] = [];

async function connect(cid: string, cf?: { colo?: string; continent?: string }): Promise<ChargePointSocket> {
  const cp = await ChargePointSocket.open(cid, "ocpp1.6", cf);
  open.push(cp);
  return cp;
}

/** Waits until `n` calls are queued for `cid` in the storage of the shard at `address`. */
async function queued(address: ShardAddress, cid: string, n: number): Promise<void> {
  await vi.waitFor(async () => expect(await rows(address, "SELECT unique_id FROM dn_queue WHERE cid = ?", cid)).toHaveLength(n));
}

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

afterEach(async () => {
  for (const cp of open.splice(0)) cp.close();
  await useShards(DEFAULT_SHARDS);
});

describe("which shard serves a charge point", () => {
  it("by the continent the edge reports: a charge point connecting in Europe lands in a weur shard, one in North America in enam", async () => {
    await connect("route-eu", { colo: "AMS", continent: "EU" });
    await connect("route-na", { colo: "EWR", continent: "NA" });
    expect(await clientShard("route-eu")).toBe("weur/0");
    expect(await clientShard("route-na")).toBe("enam/0");
    expect(await sessionRow({ region: "weur", index: 0 }, "route-eu")).toBe(true);
    expect(await sessionRow(LOCAL, "route-eu")).toBe(false);
    // Each shard has its own broker connection, with its own client id, holding its own charge point's filter.
    const weur = await linkOf({ region: "weur", index: 0 });
    expect(weur).toMatchObject({ shard: "weur/0", state: "connected", clientId: expect.stringMatching(/-weur-0$/), filters: ["ocpp/cs/route-eu"] });
    expect((await linkOf(LOCAL)).filters).not.toContain("ocpp/cs/route-eu");
  });

  it("a colo in the region map beats the continent; an unmapped place goes to '*'", async () => {
    await useShards({ regions: { FRA: "eeur", EU: "weur", NA: "enam", "*": "apac" } });
    await connect("route-fra", { colo: "FRA", continent: "EU" });
    await connect("route-ams", { colo: "AMS", continent: "EU" });
    await connect("route-syd", { colo: "SYD", continent: "OC" });
    expect(await clientShard("route-fra")).toBe("eeur/0");
    expect(await clientShard("route-ams")).toBe("weur/0");
    expect(await clientShard("route-syd")).toBe("apac/0");
  });

  it("with several shards per region, each id goes to the shard its jump hash names, and every shard gets some", async () => {
    const config = await useShards({ per_region: 3 });
    const ids = Array.from({ length: 9 }, (_, i) => `spread-${i}`);
    for (const cid of ids) await connect(cid);
    // One request at a time: the management API refuses bursts (429).
    const placed: (string | undefined)[] = [];
    for (const cid of ids) placed.push(await clientShard(cid));
    expect(placed).toEqual(ids.map((cid) => nameOf(addressOf(cid, config))));
    expect(new Set(placed)).toEqual(new Set(["enam/0", "enam/1", "enam/2"]));
    // Listed once each, merged from the three shards.
    const list = (await (await api("/clients?like_clientid=spread-&limit=100")).json()) as { data: { clientid: string; shard: string }[] };
    expect(list.data.map((c) => [c.clientid, c.shard])).toEqual(ids.map((cid, i) => [cid, placed[i]]));
  });
});

describe("downstream", () => {
  it("on a live link a connect waits for its filters even when the broker takes seconds to confirm them: the answer to the charge point's first call reaches it", async () => {
    // The link is up (another charge point holds it), so the connect waits only for this charge point's SUBACK,
    // which the test broker sends after SLOW_SUBACK_MS. A call the charge point sends meanwhile waits its turn.
    await connect("suback-warm");
    expect((await linkOf(LOCAL)).state).toBe("connected");
    const cid = `${SLOW_SUBACK_PREFIX}1`;
    const cp = await connect(cid);
    cp.send([2, "boot-slow", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" }]);
    const up = await csms.next(on(`ocpp/cp/${cid}`, "boot-slow"), SLOW_SUBACK_MS + 10_000);
    // Published only once the filter was confirmed: the answer has a subscriber.
    expect(up.json()).toMatchObject({ Action: "BootNotification" });
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: "boot-slow", Payload: { currentTime: "2026-12-07T00:00:00Z", interval: 300, status: "Accepted" } });
    expect(await cp.nextFrame(5_000)).toEqual([3, "boot-slow", { currentTime: "2026-12-07T00:00:00Z", interval: 300, status: "Accepted" }]);
  }, 40_000);

  it("a command reaches only the shard that holds its charge point: the other shard neither holds its filter nor receives it", async () => {
    const config = await useShards({ per_region: 2 });
    const [a, b] = idsFor("dn", config, [0, 1]) as [string, string];
    const cpA = await connect(a);
    const cpB = await connect(b);
    const shardA = addressOf(a, config);
    const shardB = addressOf(b, config);
    expect([await clientShard(a), await clientShard(b)]).toEqual(["enam/0", "enam/1"]);
    const [beforeA, beforeB] = [await linkOf(shardA), await linkOf(shardB)];
    // (Each shard also still holds the charge points of the tests before, which are away now.)
    expect(beforeA.filters).toContain(`ocpp/cs/${a}`);
    expect(beforeB.filters).toContain(`ocpp/cs/${b}`);
    expect(beforeB.filters).not.toContain(`ocpp/cs/${a}`);

    await csms.publish(`ocpp/cs/${a}`, reset("only-a"));
    expect(await cpA.nextFrame()).toEqual([2, "only-a", "Reset", { type: "Soft" }]);
    cpA.send([3, "only-a", { status: "Accepted" }]);
    await csms.next(on(`ocpp/cp/${a}/Reply`, "only-a"));

    const [afterA, afterB] = [await linkOf(shardA), await linkOf(shardB)];
    expect(afterA.delivered).toBe(beforeA.delivered + 1);
    // Shard B received nothing: not delivered, not dropped as a charge point it does not hold.
    expect({ delivered: afterB.delivered, dropped: afterB.dropped }).toEqual({ delivered: beforeB.delivered, dropped: beforeB.dropped });
    expect(afterB.filters).toEqual(beforeB.filters);
    await expect(cpB.nextFrame(300)).rejects.toThrow(/no frame/);
  });

  it("two charge points of one shard never see each other's frames, commands or answers", async () => {
    const x = await connect("iso-x");
    const y = await connect("iso-y");
    expect([await clientShard("iso-x"), await clientShard("iso-y")]).toEqual(["enam/0", "enam/0"]);

    x.send([2, "x-hb", "Heartbeat", {}]);
    expect((await csms.next(on("ocpp/cp/iso-x", "x-hb"))).topic).toBe("ocpp/cp/iso-x");
    await csms.publish("ocpp/cs/iso-x", reset("for-x"));
    expect(await x.nextFrame()).toEqual([2, "for-x", "Reset", { type: "Soft" }]);

    // y answers x's outstanding call: that is y's own (unknown) answer, never x's.
    y.send([3, "for-x", { status: "Rejected" }]);
    y.send([2, "y-hb", "Heartbeat", {}]);
    await csms.next(on("ocpp/cp/iso-y", "y-hb"));
    expect(csms.pending("ocpp/cp/iso-x/Reply")).toEqual([]);
    // x's call is still outstanding: x's own answer ends it, with x's payload.
    x.send([3, "for-x", { status: "Accepted" }]);
    expect((await csms.next(on("ocpp/cp/iso-x/Reply", "for-x"))).json()).toEqual({ MessageTypeId: 3, UniqueId: "for-x", Action: "Reset", Payload: { status: "Accepted" } });

    // Nothing of x's reached y, and nothing was published for y under x's topics or the other way round.
    await expect(y.nextFrame(300)).rejects.toThrow(/no frame/);
    expect(csms.pending("ocpp/cp/iso-x")).toEqual([]);
    x.close();
    await csms.next(disconnected("iso-x"));
    expect(y.closed).toBeUndefined();
  });
});

describe("a shard restart", () => {
  it("keeps the sessions and queues: a charge point that reconnects gets its queued calls in order", { timeout: 60_000 }, async () => {
    const cid = "restart-queue";
    const cp = await connect(cid);
    for (const id of ["c1", "c2", "c3", "c4"]) await csms.publish(`ocpp/cs/${cid}`, reset(id));
    expect((await cp.nextFrame())[1]).toBe("c1");
    await queued(LOCAL, cid, 3);

    await abortAllDurableObjects();
    // The lost connection's outstanding call ends; the queued ones wait for the charge point.
    const back = await connect(cid);
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "c1"), 10_000)).json()).toMatchObject({ Reason: "disconnected" });
    for (const id of ["c2", "c3", "c4"]) {
      expect(await back.nextFrame(10_000)).toEqual([2, id, "Reset", { type: "Soft" }]);
      back.send([3, id, { status: "Accepted" }]);
      expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, id))).json()).toMatchObject({ MessageTypeId: 3, Action: "Reset" });
    }
  });

  it("an outbox entry written while the broker was unreachable is published after the restart", { timeout: 60_000 }, async () => {
    const cid = "restart-outbox";
    const cp = await connect(cid);
    cp.send([2, "before", "Heartbeat", {}]);
    await csms.next(on(`ocpp/cp/${cid}`, "before"));
    // The broker becomes unreachable for this shard: its link can no longer connect.
    await runInDurableObject(stubOf(LOCAL), (instance) => {
      const link = (instance as unknown as { broker: { link: { settings: () => Error; restart(why: string): void } } }).broker.link;
      link.settings = () => new Error("broker unreachable (test)");
      link.restart("test: broker unreachable");
    });
    await vi.waitFor(async () => expect((await linkOf(LOCAL)).state).not.toBe("connected"));
    cp.send([2, "during", "Heartbeat", {}]);
    // Kept in the outbox once the link did not come back in time.
    await vi.waitFor(async () => expect(await rows(LOCAL, "SELECT payload FROM outbox WHERE cid = ?", cid)).toHaveLength(1), { timeout: 15_000 });
    expect(csms.pending(`ocpp/cp/${cid}`)).toEqual([]);

    await abortAllDurableObjects();
    // The restarted shard (woken by its watchdog) connects, and what waited goes out, in order.
    expect(await runDurableObjectAlarm(stubOf(LOCAL))).toBe(true);
    expect((await csms.next(on(`ocpp/cp/${cid}`, "during"), 15_000)).json()).toMatchObject({ Action: "Heartbeat" });
    await csms.next(disconnected(cid), 15_000);
    await vi.waitFor(async () => expect(await rows(LOCAL, "SELECT payload FROM outbox WHERE cid = ?", cid)).toEqual([]));
  });
});

describe("a changed shard count", () => {
  it("charge points placed elsewhere are closed (1012 moved), reconnect to their new shard, which delivers the calls handed over; the old shard lets go", { timeout: 60_000 }, async () => {
    const three = resolveConfig({ shards: { ...DEFAULT_SHARDS, per_region: 3 } });
    if (!three.ok) throw new Error("config");
    const [stays, moves] = idsFor("mv", three.config, [0, 2]) as [string, string];
    const staying = await connect(stays);
    const moving = await connect(moves);
    expect([await clientShard(stays), await clientShard(moves)]).toEqual(["enam/0", "enam/0"]);
    for (const id of ["m1", "m2", "m3"]) await csms.publish(`ocpp/cs/${moves}`, reset(id));
    expect((await moving.nextFrame())[1]).toBe("m1");
    await queued(LOCAL, moves, 2);

    await useShards({ per_region: 3 });
    expect(await moving.whenClosed()).toEqual({ code: 1012, reason: "moved" });
    expect((await csms.next(disconnected(moves))).json()).toMatchObject({ reason: "moved" });
    expect((await csms.next(on(`ocpp/cp/${moves}/Reply`, "m1"))).json()).toMatchObject({ Reason: "disconnected" });
    expect(staying.closed).toBeUndefined();

    const back = await connect(moves);
    expect(await clientShard(moves)).toBe("enam/2");
    // The calls queued at the old shard are handed over and delivered by the new one, in order.
    for (const id of ["m2", "m3"]) {
      expect(await back.nextFrame(10_000)).toEqual([2, id, "Reset", { type: "Soft" }]);
      back.send([3, id, { status: "Accepted" }]);
      expect((await csms.next(on(`ocpp/cp/${moves}/Reply`, id))).json()).toMatchObject({ MessageTypeId: 3, Action: "Reset" });
    }
    // The old shard forgot the charge point and its broker session no longer holds its filters.
    await vi.waitFor(async () => {
      expect(await sessionRow(LOCAL, moves)).toBe(false);
      expect(await rows(LOCAL, "SELECT filter FROM filters WHERE filter LIKE ?", `%/${moves}`)).toEqual([]);
    });
    expect((await linkOf({ region: "enam", index: 2 })).filters).toContain(`ocpp/cs/${moves}`);
    expect((await linkOf(LOCAL)).filters).not.toContain(`ocpp/cs/${moves}`);
    // New commands reach it through its new shard; the one that stayed is still served by the old.
    await csms.publish(`ocpp/cs/${moves}`, reset("after-move"));
    expect((await back.nextFrame())[1]).toBe("after-move");
    await csms.publish(`ocpp/cs/${stays}`, reset("still-here"));
    expect((await staying.nextFrame())[1]).toBe("still-here");
  });
});
