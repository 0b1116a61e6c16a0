// Schema checks end to end (default configuration: both directions, enforced): ocpp-rpc with strict mode off sends
// invalid payloads; raw `ws` sends what ocpp-rpc would not; MQTT.js plays the CSMS.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { connectChargePoint, WS_CLIENT_OPTIONS, type RecordingClient } from "./support/charge-point";
import { Csms } from "./support/csms";

let csms: Csms;
let cp: RecordingClient;
const CID = "e2e-validation";

beforeAll(async () => {
  csms = await Csms.connect(inject("mqttUrl"), "ocpp/#");
  cp = await connectChargePoint(inject("gatewayWs"), CID);
});

afterAll(async () => {
  await cp?.client.close({ code: 1000 });
  await csms?.close();
});

async function refusedWith(method: string, params: unknown): Promise<{ rpcErrorCode: string; message: string; details: unknown }> {
  try {
    await cp.client.call(method, params);
  } catch (error) {
    return error as { rpcErrorCode: string; message: string; details: unknown };
  }
  throw new Error(`${method} was accepted`);
}

/**
 * What the gateway published on the charge point's call topic, once everything the charge point sent before has
 * surely arrived: a valid Heartbeat goes through the same relay after it, so its arrival is the barrier.
 */
async function publishedCallsSoFar(): Promise<unknown[]> {
  const answered = cp.client.call("Heartbeat", {});
  const heartbeat = await csms.next((e) => e.topic === `ocpp/cp/${CID}` && e.body.Action === "Heartbeat");
  await csms.publish(`ocpp/cs/${CID}`, { MessageTypeId: 3, UniqueId: heartbeat.body.UniqueId, Payload: { currentTime: "2023-12-01T14:20:39Z" } });
  await answered;
  return csms.all(`ocpp/cp/${CID}`).filter((e) => e.topic === `ocpp/cp/${CID}`);
}

describe("invalid upstream calls are answered with the right code and never published", () => {
  it.each([
    [
      "a 21-character chargePointVendor",
      "BootNotification",
      { chargePointVendor: "ABCDEFGHIJKLMNOPQRSTU", chargePointModel: "m" },
      "PropertyConstraintViolation",
      "BootNotification: chargePointVendor must be at most 20 characters long",
      "/chargePointVendor",
    ],
    [
      "a missing chargePointModel",
      "BootNotification",
      { chargePointVendor: "v" },
      "OccurenceConstraintViolation",
      "BootNotification: chargePointModel is required but missing",
      "/chargePointModel",
    ],
    [
      "a string connectorId",
      "StatusNotification",
      { connectorId: "1", errorCode: "NoError", status: "Available" },
      "TypeConstraintViolation",
      "StatusNotification: connectorId must be of type integer",
      "/connectorId",
    ],
    [
      "an extra property",
      "Authorize",
      { idTag: "TAG", colour: "blue" },
      "FormationViolation",
      "Authorize: colour is not a property of this message",
      "/colour",
    ],
  ])("%s → %s", async (_what, method, params, code, description, path) => {
    const error = await refusedWith(method, params);
    expect(error.rpcErrorCode).toBe(code);
    expect(error.message).toBe(description);
    expect(error.details).toEqual({ errors: [expect.objectContaining({ path })] });
    const diagnostics = await csms.on(`ocpp/diagnostics/${CID}`);
    expect(diagnostics.body).toMatchObject({ direction: "upstream", Action: method, ErrorCode: code, relayed: false });
    expect((diagnostics.body.frame as unknown[])[3]).toEqual(params);
    expect(await publishedCallsSoFar()).toEqual([]);
  });

  it("an unknown Action → NotImplemented", async () => {
    const error = await refusedWith("MakeCoffee", { size: "large" });
    expect(error.rpcErrorCode).toBe("NotImplemented");
    expect(await publishedCallsSoFar()).toEqual([]);
  });

  it("over a raw socket too", async () => {
    const ws = new WebSocket(`${inject("gatewayWs")}/e2e-validation-raw`, ["ocpp1.6"], WS_CLIENT_OPTIONS);
    const frame = new Promise<unknown[]>((resolve) => ws.once("message", (d) => resolve(JSON.parse(d.toString()) as unknown[])));
    await new Promise((r) => ws.once("open", r));
    ws.send('[2,"raw-1","BootNotification",{"chargePointVendor":"v"}]');
    expect(await frame).toEqual([
      4,
      "raw-1",
      "OccurenceConstraintViolation",
      "BootNotification: chargePointModel is required but missing",
      { errors: [{ path: "/chargePointModel", keyword: "required", message: "must have required property 'chargePointModel'" }] },
    ]);
    ws.close(1000);
  });
});

describe("invalid downstream messages never reach the charge point", () => {
  it("an invalid Reset: the CSMS gets a gateway CALLERROR for its UniqueId; the charge point gets nothing", async () => {
    const seen: unknown[] = [];
    cp.client.handle("Reset", async ({ params }: { params?: unknown }) => {
      seen.push(params);
      return { status: "Accepted" };
    });
    await csms.publish(`ocpp/cs/${CID}`, { MessageTypeId: 2, UniqueId: "reset-1", Action: "Reset", Payload: { type: "Medium" } });
    const error = await csms.on(`ocpp/cp/${CID}/Reply`, "reset-1");
    expect(error.body).toEqual({
      MessageTypeId: 4,
      UniqueId: "reset-1",
      Action: "Reset",
      ErrorCode: "PropertyConstraintViolation",
      ErrorDescription: 'not sent to the charge point: Reset: type must be one of "Hard", "Soft"',
      ErrorDetails: { errors: [{ path: "/type", keyword: "enum", message: "must be equal to one of the allowed values" }] },
      Origin: "gateway",
      Reason: "invalid",
    });
    // A valid one afterwards is delivered: the invalid one never was.
    await csms.publish(`ocpp/cs/${CID}`, { MessageTypeId: 2, UniqueId: "reset-2", Action: "Reset", Payload: { type: "Soft" } });
    await csms.on(`ocpp/cp/${CID}/Reply`, "reset-2");
    expect(seen).toEqual([{ type: "Soft" }]);
  });

  it("an invalid answer from the charge point reaches the CSMS as a gateway CALLERROR, not as a result", async () => {
    cp.client.handle("ClearCache", async () => ({ status: "Perhaps" }));
    await csms.publish(`ocpp/cs/${CID}`, { MessageTypeId: 2, UniqueId: "cc-1", Action: "ClearCache", Payload: {} });
    const error = await csms.on(`ocpp/cp/${CID}/Reply`, "cc-1");
    expect(error.body).toMatchObject({
      MessageTypeId: 4,
      Action: "ClearCache",
      ErrorCode: "PropertyConstraintViolation",
      Origin: "gateway",
    });
    expect(String(error.body.ErrorDescription)).toMatch(/^the charge point's answer is invalid: ClearCache response: status must be one of/);
  });
});
