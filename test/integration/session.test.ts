// OCPP-J session rules through the real Worker, the charge points' gateway shard (timers, storage) and a real
// broker, with short intervals from the gateway configuration (KV is per test file, so this file's configuration is
// its own).
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";
import { addressOf, nameOf, stubOf } from "../worker-helpers/shards";

let csms: MqttProbe;

beforeAll(async () => {
  await env.GATEWAY_KV.put(
    CONFIG_KV_KEY,
    JSON.stringify({
      default_heartbeat_interval: "2s",
      heartbeat_checking_times_backoff: 1,
      idle_timeout: "2s",
      dnstream: { awaiting_timeout: "1s", max_mqueue_len: 2, session_expiry_interval: "2s" },
    }),
  );
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const on = (topic: string, uniqueId?: string) => (m: Received) => m.topic === topic && (uniqueId === undefined || m.json().UniqueId === uniqueId);
const reset = (id: string) => ({ MessageTypeId: 2, UniqueId: id, Action: "Reset", Payload: { type: "Soft" } });
const event = (cid: string, name: string) => (m: Received) => m.topic === `ocpp/events/${cid}` && m.json().event === name;

/**
 * Waits until every message published so far to this charge point has been handled: the link delivers one charge
 * point's messages in order, so the gateway's answer to an envelope without Payload, published last, comes last.
 */
async function settled(cid: string): Promise<void> {
  const marker = `settled-${crypto.randomUUID().slice(0, 8)}`;
  await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: marker, Action: "Reset" });
  await csms.next(on(`ocpp/cp/${cid}/Reply`, marker));
}

/** A connected charge point whose first call (a Heartbeat) the CSMS answered: it waits for nothing. */
async function connected(cid: string): Promise<ChargePointSocket> {
  const cp = await ChargePointSocket.open(cid);
  cp.send([2, `${cid}-hb`, "Heartbeat", {}]);
  await csms.next(on(`ocpp/cp/${cid}`, `${cid}-hb`));
  await csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: `${cid}-hb`, Payload: { currentTime: new Date().toISOString() } });
  expect((await cp.nextFrame()).slice(0, 2)).toEqual([3, `${cid}-hb`]);
  return cp;
}

describe("downstream calls", () => {
  it("back-to-back calls reach the charge point one at a time; replies carry the Action", async () => {
    const cp = await connected("s-b2b");
    await csms.publish("ocpp/cs/s-b2b", reset("r1"));
    await csms.publish("ocpp/cs/s-b2b", { MessageTypeId: 2, UniqueId: "r2", Action: "ClearCache", Payload: {} });
    expect(await cp.nextFrame()).toEqual([2, "r1", "Reset", { type: "Soft" }]);
    await expect(cp.nextFrame(500)).rejects.toThrow(/no frame/);
    cp.send([3, "r1", { status: "Accepted" }]);
    expect(await cp.nextFrame()).toEqual([2, "r2", "ClearCache", {}]);
    cp.send([3, "r2", { status: "Accepted" }]);
    expect((await csms.next(on("ocpp/cp/s-b2b/Reply", "r1"))).json()).toMatchObject({ MessageTypeId: 3, Action: "Reset" });
    expect((await csms.next(on("ocpp/cp/s-b2b/Reply", "r2"))).json()).toMatchObject({ MessageTypeId: 3, Action: "ClearCache" });
    cp.close();
  });

  it("an unanswered call times out (timer): CALLERROR envelope, then the next call goes out", async () => {
    const cp = await connected("s-timeout");
    await csms.publish("ocpp/cs/s-timeout", reset("t1"));
    await csms.publish("ocpp/cs/s-timeout", reset("t2"));
    expect((await cp.nextFrame())[1]).toBe("t1");
    const timeout = await csms.next(on("ocpp/cp/s-timeout/Reply", "t1"), 5000);
    expect(timeout.json()).toMatchObject({ MessageTypeId: 4, Action: "Reset", Origin: "gateway", Reason: "timeout" });
    expect((await cp.nextFrame())[1]).toBe("t2");
    cp.send([3, "t1", { status: "Accepted" }]);
    expect((await csms.next(on("ocpp/cp/s-timeout/Reply", "t1"))).json()).toMatchObject({ MessageTypeId: 3, Action: "Reset", Late: true });
    cp.close();
  });

  it("refuses calls beyond the queue, duplicates, and calls to an absent charge point", async () => {
    const cp = await connected("s-full");
    for (const id of ["q1", "q2", "q3", "q4"]) await csms.publish("ocpp/cs/s-full", reset(id));
    // Another call reusing a queued call's UniqueId is a duplicate; the very same message again is the broker's
    // redelivery (QoS 1 is at least once) and is dropped quietly.
    await csms.publish("ocpp/cs/s-full", { ...reset("q2"), Payload: { type: "Hard" } });
    await csms.publish("ocpp/cs/s-full", reset("q2"));
    await settled("s-full");
    expect((await csms.next(on("ocpp/cp/s-full/Reply", "q4"))).json()).toMatchObject({ Reason: "queue_full", ErrorCode: "GenericError" });
    expect((await csms.next(on("ocpp/cp/s-full/Reply", "q2"))).json()).toMatchObject({ Reason: "duplicate", ErrorCode: "ProtocolError" });
    expect(csms.pending("ocpp/cp/s-full/Reply")).toEqual([]);
    cp.close();
    // A charge point that has been connected (its shard keeps its downstream filter) and is gone now.
    const gone = await connected("s-nobody");
    gone.close();
    await csms.next(event("s-nobody", "client.disconnected"));
    await csms.publish("ocpp/cs/s-nobody", reset("n1"));
    expect((await csms.next(on("ocpp/cp/s-nobody/Reply", "n1"))).json()).toMatchObject({ Reason: "not_connected" });
  });

  it("queued calls wait for a reconnect within the session and expire after it", async () => {
    const cp = await connected("s-away");
    await csms.publish("ocpp/cs/s-away", reset("w1"));
    await csms.publish("ocpp/cs/s-away", reset("w2"));
    await settled("s-away");
    expect((await cp.nextFrame())[1]).toBe("w1");
    cp.close();
    expect((await csms.next(on("ocpp/cp/s-away/Reply", "w1"))).json()).toMatchObject({ Reason: "disconnected" });
    const back = await ChargePointSocket.open("s-away");
    expect(await back.nextFrame()).toEqual([2, "w2", "Reset", { type: "Soft" }]);
    back.send([3, "w2", { status: "Accepted" }]);
    await csms.publish("ocpp/cs/s-away", reset("w3"));
    await csms.publish("ocpp/cs/s-away", reset("w4"));
    await settled("s-away");
    expect((await back.nextFrame())[1]).toBe("w3");
    back.close();
    const expired = await csms.next(on("ocpp/cp/s-away/Reply", "w4"), 6000);
    expect(expired.json()).toMatchObject({ Reason: "session_expired", Action: "Reset" });
  });
});

describe("heartbeat and idle timeout (timers)", () => {
  it("closes a silent connection (keepalive_timeout) and keeps one that talks", async () => {
    const silent = await connected("s-silent");
    const talker = await connected("s-talker");
    const ticker = setInterval(() => talker.send([2, `hb-${Date.now()}`, "Heartbeat", {}]), 500);
    try {
      expect(await silent.whenClosed(6000)).toEqual({ code: 1000, reason: "keepalive_timeout" });
      await sleep(1000);
      expect(talker.closed).toBeUndefined();
    } finally {
      clearInterval(ticker);
    }
    expect((await csms.next(event("s-silent", "client.disconnected"))).json()).toMatchObject({ reason: "keepalive_timeout" });
    talker.close();
  });

  it("a charge point waiting for the answer to its call is not closed as silent; once answered, silence counts", async () => {
    const waiting = await connected("s-waiting");
    const control = await connected("s-waiting-control");
    // Heartbeat 2 s, backoff 1. The CSMS holds the answer to this call for longer than the control lives.
    waiting.send([2, "wait-1", "MeterValues", { connectorId: 1, meterValue: [] }]);
    await csms.next(on("ocpp/cp/s-waiting", "wait-1"));
    expect(await control.whenClosed(6000)).toEqual({ code: 1000, reason: "keepalive_timeout" });
    // Longer than the old rule gave it: closed at most 4 s after its last frame, the call.
    await sleep(3000);
    expect(waiting.closed).toBeUndefined();
    await csms.publish("ocpp/cs/s-waiting", { MessageTypeId: 3, UniqueId: "wait-1", Payload: {} });
    expect(await waiting.nextFrame()).toEqual([3, "wait-1", {}]);
    expect(await waiting.whenClosed(6000)).toEqual({ code: 1000, reason: "keepalive_timeout" });
  });

  it("the CSMS's Accepted answer to the BootNotification sets the interval", async () => {
    const booted = await ChargePointSocket.open("s-boot");
    booted.send([2, "boot", "BootNotification", { chargePointVendor: "v", chargePointModel: "m" }]);
    await csms.next(on("ocpp/cp/s-boot", "boot"));
    await csms.publish("ocpp/cs/s-boot", { MessageTypeId: 3, UniqueId: "boot", Payload: { currentTime: "2023-12-01T14:20:39Z", interval: 10, status: "Accepted" } });
    await booted.nextFrame();
    const control = await connected("s-noboot");
    // With the default 2 s the control is closed within 4 s of silence; the booted one now has 10 s.
    expect(await control.whenClosed(6000)).toEqual({ code: 1000, reason: "keepalive_timeout" });
    expect(booted.closed).toBeUndefined();
    booted.close();
  });

  it("closes a connection that sends no frame within idle_timeout", async () => {
    const idle = await ChargePointSocket.open("s-idle");
    expect(await idle.whenClosed(5000)).toEqual({ code: 1000, reason: "idle_timeout" });
    expect((await csms.next(event("s-idle", "client.disconnected"))).json()).toMatchObject({ reason: "idle_timeout" });
  });
});

describe("lifecycle events", () => {
  it("connected, replaced, kicked, normal: one event for every close, retained for late subscribers", async () => {
    const first = await connected("s-life");
    const connectedEvent = (await csms.next(event("s-life", "client.connected"))).json();
    expect(connectedEvent).toMatchObject({ clientid: "s-life", proto_name: "OCPP", proto_ver: "1.6", keepalive: 2 });
    expect(typeof connectedEvent.connected_at).toBe("number");

    const second = await connected("s-life");
    expect(await first.whenClosed()).toEqual({ code: 1000, reason: "replaced" });
    expect((await csms.next(event("s-life", "client.disconnected"))).json()).toMatchObject({ reason: "replaced" });
    await csms.next(event("s-life", "client.connected"));

    const shard = addressOf("s-life");
    const kick = () => stubOf(shard).kick(nameOf(shard), "s-life");
    expect(await kick()).toBe(true);
    expect(await second.whenClosed()).toEqual({ code: 1000, reason: "kicked" });
    const kicked = (await csms.next(event("s-life", "client.disconnected"))).json();
    expect(kicked).toMatchObject({ reason: "kicked" });
    expect(kicked.disconnected_at as number).toBeGreaterThanOrEqual(kicked.connected_at as number);
    expect(await kick()).toBe(false);

    const late = await MqttProbe.connect();
    await late.subscribe("ocpp/events/s-life");
    expect((await late.next(event("s-life", "client.disconnected"))).json()).toMatchObject({ reason: "kicked" });
    late.close();

    const third = await connected("s-life");
    await csms.next(event("s-life", "client.connected"));
    third.close(1000);
    expect((await csms.next(event("s-life", "client.disconnected"))).json()).toMatchObject({ reason: "normal" });
    // Reconnecting after a clean close reports no second close for the old socket.
    const fourth = await connected("s-life");
    await csms.next(event("s-life", "client.connected"));
    expect(csms.pending("ocpp/events/s-life")).toEqual([]);
    fourth.close(1000);
  });

  it("server-initiated closes for bad input emit events too", async () => {
    const binary = await connected("s-binary");
    binary.ws.send(new Uint8Array([1]));
    await binary.whenClosed();
    expect((await csms.next(event("s-binary", "client.disconnected"))).json()).toMatchObject({ reason: "unexpected_ws_frame" });
    const garbage = await connected("s-garbage");
    for (let i = 0; i < 10; i++) garbage.send(`garbage ${i}`);
    expect(await garbage.whenClosed()).toEqual({ code: 1008, reason: "too many malformed frames" });
    expect((await csms.next(event("s-garbage", "client.disconnected"))).json()).toMatchObject({ reason: "protocol_error" });
  });
});
