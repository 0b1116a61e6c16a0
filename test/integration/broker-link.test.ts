// The shard's broker link through the real Worker, gateway shard and a real broker (aedes; the shard speaks MQTT
// over TCP to it): downstream messages it must not deliver, and a downstream topic changed through the management
// API or in KV alone.
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";
import { LOCAL, stubOf } from "../worker-helpers/shards";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;

function api(path: string, method = "GET", body?: unknown): Promise<Response> {
  return SELF.fetch(`http://gateway/api/v5/gateways/ocpp${path}`, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

interface LinkView {
  shard: string;
  state: string;
  clientId: string;
  subscriptions: number;
  filters: string[];
  refused: number;
  delivered: number;
  dropped: number;
}

/** The link of the shard every charge point of this file connects to (miniflare's requests: region enam). */
async function linkStatus(): Promise<LinkView> {
  const body = (await (await api("/broker")).json()) as { links: LinkView[] };
  const link = body.links.find((l) => l.shard === "enam/0");
  if (link === undefined) throw new Error(`no link for enam/0 in ${JSON.stringify(body)}`);
  return link;
}

/** As after a minute without a configuration read: the shard reads it again when next needed. */
async function expireShardConfig(): Promise<void> {
  await runInDurableObject(stubOf(LOCAL), (instance) => (instance as unknown as { current: { expire(): void } }).current.expire());
}

const on = (topic: string, uniqueId: string) => (m: Received) => m.topic === topic && m.text !== "" && m.json().UniqueId === uniqueId;

let csms: MqttProbe;

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/cp/#");
});

afterAll(() => csms.close());

afterEach(async () => {
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
});

describe("downstream messages the link must not deliver", () => {
  it("an envelope over max_frame_size is acknowledged and reported as too_large, never sent; the next command is", async () => {
    const cp = await ChargePointSocket.open("link-large");
    const big = { MessageTypeId: 2, UniqueId: "big-1", Action: "DataTransfer", Payload: { vendorId: "v", data: "x".repeat(100 * 1024) } };
    const size = new TextEncoder().encode(JSON.stringify(big)).byteLength;
    await csms.publish("ocpp/cs/link-large", big);
    expect((await csms.next(on("ocpp/cp/link-large/Reply", "big-1"))).json()).toEqual({
      MessageTypeId: 4,
      UniqueId: "big-1",
      Action: "DataTransfer",
      ErrorCode: "GenericError",
      ErrorDescription: `message of ${size} bytes exceeds max_frame_size (65536 bytes)`,
      ErrorDetails: {},
      Origin: "gateway",
      Reason: "too_large",
    });
    await csms.publish("ocpp/cs/link-large", { MessageTypeId: 2, UniqueId: "small-1", Action: "DataTransfer", Payload: { vendorId: "v" } });
    // The first frame the charge point gets is the small command: the large one never went out.
    expect(await cp.nextFrame()).toEqual([2, "small-1", "DataTransfer", { vendorId: "v" }]);
    cp.close();
  });

  it("a retained command runs once when published and is not replayed when the link subscribes again", async () => {
    let cp = await ChargePointSocket.open("link-retained");
    const command = { MessageTypeId: 2, UniqueId: "rs-1", Action: "RemoteStartTransaction", Payload: { idTag: "tag-1" } };
    try {
      await csms.publish("ocpp/cs/link-retained", command, { retain: true });
      // Forwarded live to the link's existing subscription, the message carries RETAIN=0 [MQTT-3.3.1-9].
      expect(await cp.nextFrame()).toEqual([2, "rs-1", "RemoteStartTransaction", { idTag: "tag-1" }]);
      cp.send([3, "rs-1", { status: "Accepted" }]);
      await csms.next(on("ocpp/cp/link-retained/Reply", "rs-1"));

      // The charge point reconnecting costs no new SUBSCRIBE: the stored command does not come back.
      const again = await ChargePointSocket.open("link-retained");
      await expect(again.nextFrame(500)).rejects.toThrow(/no frame/);
      cp.close();
      cp = again;
      // A broker that lost the shard's session (here: a clean session taken with its client id) makes the shard
      // subscribe everything again, and the broker then sends the stored command with RETAIN=1.
      const { clientId } = await linkStatus();
      (await MqttProbe.connect(undefined, clientId)).close();
      const report = await csms.next((m) => on("ocpp/cp/link-retained/Reply", "rs-1")(m) && m.json().Reason === "retained", 15_000);
      expect(report.json()).toMatchObject({ MessageTypeId: 4, Action: "RemoteStartTransaction", ErrorCode: "GenericError", Origin: "gateway" });

      await csms.publish("ocpp/cs/link-retained", { MessageTypeId: 2, UniqueId: "after", Action: "Reset", Payload: { type: "Soft" } });
      // The next frame is the new command: the stored one was not sent again.
      expect(await cp.nextFrame()).toEqual([2, "after", "Reset", { type: "Soft" }]);
      expect(await linkStatus()).toMatchObject({ state: "connected", refused: expect.any(Number) });
    } finally {
      // An empty retained message clears it at the broker (and is ignored by the link).
      await csms.publish("ocpp/cs/link-retained", "", { retain: true });
      cp.close();
    }
  });
});

describe("a changed downstream topic", () => {
  /** The charge point's downstream filters the shard holds (one per charge point; the claims filter is not listed). */
  const filtersOf = async (cid: string) => (await linkStatus()).filters.filter((f) => f.includes(`/${cid}`));

  it("replaces the subscription on the live session; changing it back leaves only the first and no second delivery", async () => {
    const cp = await ChargePointSocket.open("link-topic");
    const call = (id: string) => ({ MessageTypeId: 2, UniqueId: id, Action: "ClearCache", Payload: {} });
    const answer = async (id: string) => {
      expect(await cp.nextFrame()).toEqual([2, id, "ClearCache", {}]);
      cp.send([3, id, { status: "Accepted" }]);
      await csms.next(on("ocpp/cp/link-topic/Reply", id));
    };
    try {
      expect((await api("", "PUT", { dnstream: { topic: "cs/${cid}/#" } })).status).toBe(204);
      await csms.publish("ocpp/cs/link-topic/deep", call("t1"));
      await answer("t1");
      await vi.waitFor(async () => expect(await filtersOf("link-topic")).toEqual(["ocpp/cs/link-topic/#"]));

      expect((await api("", "PUT", { dnstream: { topic: "cs/${cid}" } })).status).toBe(204);
      // Only the earlier filter matched this topic: it must no longer reach the charge point.
      await csms.publish("ocpp/cs/link-topic/deep", call("stale"));
      await csms.publish("ocpp/cs/link-topic", call("t2"));
      await answer("t2");
      await csms.publish("ocpp/cs/link-topic", call("t3"));
      // The frame after t2 is t3: neither the stale-topic call nor a second copy of t2 came in between.
      await answer("t3");
      await vi.waitFor(async () => expect(await filtersOf("link-topic")).toEqual(["ocpp/cs/link-topic"]));
    } finally {
      await api("", "PUT", { dnstream: { topic: "cs/${cid}" } });
      cp.close();
    }
  });

  it("changed through the API a while after the shard last read its configuration: the filters follow all the same", async () => {
    const cp = await ChargePointSocket.open("link-topic-3");
    try {
      await expireShardConfig();
      expect((await api("", "PUT", { dnstream: { topic: "cmd/${cid}" } })).status).toBe(204);
      await vi.waitFor(async () => expect(await filtersOf("link-topic-3")).toEqual(["ocpp/cmd/link-topic-3"]), { timeout: 10_000, interval: 100 });
      await csms.publish("ocpp/cmd/link-topic-3", { MessageTypeId: 2, UniqueId: "late-put", Action: "ClearCache", Payload: {} });
      expect(await cp.nextFrame()).toEqual([2, "late-put", "ClearCache", {}]);
    } finally {
      await api("", "PUT", { dnstream: { topic: "cs/${cid}" } });
      cp.close();
    }
  });

  it("written where the shard was not told (KV only) is applied once its cached configuration is read again, and the old filter unsubscribed", async () => {
    const cp = await ChargePointSocket.open("link-topic-2");
    try {
      await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify({ dnstream: { topic: "cmd/${cid}" } }));
      expect(await filtersOf("link-topic-2")).toEqual(["ocpp/cs/link-topic-2"]);
      await expireShardConfig();
      expect((await api("/broker/restart", "POST")).status).toBe(204);
      await vi.waitFor(
        async () => {
          expect(await linkStatus()).toMatchObject({ state: "connected" });
          expect(await filtersOf("link-topic-2")).toEqual(["ocpp/cmd/link-topic-2"]);
        },
        { timeout: 15_000, interval: 100 },
      );
      const before = await linkStatus();
      await csms.publish("ocpp/cs/link-topic-2", { MessageTypeId: 2, UniqueId: "old", Action: "ClearCache", Payload: {} });
      await csms.publish("ocpp/cmd/link-topic-2", { MessageTypeId: 2, UniqueId: "new", Action: "ClearCache", Payload: {} });
      expect(await cp.nextFrame()).toEqual([2, "new", "ClearCache", {}]);
      // Had the broker kept the old filter, the shard would have received "old" first and dropped it as unroutable.
      expect(await linkStatus()).toMatchObject({ dropped: before.dropped, delivered: before.delivered + 1 });
    } finally {
      await api("", "PUT", { dnstream: { topic: "cs/${cid}" } });
      cp.close();
    }
  });
});
