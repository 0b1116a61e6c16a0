// OCPP 2.0.1 and 2.1 beside 1.6 on the same endpoint, end to end: ocpp-rpc's RPCClient as a strict 2.0.1 charging
// station (it validates every frame it sends and receives against its own copy of the schemas), raw `ws` for
// 2.1's message types 5 and 6, MQTT.js as the CSMS.
import { describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { WS_CLIENT_OPTIONS } from "./support/charge-point";
import { useGateway } from "./support/context";
import type { Envelope } from "./support/csms";

const gateway = useGateway();
const now = () => new Date().toISOString();

/** The CSMS answers every call of `cid` with the payload `answer` gives for its Action. */
function answerCalls(cid: string, answer: (action: string, payload: Record<string, unknown>) => Record<string, unknown>): void {
  gateway.csms.client.on("message", (topic, raw) => {
    if (topic !== `ocpp/cp/${cid}`) return;
    const call = JSON.parse(raw.toString()) as { MessageTypeId: number; UniqueId: string; Action: string; Payload: Record<string, unknown> };
    if (call.MessageTypeId !== 2) return;
    void gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: call.UniqueId, Payload: answer(call.Action, call.Payload) });
  });
}

/** A raw charge point: sends frames, records every frame it gets back. */
async function rawChargePoint(cid: string, protocol: string) {
  const ws = new WebSocket(`${inject("gatewayWs")}/${cid}`, [protocol], WS_CLIENT_OPTIONS);
  const received: unknown[][] = [];
  const waiting = new Set<() => void>();
  ws.on("message", (data) => {
    received.push(JSON.parse(data.toString()) as unknown[]);
    for (const w of waiting) w();
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const next = (match: (f: unknown[]) => boolean, timeoutMs = 10_000) =>
    new Promise<unknown[]>((resolve, reject) => {
      const check = () => {
        const found = received.find(match);
        if (found === undefined) return;
        waiting.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(received)}`));
      }, timeoutMs);
      waiting.add(check);
      check();
    });
  return { ws, received, next, send: (frame: unknown[]) => ws.send(JSON.stringify(frame)) };
}

const retainedEvent = (cid: string) => gateway.csms.next((e: Envelope) => e.topic === `ocpp/events/${cid}` && e.body.event === "client.connected");

describe("OCPP 2.0.1 (a strict ocpp-rpc charging station)", () => {
  it("boot, status and a transaction go up; the CSMS's answers come back; the event and the clients API say 2.0.1", async () => {
    const cid = "e2e-v201";
    answerCalls(cid, (action) => {
      switch (action) {
        case "BootNotification":
          return { currentTime: now(), interval: 300, status: "Accepted" };
        case "TransactionEvent":
          return { totalCost: 0 };
        default:
          return {};
      }
    });
    const cp = await gateway.chargePoint(cid, undefined, { protocols: ["ocpp2.0.1"], strictMode: true });
    expect(cp.client.protocol).toBe("ocpp2.0.1");
    expect((await retainedEvent(cid)).body).toMatchObject({ clientid: cid, proto_ver: "2.0.1", keepalive: 60 });

    expect(await cp.client.call("BootNotification", { reason: "PowerUp", chargingStation: { model: "M1", vendorName: "V1" } })).toMatchObject({ status: "Accepted", interval: 300 });
    expect(await cp.client.call("StatusNotification", { timestamp: now(), connectorStatus: "Available", evseId: 1, connectorId: 1 })).toEqual({});
    const transaction = { transactionId: "tx-1" };
    const meterValue = [{ timestamp: now(), sampledValue: [{ value: 1234.5, measurand: "Energy.Active.Import.Register", unitOfMeasure: { unit: "Wh" } }] }];
    await cp.client.call("TransactionEvent", { eventType: "Started", timestamp: now(), triggerReason: "Authorized", seqNo: 0, transactionInfo: transaction, evse: { id: 1, connectorId: 1 } });
    await cp.client.call("TransactionEvent", { eventType: "Updated", timestamp: now(), triggerReason: "MeterValuePeriodic", seqNo: 1, transactionInfo: transaction, meterValue });
    await cp.client.call("TransactionEvent", { eventType: "Ended", timestamp: now(), triggerReason: "StopAuthorized", seqNo: 2, transactionInfo: { ...transaction, stoppedReason: "Local" } });
    const events = gateway.csms.all(`ocpp/cp/${cid}`).filter((e) => e.topic === `ocpp/cp/${cid}` && e.body.Action === "TransactionEvent");
    expect(events.map((e) => (e.body.Payload as { eventType: string }).eventType)).toEqual(["Started", "Updated", "Ended"]);

    const clients = (await (await fetch(`${inject("gatewayHttp")}/api/v5/gateways/ocpp/clients/${cid}`, { headers: { Authorization: inject("adminAuth") } })).json()) as Record<string, unknown>;
    expect(clients).toMatchObject({ clientid: cid, proto_ver: "2.0.1", keepalive: 300 });
  });

  it("RequestStartTransaction, GetVariables and Reset go down; answers carry their Action; the 2.0.1 spelling of errors", async () => {
    const cid = "e2e-v201-down";
    const cp = await gateway.chargePoint(cid, undefined, { protocols: ["ocpp2.0.1"], strictMode: true });
    type VariableData = { component: { name: string }; variable: { name: string } };
    cp.client.handle("RequestStartTransaction", async () => ({ status: "Accepted", transactionId: "tx-9" }));
    cp.client.handle("GetVariables", async ({ params }) => ({
      getVariableResult: (params?.getVariableData as VariableData[]).map((d) => ({ attributeStatus: "Accepted", attributeValue: "42", component: d.component, variable: d.variable })),
    }));
    cp.client.handle("Reset", async () => ({ status: "Scheduled" }));
    const down = [
      { UniqueId: "d-1", Action: "RequestStartTransaction", Payload: { idToken: { idToken: "TAG-1", type: "ISO14443" }, remoteStartId: 7 } },
      { UniqueId: "d-2", Action: "GetVariables", Payload: { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] } },
      { UniqueId: "d-3", Action: "Reset", Payload: { type: "OnIdle" } },
    ];
    for (const call of down) await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, ...call });
    for (const call of down) {
      const reply = await gateway.csms.on(`ocpp/cp/${cid}/Reply`, call.UniqueId);
      expect(reply.body).toMatchObject({ MessageTypeId: 3, UniqueId: call.UniqueId, Action: call.Action });
    }
    // A 1.6 payload sent to a 2.0.1 station is refused in 2.0.1's words, and never reaches it.
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "d-4", Action: "Reset", Payload: { type: "Soft" } });
    const refused = await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "d-4");
    expect(refused.body).toMatchObject({ MessageTypeId: 4, Action: "Reset", ErrorCode: "PropertyConstraintViolation", Origin: "gateway", Reason: "invalid" });
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "d-5", Action: "Reset", Payload: { type: "Immediate" } });
    await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "d-5");
    expect(cp.received.filter((f) => f[0] === 2).map((f) => f[1])).toEqual(["d-1", "d-2", "d-3", "d-5"]);
  });
});

describe("OCPP 2.1 (raw frames)", () => {
  it("SEND while a call is outstanding goes up at once; a CALLRESULTERROR names the call it is about", async () => {
    const cid = "e2e-v21";
    const cp = await rawChargePoint(cid, "ocpp2.1");
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "g-1", Action: "Reset", Payload: { type: "Immediate" } });
    await cp.next((f) => f[1] === "g-1");
    // The CSMS's Reset is outstanding; a SEND may still go (2.1 Part 4 §4.2.5), and is never answered.
    const stream = { id: 3, pending: 0, basetime: now(), data: [{ t: 0, v: "230.1" }] };
    cp.send([6, "s-1", "NotifyPeriodicEventStream", stream]);
    const sent = await gateway.csms.on(`ocpp/cp/${cid}`, "s-1");
    expect(sent.body).toEqual({ MessageTypeId: 6, UniqueId: "s-1", Action: "NotifyPeriodicEventStream", Payload: stream });
    cp.send([3, "g-1", { status: "Accepted" }]);
    expect((await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "g-1")).body).toMatchObject({ MessageTypeId: 3, Action: "Reset" });

    // The charge point calls; the CSMS answers with something the charge point finds wrong.
    cp.send([2, "h-1", "Heartbeat", {}]);
    await gateway.csms.on(`ocpp/cp/${cid}`, "h-1");
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 3, UniqueId: "h-1", Payload: { currentTime: now() } });
    await cp.next((f) => f[0] === 3 && f[1] === "h-1");
    cp.send([5, "h-1", "FormatViolation", "currentTime is in the future", {}]);
    expect((await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "h-1")).body).toEqual({
      MessageTypeId: 5,
      UniqueId: "h-1",
      Action: "Heartbeat",
      ErrorCode: "FormatViolation",
      ErrorDescription: "currentTime is in the future",
      ErrorDetails: {},
    });
    // The CSMS may SEND to a 2.1 charge point too.
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 6, UniqueId: "s-2", Action: "NotifyPeriodicEventStream", Payload: stream });
    expect(await cp.next((f) => f[1] === "s-2")).toEqual([6, "s-2", "NotifyPeriodicEventStream", stream]);
    cp.ws.close(1000);
  });

  it("a CALLRESULTERROR naming the CSMS's outstanding call, and a SEND of a call's Action, are reported on diagnostics, not published", async () => {
    const cid = "e2e-v21-refused";
    const cp = await rawChargePoint(cid, "ocpp2.1");
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "u-1", Action: "Reset", Payload: { type: "Immediate" } });
    await cp.next((f) => f[1] === "u-1");
    cp.send([5, "u-1", "GenericError", "not now", {}]);
    cp.send([6, "s1", "Heartbeat", {}]);
    const refused = [await gateway.csms.on(`ocpp/diagnostics/${cid}`, "u-1"), await gateway.csms.on(`ocpp/diagnostics/${cid}`, "s1")];
    expect(refused.map((e) => e.body)).toEqual([
      expect.objectContaining({ event: "frame_refused", MessageTypeId: 5, UniqueId: "u-1", ErrorCode: "ProtocolError", relayed: false }),
      expect.objectContaining({ event: "frame_refused", MessageTypeId: 6, UniqueId: "s1", Action: "Heartbeat", ErrorCode: "ProtocolError", relayed: false }),
    ]);
    // The charge point's real answer is the first thing the CSMS gets for its Reset.
    cp.send([3, "u-1", { status: "Accepted" }]);
    expect((await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "u-1")).body).toEqual({ MessageTypeId: 3, UniqueId: "u-1", Action: "Reset", Payload: { status: "Accepted" } });
    expect(gateway.csms.all(`ocpp/cp/${cid}`).filter((e) => e.body.UniqueId === "s1" || e.body.MessageTypeId === 5)).toEqual([]);
    expect(cp.received.filter((f) => f[1] === "s1" || f[0] === 4)).toEqual([]);
    cp.ws.close(1000);
  });

  it("an invalid CALLRESULT is answered with CALLRESULTERROR on the wire and reported to the CSMS", async () => {
    const cid = "e2e-v21-result";
    const cp = await rawChargePoint(cid, "ocpp2.1");
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "r-1", Action: "Reset", Payload: { type: "Immediate" } });
    await cp.next((f) => f[1] === "r-1");
    cp.send([3, "r-1", { status: "Maybe" }]);
    expect(await cp.next((f) => f[0] === 5)).toEqual([5, "r-1", "PropertyConstraintViolation", expect.stringContaining("status"), expect.any(Object)]);
    expect((await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "r-1")).body).toMatchObject({ MessageTypeId: 4, Action: "Reset", Reason: "invalid", Origin: "gateway" });
    cp.ws.close(1000);
  });
});

describe("WebSocket compression (OCPP 2.1 Part 4: the CSMS side must support permessage-deflate, RFC 7692)", () => {
  it("a 2.1 charge point offering permessage-deflate gets it negotiated, and large frames go both ways over it", async () => {
    const cid = "e2e-v21-deflate";
    const ws = new WebSocket(`${inject("gatewayWs")}/${cid}`, ["ocpp2.1"], { ...WS_CLIENT_OPTIONS, perMessageDeflate: true });
    const upgrade = new Promise<string | undefined>((resolve) => ws.once("upgrade", (res) => resolve(res.headers["sec-websocket-extensions"] as string | undefined)));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    expect(await upgrade).toMatch(/^permessage-deflate/);
    expect(ws.extensions).toBe("permessage-deflate");
    const received = new Promise<unknown[]>((resolve) => ws.once("message", (data) => resolve(JSON.parse(data.toString()) as unknown[])));
    const data = "x".repeat(4_000);
    await gateway.csms.publish(`ocpp/cs/${cid}`, { MessageTypeId: 2, UniqueId: "z-1", Action: "DataTransfer", Payload: { vendorId: "v", data } });
    expect(await received).toEqual([2, "z-1", "DataTransfer", { vendorId: "v", data }]);
    ws.send(JSON.stringify([3, "z-1", { status: "Accepted", data }]));
    expect((await gateway.csms.on(`ocpp/cp/${cid}/Reply`, "z-1")).body).toMatchObject({ Action: "DataTransfer", Payload: { status: "Accepted", data } });
    ws.close(1000);
  });
});

describe("three versions side by side", () => {
  it("a 1.6, a 2.0.1 and a 2.1 charge point at once: each is checked against its own schemas and answered in its own words", async () => {
    const v16 = await rawChargePoint("e2e-side-16", "ocpp1.6");
    const v201 = await rawChargePoint("e2e-side-201", "ocpp2.0.1");
    const v21 = await rawChargePoint("e2e-side-21", "ocpp2.1");
    // The same bad frame (an unknown property in a Heartbeat) to each.
    for (const cp of [v16, v201, v21]) cp.send([2, "bad", "Heartbeat", { extra: 1 }]);
    expect((await v16.next((f) => f[1] === "bad"))[2]).toBe("FormationViolation");
    expect((await v201.next((f) => f[1] === "bad"))[2]).toBe("FormatViolation");
    expect((await v21.next((f) => f[1] === "bad"))[2]).toBe("FormatViolation");
    // Each one's own BootNotification is relayed; each sees only its own traffic.
    v16.send([2, "boot", "BootNotification", { chargePointVendor: "v", chargePointModel: "m" }]);
    v201.send([2, "boot", "BootNotification", { reason: "PowerUp", chargingStation: { model: "m", vendorName: "v" } }]);
    v21.send([2, "boot", "BootNotification", { reason: "PowerUp", chargingStation: { model: "m", vendorName: "v" } }]);
    for (const cid of ["e2e-side-16", "e2e-side-201", "e2e-side-21"]) await gateway.csms.on(`ocpp/cp/${cid}`, "boot");
    await gateway.csms.publish("ocpp/cs/e2e-side-201", { MessageTypeId: 2, UniqueId: "only-201", Action: "Reset", Payload: { type: "Immediate" } });
    await v201.next((f) => f[1] === "only-201");
    for (const cp of [v16, v21]) expect(cp.received.some((f) => f[1] === "only-201")).toBe(false);
    for (const cp of [v16, v201, v21]) cp.ws.close(1000);
  });
});
