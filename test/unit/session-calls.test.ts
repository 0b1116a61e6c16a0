// OCPP-J session rules for the CSMS's calls: one outstanding call, a FIFO queue, every call ending visibly.
import { describe, expect, it } from "vitest";
import { config, fakeRelay } from "./support/fake-relay";

const call = (id: string, action = "Reset", payload: object = { type: "Soft" }) =>
  JSON.stringify({ MessageTypeId: 2, UniqueId: id, Action: action, Payload: payload });
const sentIds = (t: ReturnType<typeof fakeRelay>) => t.sent.map((f) => (f as unknown[])[1]);
const gatewayErrors = (t: ReturnType<typeof fakeRelay>) =>
  t.on("ocpp/cp/CP1/Reply").filter((m) => m.Origin === "gateway").map((m) => [m.UniqueId, m.Reason, m.ErrorCode]);

describe("one outstanding downstream call", () => {
  it("back-to-back calls go out one at a time, in order, each after the previous answer", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(call("a"));
    await t.relay.fromCsms(call("b", "ClearCache", {}));
    await t.relay.fromCsms(call("c", "UnlockConnector", { connectorId: 1 }));
    expect(sentIds(t)).toEqual(["a"]);
    expect(t.store.queue.map((q) => q.uniqueId)).toEqual(["b", "c"]);
    await t.relay.fromChargePoint('[3,"a",{"status":"Accepted"}]');
    expect(sentIds(t)).toEqual(["a", "b"]);
    await t.relay.fromChargePoint('[4,"b","NotSupported","no",{}]');
    expect(sentIds(t)).toEqual(["a", "b", "c"]);
    await t.relay.fromChargePoint('[3,"c",{"status":"Unlocked"}]');
    expect(t.on("ocpp/cp/CP1/Reply").map((m) => [m.UniqueId, m.Action, m.MessageTypeId])).toEqual([
      ["a", "Reset", 3],
      ["b", "ClearCache", 4],
      ["c", "UnlockConnector", 3],
    ]);
    expect(t.store.inflight).toBeUndefined();
  });

  it("a timed-out call is reported to the CSMS and the next call goes out", async () => {
    const t = fakeRelay({ config: config({ dnstream: { awaiting_timeout: "5s" } }) });
    await t.relay.fromCsms(call("a"));
    await t.relay.fromCsms(call("b"));
    t.clock.now += 4_999;
    expect(await t.relay.expireCalls()).toBeUndefined();
    t.clock.now += 1;
    expect(await t.relay.expireCalls()).toMatchObject({ uniqueId: "a", action: "Reset" });
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([
      {
        MessageTypeId: 4,
        UniqueId: "a",
        Action: "Reset",
        ErrorCode: "GenericError",
        ErrorDescription: "no answer from the charge point within 5s",
        ErrorDetails: {},
        Origin: "gateway",
        Reason: "timeout",
      },
    ]);
    expect(sentIds(t)).toEqual(["a", "b"]);
    expect(t.store.inflight).toMatchObject({ uniqueId: "b", deadline: t.clock.now + 5_000 });
  });

  it("a late answer after the timeout is still published, with its Action, marked Late", async () => {
    const t = fakeRelay({ config: config({ dnstream: { awaiting_timeout: "1s" } }) });
    await t.relay.fromCsms(call("a"));
    t.clock.now += 1_000;
    await t.relay.expireCalls();
    await t.relay.fromChargePoint('[3,"a",{"status":"Accepted"}]');
    expect(t.on("ocpp/cp/CP1/Reply").at(-1)).toEqual({ MessageTypeId: 3, UniqueId: "a", Action: "Reset", Payload: { status: "Accepted" }, Late: true });
  });

  it("refuses a call when the queue is full (max_mqueue_len)", async () => {
    const t = fakeRelay({ config: config({ dnstream: { max_mqueue_len: 2 } }) });
    for (const id of ["a", "b", "c", "d"]) await t.relay.fromCsms(call(id));
    expect(sentIds(t)).toEqual(["a"]);
    expect(t.store.queue.map((q) => q.uniqueId)).toEqual(["b", "c"]);
    expect(gatewayErrors(t)).toEqual([["d", "queue_full", "GenericError"]]);
  });

  it("refuses a call to a charge point that is not connected, at once", async () => {
    const t = fakeRelay({ connected: false });
    await t.relay.fromCsms(call("a"));
    expect(gatewayErrors(t)).toEqual([["a", "not_connected", "GenericError"]]);
    expect(t.store.queue).toEqual([]);
  });

  it("refuses a duplicate UniqueId while the first is outstanding or queued", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(call("a"));
    await t.relay.fromCsms(call("b"));
    await t.relay.fromCsms(call("a", "ClearCache", {}));
    await t.relay.fromCsms(call("b", "ClearCache", {}));
    expect(gatewayErrors(t)).toEqual([
      ["a", "duplicate", "ProtocolError"],
      ["b", "duplicate", "ProtocolError"],
    ]);
    expect(t.store.queue.map((q) => [q.uniqueId, q.action])).toEqual([["b", "Reset"]]);
  });

  it("calls cross freely: the charge point's own call and the CSMS's answer to it pass while a call is outstanding", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(call("cs-1"));
    await t.relay.fromChargePoint('[2,"cp-1","Heartbeat",{}]');
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["cp-1"]);
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"cp-1","Payload":{"currentTime":"2023-12-01T14:20:39Z"}}');
    expect(t.sent).toEqual([
      [2, "cs-1", "Reset", { type: "Soft" }],
      [3, "cp-1", { currentTime: "2023-12-01T14:20:39Z" }],
    ]);
    await t.relay.fromChargePoint('[3,"cs-1",{"status":"Accepted"}]');
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([{ MessageTypeId: 3, UniqueId: "cs-1", Action: "Reset", Payload: { status: "Accepted" } }]);
  });

  it("the outstanding call ends when its connection ends; queued calls wait for the next connection", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(call("a"));
    await t.relay.fromCsms(call("b"));
    t.setConnected(false);
    await t.relay.abandonInflight();
    expect(gatewayErrors(t)).toEqual([["a", "disconnected", "GenericError"]]);
    await t.relay.resume();
    expect(sentIds(t)).toEqual(["a"]);
    t.setConnected(true);
    await t.relay.resume();
    expect(sentIds(t)).toEqual(["a", "b"]);
  });

  it("queued calls end with the session when the charge point stays away", async () => {
    const t = fakeRelay();
    await t.relay.fromCsms(call("a"));
    await t.relay.fromCsms(call("b"));
    await t.relay.fromCsms(call("c"));
    t.setConnected(false);
    await t.relay.abandonInflight();
    const dropped = await t.relay.expireSession();
    expect(dropped.map((d) => d.uniqueId)).toEqual(["b", "c"]);
    expect(gatewayErrors(t)).toEqual([
      ["a", "disconnected", "GenericError"],
      ["b", "session_expired", "GenericError"],
      ["c", "session_expired", "GenericError"],
    ]);
  });
});

describe("heartbeat interval from the BootNotification answer", () => {
  async function bootReply(payload: object, action = "BootNotification") {
    const t = fakeRelay();
    const request = action === "BootNotification" ? { chargePointVendor: "v", chargePointModel: "m" } : {};
    await t.relay.fromChargePoint(JSON.stringify([2, "boot-1", action, request]));
    t.clock.now += 1_000;
    await t.relay.fromCsms(JSON.stringify({ MessageTypeId: 3, UniqueId: "boot-1", Payload: payload }));
    return t;
  }

  it("Accepted with a positive integer interval sets it", async () => {
    const t = await bootReply({ currentTime: "2023-12-01T14:20:39Z", interval: 300, status: "Accepted" });
    expect([t.state.heartbeatInterval, t.state.heartbeatSince]).toEqual([300, t.clock.now]);
  });

  it.each([
    ["Pending", { currentTime: "2023-12-01T14:20:39Z", interval: 300, status: "Pending" }],
    ["Rejected", { currentTime: "2023-12-01T14:20:39Z", interval: 300, status: "Rejected" }],
    ["interval 0", { currentTime: "2023-12-01T14:20:39Z", interval: 0, status: "Accepted" }],
    ["negative interval", { currentTime: "2023-12-01T14:20:39Z", interval: -5, status: "Accepted" }],
  ])("%s leaves it alone", async (_what, payload) => {
    const t = await bootReply(payload);
    expect(t.state.heartbeatInterval).toBe(60);
  });

  it("an Accepted answer with an interval to another call leaves it alone", async () => {
    const t = fakeRelay({ config: config({ message_format_checking: "disable" }) });
    await t.relay.fromChargePoint('[2,"dt-1","DataTransfer",{"vendorId":"v"}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"dt-1","Payload":{"status":"Accepted","interval":5}}');
    expect(t.state.heartbeatInterval).toBe(60);
  });

  it("a non-integer interval is ignored even with checks off", async () => {
    const t = fakeRelay({ config: config({ message_format_checking: "disable" }) });
    await t.relay.fromChargePoint('[2,"b","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"b","Payload":{"status":"Accepted","interval":"300","currentTime":"x"}}');
    await t.relay.fromChargePoint('[2,"b2","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"b2","Payload":{"status":"Accepted","interval":1.5,"currentTime":"x"}}');
    expect(t.state.heartbeatInterval).toBe(60);
  });
});
