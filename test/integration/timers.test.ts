// The ChargePoint object's timers and stored state against values that are legal but extreme, or written by an
// earlier version: the real Worker, object, storage alarm and broker.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChargePoint } from "../../src/objects/charge-point";
import { readAttachment } from "../../src/objects/attachment";
import { SqlOutboxStore } from "../../src/objects/outbox-store";
import { MAX_HEARTBEAT_INTERVAL_S } from "../../src/session/lifecycle";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";

let csms: MqttProbe;

beforeAll(async () => {
  csms = await MqttProbe.connect(env.MQTT_URL);
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

const on = (topic: string, uniqueId?: string) => (m: Received) => m.topic === topic && (uniqueId === undefined || m.json().UniqueId === uniqueId);
const stubOf = (cid: string) => env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid));

async function booted(cid: string, interval: number): Promise<ChargePointSocket> {
  const cp = await ChargePointSocket.open(cid);
  cp.send([2, "boot", "BootNotification", { chargePointVendor: "v", chargePointModel: "m" }]);
  await csms.next(on(`ocpp/cp/${cid}`, "boot"));
  await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: "boot", Payload: { status: "Accepted", currentTime: new Date().toISOString(), interval } });
  expect((await cp.nextFrame())[1]).toBe("boot");
  return cp;
}

describe("timers", () => {
  it("a BootNotification answer with interval 2^53 − 1 (schema-valid) leaves the alarm working", async () => {
    const cid = "timers-huge-interval";
    const cp = await booted(cid, Number.MAX_SAFE_INTEGER);
    const stub = stubOf(cid);
    // The first alarm (the idle timeout's) reschedules for the heartbeat check: that must not throw.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeLessThanOrEqual(Date.now() + 2 * MAX_HEARTBEAT_INTERVAL_S * 1000 + 60_000);
    // And the object still serves the charge point.
    cp.send([2, "hb", "Heartbeat", {}]);
    await csms.next(on(`ocpp/cp/${cid}`, "hb"));
    expect(cp.closed).toBeUndefined();
    cp.close();
  });
});

describe("the silence check judges when frames arrived", () => {
  it("a frame that arrived while the alarm's check waited its turn keeps the connection, and is relayed", async () => {
    const cid = "timers-arrived-first";
    const cp = await booted(cid, 60);
    await runInDurableObject(stubOf(cid), async (instance: ChargePoint, state) => {
      const [ws] = state.getWebSockets();
      const attachment = ws === undefined ? undefined : readAttachment(ws);
      if (ws === undefined || attachment === undefined) throw new Error("the charge point's socket is not there");
      // Silent for 3 minutes by its state: the check is due and would close it (heartbeat 60 s, backoff 1).
      attachment.lastSeen = attachment.heartbeatSince = Date.now() - 180_000;
      // The object is busy with an earlier task (a slow publish, say): the alarm comes and waits its turn, then a
      // frame arrives and waits behind it.
      let release = (): void => undefined;
      const busy = new Promise<void>((resolve) => (release = resolve));
      const queue = (instance as unknown as { serialize(task: () => Promise<void>): Promise<void> }).serialize(() => busy);
      const alarm = instance.alarm();
      const frame = instance.webSocketMessage(ws, JSON.stringify([2, "late-1", "Heartbeat", {}]));
      release();
      await Promise.all([queue, alarm, frame]);
    });
    expect((await csms.next(on(`ocpp/cp/${cid}`, "late-1"))).json()).toMatchObject({ Action: "Heartbeat" });
    expect(cp.closed).toBeUndefined();
    cp.close();
  });
});

describe("stored state from an earlier version", () => {
  it("a connection's stored configuration that lacks fields is completed (or replaced) before use", async () => {
    const cid = "timers-old-config";
    const cp = await booted(cid, 60);
    const stub = stubOf(cid);
    await runInDurableObject(stub, async (instance, state) => {
      const stored = (await state.storage.get<{ config: Record<string, unknown> }>("connection")) as { config: Record<string, unknown> };
      const { dnstream: _dnstream, max_frames_per_second: _rate, ...older } = stored.config;
      await state.storage.put("connection", { ...stored, config: older });
      // As after an eviction: the next handler reads the stored record again.
      (instance as unknown as { stored: unknown }).stored = undefined;
    });
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "old-1", Action: "Reset", Payload: { type: "Soft" } });
    expect(await cp.nextFrame()).toEqual([2, "old-1", "Reset", { type: "Soft" }]);
    cp.send([3, "old-1", { status: "Accepted" }]);
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "old-1"))).json()).toMatchObject({ Action: "Reset" });
    cp.close();
  });
});

describe("charge points that never connected", () => {
  it("a command for one leaves no storage behind", async () => {
    const cid = "timers-never";
    await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "n-1", Action: "Reset", Payload: { type: "Soft" } });
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "n-1"))).json()).toMatchObject({ Reason: "not_connected", ErrorCode: "GenericError" });
    const left = await runInDurableObject(stubOf(cid), async (_instance, state) => [...(await state.storage.list()).keys()]);
    expect(left.filter((k) => !k.startsWith("__"))).toEqual([]);
  });

  it("a not_connected report left waiting in the outbox by a broker outage goes out on the object's alarm; then nothing is left", async () => {
    const cid = "timers-never-queued";
    const stub = stubOf(cid);
    const report = JSON.stringify({ MessageTypeId: 4, UniqueId: "q-1", Action: "Reset", ErrorCode: "GenericError", ErrorDescription: "charge point is not connected", ErrorDetails: {}, Origin: "gateway", Reason: "not_connected" });
    // The state such an outage leaves: the report kept in the outbox, a retry due, the alarm armed.
    await runInDurableObject(stub, async (_instance, state) => {
      const store = new SqlOutboxStore(state.storage);
      await store.append({ topic: `ocpp/cp/${cid}/Reply`, payload: report, retain: false, queuedAt: Date.now() });
      await store.setRetry({ at: Date.now() - 1, attempts: 1 });
      await state.storage.put("unconnected:cid", cid);
      await state.storage.setAlarm(Date.now());
    });
    // The alarm is due at once, so the runtime runs it.
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "q-1"))).json()).toMatchObject({ Reason: "not_connected" });
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      keys: [...(await state.storage.list()).keys()].filter((k) => !k.startsWith("__")),
      outbox: await new SqlOutboxStore(state.storage).length(),
    }));
    expect(left).toEqual({ keys: [], outbox: 0 });
  });
});

describe("a charge point that comes back speaking another OCPP version", () => {
  it("calls queued for its earlier version end with version_changed instead of reaching it", async () => {
    const cid = "timers-version";
    const v16 = await booted(cid, 60);
    const reset16 = (id: string) => ({ MessageTypeId: 2, UniqueId: id, Action: "Reset", Payload: { type: "Soft" } });
    await csms.publish(`ocpp/cs/${cid}`, reset16("v-1"));
    await csms.publish(`ocpp/cs/${cid}`, reset16("v-2"));
    expect((await v16.nextFrame())[1]).toBe("v-1");
    // v-2 waits in the queue behind the outstanding v-1 before the charge point goes.
    const stub = stubOf(cid);
    for (let i = 0; (await stub.clientStats()).mqueue_len < 1; i++) {
      if (i > 100) throw new Error("v-2 was never queued");
      await new Promise((r) => setTimeout(r, 20));
    }
    v16.close();
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "v-1"))).json()).toMatchObject({ Reason: "disconnected" });
    const v201 = await ChargePointSocket.open(cid, "ocpp2.0.1");
    expect((await csms.next(on(`ocpp/cp/${cid}/Reply`, "v-2"))).json()).toMatchObject({ Reason: "version_changed", Action: "Reset", Origin: "gateway" });
    await expect(v201.nextFrame(500)).rejects.toThrow(/no frame/);
    v201.close();
  });
});

