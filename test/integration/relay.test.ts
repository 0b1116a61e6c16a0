// The relay through the real Worker, ChargePoint and BrokerLink objects and a real broker (aedes over WebSocket).
// The CSMS side is a test-side MQTT client built on mqtt-packet.
import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe } from "../worker-helpers/mqtt-probe";

let csms: MqttProbe;

beforeAll(async () => {
  csms = await MqttProbe.connect(env.MQTT_URL);
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

describe("hibernation", () => {
  it("keeps relaying across an eviction in the middle of a conversation", { timeout: 60_000 }, async () => {
    const cid = "relay-evicted";
    const cp = await ChargePointSocket.open(cid);
    const stub = env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid));

    // Mid-conversation: a charge point call awaiting the CSMS, a CSMS call awaiting the charge point, and a
    // second CSMS call queued behind it.
    cp.send([2, "cp-1", "StatusNotification", { connectorId: 0, errorCode: "NoError", status: "Available" }]);
    await csms.next(onTopic(`ocpp/cp/${cid}`, "cp-1"));
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "cs-1", Action: "Reset", Payload: { type: "Soft" } });
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "cs-2", Action: "ClearCache", Payload: {} });
    expect(await cp.nextFrame()).toEqual([2, "cs-1", "Reset", { type: "Soft" }]);

    const marker = Symbol.for("test-instance-marker");
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as Record<symbol, boolean>)[marker] = true;
    });
    // Idle hibernatable objects are evicted by the runtime after about 10 s; the socket stays open. A fixed wait,
    // not a poll: every look into the object would count as activity and keep it in memory.
    await new Promise((r) => setTimeout(r, 12_000));
    const sameInstance = await runInDurableObject(stub, (instance) => (instance as unknown as Record<symbol, boolean>)[marker]);
    expect(sameInstance).toBeUndefined();
    expect(cp.closed).toBeUndefined();

    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: "cp-1", Payload: {} });
    expect(await cp.nextFrame()).toEqual([3, "cp-1", {}]);
    cp.send([3, "cs-1", { status: "Accepted" }]);
    expect((await csms.next(onTopic(`ocpp/cp/${cid}/Reply`, "cs-1"))).json()).toEqual({
      MessageTypeId: 3,
      UniqueId: "cs-1",
      Action: "Reset",
      Payload: { status: "Accepted" },
    });
    // The call queued behind it before the eviction goes out now.
    expect(await cp.nextFrame()).toEqual([2, "cs-2", "ClearCache", {}]);
    cp.close();
  });
});
