// The relay through the real Worker, its gateway shard (with its own broker connection, MQTT over TCP here) and a
// real broker (aedes). The CSMS side is a test-side MQTT client built on mqtt-packet, over WebSocket.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe } from "../worker-helpers/mqtt-probe";
import { addressOf, rows, stubOf } from "../worker-helpers/shards";

/** Waits until `n` calls are queued for `cid` in its shard's storage. */
async function queuedCalls(cid: string, n: number): Promise<void> {
  await vi.waitFor(async () => {
    const [row] = await rows<{ n: number }>(addressOf(cid), "SELECT COUNT(*) AS n FROM dn_queue WHERE cid = ?", cid);
    expect(row?.n).toBe(n);
  });
}

let csms: MqttProbe;

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

const onTopic = (topic: string, uniqueId?: string) => (m: { topic: string; json(): Record<string, unknown> }) =>
  m.topic === topic && (uniqueId === undefined || m.json().UniqueId === uniqueId);

describe("relay", () => {
  it("publishes a BootNotification as the EMQX envelope and delivers the CSMS's reply", async () => {
    const cp = await ChargePointSocket.open("relay-boot");
    cp.send([2, "1200012677", "BootNotification", { chargePointVendor: "vendor1", chargePointModel: "model1" }]);
    const call = await csms.next(onTopic("ocpp/cp/relay-boot"));
    expect(call.json()).toEqual({
      MessageTypeId: 2,
      UniqueId: "1200012677",
      Action: "BootNotification",
      Payload: { chargePointVendor: "vendor1", chargePointModel: "model1" },
    });
    const reply = { currentTime: "2023-12-01T14:20:39+00:00", interval: 300, status: "Accepted" };
    await csms.publish("ocpp/cs/relay-boot", { MessageTypeId: 3, UniqueId: "1200012677", Action: "BootNotification", Payload: reply });
    expect(await cp.nextFrame()).toEqual([3, "1200012677", reply]);
    cp.close();
  });

  it("answers a malformed CALL with a CALLERROR and keeps the connection", async () => {
    const cp = await ChargePointSocket.open("relay-malformed");
    cp.send('[2,"m1","Heartbeat"]');
    expect(await cp.nextFrame()).toEqual([4, "m1", "ProtocolError", "CALL must have 4 elements: [2, UniqueId, Action, Payload]", {}]);
    cp.send([2, "m2", "Heartbeat", {}]);
    expect((await csms.next(onTopic("ocpp/cp/relay-malformed", "m2"))).json()).toMatchObject({ Action: "Heartbeat" });
    expect(cp.closed).toBeUndefined();
    cp.close();
  });

  it("closes a charge point that keeps sending garbage (1008) after max_bad_frames", async () => {
    const cp = await ChargePointSocket.open("relay-garbage");
    for (let i = 0; i < 10; i++) cp.send(`garbage ${i}`);
    expect(await cp.whenClosed()).toEqual({ code: 1008, reason: "too many malformed frames" });
  });

  it("answers a binary frame with a close", async () => {
    const cp = await ChargePointSocket.open("relay-binary");
    cp.ws.send(new Uint8Array([1, 2, 3]));
    expect(await cp.whenClosed()).toEqual({ code: 1003, reason: "binary frames are not supported" });
  });

  it("a newer connection for the same id closes the older one with 1000", async () => {
    const first = await ChargePointSocket.open("relay-twice");
    const second = await ChargePointSocket.open("relay-twice");
    expect(await first.whenClosed()).toEqual({ code: 1000, reason: "replaced" });
    second.send([2, "t1", "Heartbeat", {}]);
    await csms.next(onTopic("ocpp/cp/relay-twice", "t1"));
    await csms.publish("ocpp/cs/relay-twice", { MessageTypeId: 3, UniqueId: "t1", Payload: { currentTime: "2024-01-01T00:00:00Z" } });
    expect(await second.nextFrame()).toEqual([3, "t1", { currentTime: "2024-01-01T00:00:00Z" }]);
    second.close();
  });

  it("reports a call to a charge point that is not connected", async () => {
    // Its shard holds the charge point's downstream filter from its first connection on, so the call reaches it.
    const cp = await ChargePointSocket.open("relay-nobody");
    cp.close();
    await csms.next((m) => m.topic === "ocpp/events/relay-nobody" && m.json().event === "client.disconnected");
    await csms.publish("ocpp/cs/relay-nobody", { MessageTypeId: 2, UniqueId: "n1", Action: "Reset", Payload: { type: "Soft" } });
    expect((await csms.next(onTopic("ocpp/cp/relay-nobody/Reply", "n1"))).json()).toEqual({
      MessageTypeId: 4,
      UniqueId: "n1",
      Action: "Reset",
      ErrorCode: "GenericError",
      ErrorDescription: "charge point is not connected",
      ErrorDetails: {},
      Origin: "gateway",
      Reason: "not_connected",
    });
  });
});

describe("limits", () => {
  it("a frame over max_frame_size (64 KiB) closes the connection with 1009 and a frame_too_large event", async () => {
    await csms.subscribe("ocpp/events/relay-big");
    const cp = await ChargePointSocket.open("relay-big");
    cp.send([2, "big", "DataTransfer", { vendorId: "v", data: "x".repeat(70_000) }]);
    expect(await cp.whenClosed()).toEqual({ code: 1009, reason: "frames are limited to 65536 bytes" });
    const event = await csms.next((m) => m.topic === "ocpp/events/relay-big" && m.json().event === "client.disconnected");
    expect(event.json()).toMatchObject({ reason: "frame_too_large" });
  });

  it("deep nesting and huge numbers get a clear answer; nothing escapes, the connection stays", async () => {
    const cp = await ChargePointSocket.open("relay-deep");
    cp.send(`[2,"deep","DataTransfer",{"vendorId":"v","data":${"[".repeat(20_000)}${"]".repeat(20_000)}}]`);
    expect(await cp.nextFrame()).toEqual([4, "deep", "TypeConstraintViolation", "DataTransfer: data must be of type string", expect.anything()]);
    cp.send('[2,"huge","StatusNotification",{"connectorId":1e400,"errorCode":"NoError","status":"Available"}]');
    expect((await cp.nextFrame())[2]).toBe("TypeConstraintViolation");
    cp.send([2, "fine", "Heartbeat", {}]);
    expect((await csms.next(onTopic("ocpp/cp/relay-deep", "fine"))).json()).toMatchObject({ Action: "Heartbeat" });
    expect(cp.closed).toBeUndefined();
    cp.close();
  });
});

describe("a shard restart", () => {
  // The shard keeps its broker connection open, so the runtime does not evict it while it holds charge points; a
  // restart (a deploy, a crash) drops its charge points' sockets, and its storage is what is left.
  it("in the middle of a conversation: the outstanding call ends, the queued one reaches the charge point when it is back", { timeout: 60_000 }, async () => {
    const cid = "relay-restarted";
    const cp = await ChargePointSocket.open(cid);

    // Mid-conversation: a charge point call awaiting the CSMS, a CSMS call awaiting the charge point, and a
    // second CSMS call queued behind it.
    cp.send([2, "cp-1", "StatusNotification", { connectorId: 0, errorCode: "NoError", status: "Available" }]);
    await csms.next(onTopic(`ocpp/cp/${cid}`, "cp-1"));
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "cs-1", Action: "Reset", Payload: { type: "Soft" } });
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "cs-2", Action: "ClearCache", Payload: {} });
    expect(await cp.nextFrame()).toEqual([2, "cs-1", "Reset", { type: "Soft" }]);
    await queuedCalls(cid, 1);

    const marker = Symbol.for("test-instance-marker");
    await runInDurableObject(stubOf(addressOf(cid)), (instance) => {
      (instance as unknown as Record<symbol, boolean>)[marker] = true;
    });
    await abortAllDurableObjects();
    const back = await ChargePointSocket.open(cid);
    // The call that went out on the lost connection can no longer be answered; the queued one goes out now.
    expect((await csms.next(onTopic(`ocpp/cp/${cid}/Reply`, "cs-1"), 10_000)).json()).toMatchObject({ Reason: "disconnected", Action: "Reset" });
    expect(await back.nextFrame(10_000)).toEqual([2, "cs-2", "ClearCache", {}]);
    back.send([3, "cs-2", { status: "Accepted" }]);
    expect((await csms.next(onTopic(`ocpp/cp/${cid}/Reply`, "cs-2"))).json()).toEqual({
      MessageTypeId: 3,
      UniqueId: "cs-2",
      Action: "ClearCache",
      Payload: { status: "Accepted" },
    });
    // And the charge point's own calls are relayed on the new connection.
    back.send([2, "cp-2", "Heartbeat", {}]);
    await csms.next(onTopic(`ocpp/cp/${cid}`, "cp-2"));
    // All of it in a new instance of the shard.
    expect(await runInDurableObject(stubOf(addressOf(cid)), (instance) => (instance as unknown as Record<symbol, boolean>)[marker])).toBeUndefined();
    back.close();
  });
});
