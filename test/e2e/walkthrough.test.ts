// Reference §1, the EMQX user's walkthrough, with the default configuration: field by field.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectChargePoint, lastCallId, type RecordingClient } from "./support/charge-point";
import { Csms } from "./support/csms";

let csms: Csms;
let cp: RecordingClient;

beforeAll(async () => {
  csms = await Csms.connect(inject("mqttUrl"), "ocpp/#");
  cp = await connectChargePoint(inject("gatewayWs"), "chargePointSim");
});

afterAll(async () => {
  await cp?.client.close({ code: 1000 });
  await csms?.close();
});

describe(`reference §1 walkthrough (${inject("broker")} broker)`, () => {
  it("negotiates ocpp1.6", () => {
    expect(cp.client.protocol).toBe("ocpp1.6");
  });

  it("BootNotification → ocpp/cp/chargePointSim; the CSMS reply on ocpp/cs/chargePointSim reaches the charge point", async () => {
    const answered = cp.client.call("BootNotification", { chargePointVendor: "vendor1", chargePointModel: "model1" });
    const call = await csms.on("ocpp/cp/chargePointSim");
    const uniqueId = lastCallId(cp, "BootNotification");
    expect(Object.keys(call.body).sort()).toEqual(["Action", "MessageTypeId", "Payload", "UniqueId"]);
    expect(call.body).toEqual({
      UniqueId: uniqueId,
      Payload: { chargePointVendor: "vendor1", chargePointModel: "model1" },
      Action: "BootNotification",
      MessageTypeId: 2,
    });
    const reply = { currentTime: "2023-12-01T14:20:39+00:00", interval: 300, status: "Accepted" };
    await csms.publish("ocpp/cs/chargePointSim", { MessageTypeId: 3, UniqueId: uniqueId, Action: "BootNotification", Payload: reply });
    expect(await answered).toEqual(reply);
  });

  it("StatusNotification is published the same way", async () => {
    const answered = cp.client.call("StatusNotification", { status: "Available", errorCode: "NoError", connectorId: 0 });
    const call = await csms.on("ocpp/cp/chargePointSim");
    expect(call.body).toEqual({
      UniqueId: lastCallId(cp, "StatusNotification"),
      Payload: { status: "Available", errorCode: "NoError", connectorId: 0 },
      MessageTypeId: 2,
      Action: "StatusNotification",
    });
    await csms.publish("ocpp/cs/chargePointSim", { MessageTypeId: 3, UniqueId: call.body.UniqueId, Payload: {} });
    expect(await answered).toEqual({});
  });

  it("a RemoteStartTransaction published by the CSMS reaches the charge point; its answer comes back on …/Reply", async () => {
    const seen: unknown[] = [];
    cp.client.handle("RemoteStartTransaction", async ({ params }: { params?: unknown }) => {
      seen.push(params);
      return { status: "Accepted" };
    });
    await csms.publish("ocpp/cs/chargePointSim", {
      MessageTypeId: 2,
      UniqueId: "cs-7",
      Action: "RemoteStartTransaction",
      Payload: { idTag: "ABC" },
    });
    const reply = await csms.on("ocpp/cp/chargePointSim/Reply", "cs-7");
    expect(seen).toEqual([{ idTag: "ABC" }]);
    expect(cp.received).toContainEqual([2, "cs-7", "RemoteStartTransaction", { idTag: "ABC" }]);
    expect(reply.body).toEqual({ MessageTypeId: 3, UniqueId: "cs-7", Action: "RemoteStartTransaction", Payload: { status: "Accepted" } });
  });
});
