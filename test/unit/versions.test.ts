// The protocol version as a value: the same session answers each version in its own dialect, and 2.1's message
// types 5 (CALLRESULTERROR) and 6 (SEND) each land in one place.
import { describe, expect, it } from "vitest";
import { OCPP16, OCPP201, OCPP21, type OcppProtocol } from "../../src/ocpp/protocol";
import { fakeRelay } from "./support/fake-relay";

const BOOT: Record<string, string> = {
  "1.6": '{"chargePointVendor":"v","chargePointModel":"m"}',
  "2.0.1": '{"reason":"PowerUp","chargingStation":{"model":"m","vendorName":"v"}}',
  "2.1": '{"reason":"PowerUp","chargingStation":{"model":"m","vendorName":"v"}}',
};

const code = (sent: unknown[]) => (sent.at(-1) as unknown[] | undefined)?.slice(0, 3);

describe("each version's error vocabulary (OCPP-J 1.6 §4.2.3, 2.x Part 4 §4.2.3)", () => {
  const cases: [string, (p: OcppProtocol) => string, Record<string, unknown[] | undefined>][] = [
    ["an unknown property", () => '[2,"a","Heartbeat",{"x":1}]', {
      "1.6": [4, "a", "FormationViolation"],
      "2.0.1": [4, "a", "FormatViolation"],
      "2.1": [4, "a", "FormatViolation"],
    }],
    ["a BootNotification without its required fields", () => '[2,"b","BootNotification",{}]', {
      "1.6": [4, "b", "OccurenceConstraintViolation"],
      "2.0.1": [4, "b", "OccurrenceConstraintViolation"],
      "2.1": [4, "b", "OccurrenceConstraintViolation"],
    }],
    ["an unknown Action", () => '[2,"c","NoSuchThing",{}]', {
      "1.6": [4, "c", "NotImplemented"],
      "2.0.1": [4, "c", "NotImplemented"],
      "2.1": [4, "c", "NotImplemented"],
    }],
    ["an unknown message type with a readable id", () => '[7,"d","Heartbeat",{}]', {
      "1.6": [4, "d", "FormationViolation"],
      "2.0.1": [4, "d", "MessageTypeNotSupported"],
      "2.1": [4, "d", "MessageTypeNotSupported"],
    }],
    ["a SEND (6) to a version without it", () => '[6,"e","NotifyPeriodicEventStream",{}]', {
      "1.6": [4, "e", "FormationViolation"],
      "2.0.1": [4, "e", "MessageTypeNotSupported"],
      "2.1": undefined,
    }],
    ["a CALL whose UniqueId cannot be read", () => '[2,17,"Heartbeat",{}]', {
      "1.6": undefined,
      "2.0.1": [4, "-1", "RpcFrameworkError"],
      "2.1": [4, "-1", "RpcFrameworkError"],
    }],
    ["a wrong type", (p) => (p === OCPP16 ? '[2,"f","BootNotification",{"chargePointVendor":1,"chargePointModel":"m"}]' : '[2,"f","BootNotification",{"reason":"PowerUp","chargingStation":{"model":1,"vendorName":"v"}}]'), {
      "1.6": [4, "f", "TypeConstraintViolation"],
      "2.0.1": [4, "f", "TypeConstraintViolation"],
      "2.1": [4, "f", "TypeConstraintViolation"],
    }],
  ];
  for (const [what, frame, expected] of cases) {
    for (const protocol of [OCPP16, OCPP201, OCPP21]) {
      it(`${what}: ${protocol.version}`, async () => {
        const t = fakeRelay({ protocol });
        await t.relay.fromChargePoint(frame(protocol));
        expect(code(t.sent)).toEqual(expected[protocol.version]);
      });
    }
  }

  it("a valid BootNotification of each version is relayed, each against its own schemas", async () => {
    for (const protocol of [OCPP16, OCPP201, OCPP21]) {
      const t = fakeRelay({ protocol });
      await t.relay.fromChargePoint(`[2,"boot","BootNotification",${BOOT[protocol.version]}]`);
      expect(t.sent).toEqual([]);
      expect(t.on("ocpp/cp/CP1")).toEqual([{ MessageTypeId: 2, UniqueId: "boot", Action: "BootNotification", Payload: JSON.parse(BOOT[protocol.version] as string) }]);
      // And the other versions' payload is refused.
      const other = protocol === OCPP16 ? BOOT["2.0.1"] : BOOT["1.6"];
      await t.relay.fromChargePoint(`[2,"other","BootNotification",${other}]`);
      expect((t.sent.at(-1) as unknown[])[0]).toBe(4);
    }
  });

  it("a CSMS CALLERROR with another version's spelling is not sent", async () => {
    const t = fakeRelay({ protocol: OCPP201 });
    await t.relay.fromChargePoint('[2,"h","Heartbeat",{}]');
    await t.relay.fromCsms('{"MessageTypeId":4,"UniqueId":"h","ErrorCode":"FormationViolation","ErrorDescription":"x"}');
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([expect.objectContaining({ UniqueId: "h", Action: "Heartbeat", Reason: "malformed", ErrorCode: "FormatViolation" })]);
    await t.relay.fromCsms('{"MessageTypeId":4,"UniqueId":"h","ErrorCode":"FormatViolation","ErrorDescription":"x"}');
    expect(t.sent).toEqual([[4, "h", "FormatViolation", "x", {}]]);
  });
});

describe("OCPP 2.1 SEND (6)", () => {
  it("from the charge point, while a call is outstanding: published on the call topic as type 6, never answered", async () => {
    const t = fakeRelay({ protocol: OCPP21, config: undefined });
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs1","Action":"GetVariables","Payload":{"getVariableData":[{"component":{"name":"C"},"variable":{"name":"V"}}]}}');
    const payload = '{"id":1,"pending":0,"basetime":"2025-01-01T00:00:00Z","data":[{"t":0,"v":"1"}]}';
    await t.relay.fromChargePoint(`[6,"s1","NotifyPeriodicEventStream",${payload}]`);
    expect(t.on("ocpp/cp/CP1")).toEqual([{ MessageTypeId: 6, UniqueId: "s1", Action: "NotifyPeriodicEventStream", Payload: JSON.parse(payload) }]);
    expect(t.sent.map((f) => (f as unknown[])[0])).toEqual([2]);
    // An invalid SEND is not relayed and not answered; only the diagnostics topic hears of it.
    await t.relay.fromChargePoint('[6,"s2","NotifyPeriodicEventStream",{}]');
    expect(t.on("ocpp/cp/CP1")).toHaveLength(1);
    expect(t.on("ocpp/diagnostics/CP1")).toEqual([expect.objectContaining({ UniqueId: "s2", MessageTypeId: 6, relayed: false })]);
    expect(t.sent).toHaveLength(1);
  });

  it("from the CSMS: delivered at once, never queued behind the outstanding call", async () => {
    const t = fakeRelay({ protocol: OCPP21 });
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs1","Action":"Reset","Payload":{"type":"Immediate"}}');
    await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs2","Action":"Reset","Payload":{"type":"Immediate"}}');
    const payload = '{"id":1,"pending":0,"basetime":"2025-01-01T00:00:00Z","data":[{"t":0,"v":"1"}]}';
    await t.relay.fromCsms(`{"MessageTypeId":6,"UniqueId":"s1","Action":"NotifyPeriodicEventStream","Payload":${payload}}`);
    expect(t.sent).toEqual([
      [2, "cs1", "Reset", { type: "Immediate" }],
      [6, "s1", "NotifyPeriodicEventStream", JSON.parse(payload)],
    ]);
    expect(t.store.queue.map((c) => c.uniqueId)).toEqual(["cs2"]);
  });

  it("carries only the version's SEND messages, from its schemas: 2.1's NotifyPeriodicEventStream, signed or not", async () => {
    expect([...OCPP21.sendActions]).toEqual(["NotifyPeriodicEventStream"]);
    expect([OCPP16.sendActions.size, OCPP201.sendActions.size]).toEqual([0, 0]);
    const t = fakeRelay({ protocol: OCPP21 });
    await t.relay.fromChargePoint('[6,"sg1","NotifyPeriodicEventStream-Signed",{"jws":"eyJ..."}]');
    await t.relay.fromChargePoint('[6,"sg2","Heartbeat-Signed",{"jws":"eyJ..."}]');
    expect(t.on("ocpp/cp/CP1").map((m) => m.UniqueId)).toEqual(["sg1"]);
    expect(t.on("ocpp/diagnostics/CP1")).toEqual([expect.objectContaining({ event: "frame_refused", UniqueId: "sg2", Action: "Heartbeat-Signed" })]);
  });

  it("to a 2.0.1 charge point: refused as malformed, nothing sent", async () => {
    const t = fakeRelay({ protocol: OCPP201 });
    await t.relay.fromCsms('{"MessageTypeId":6,"UniqueId":"s1","Action":"NotifyPeriodicEventStream","Payload":{}}');
    expect(t.sent).toEqual([]);
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([expect.objectContaining({ UniqueId: "s1", Reason: "malformed", ErrorCode: "FormatViolation" })]);
  });
});

describe("OCPP 2.1 CALLRESULTERROR (5)", () => {
  it("from the charge point, about the CSMS's answer to its call: on the error topic with that call's Action", async () => {
    const t = fakeRelay({ protocol: OCPP21 });
    await t.relay.fromChargePoint('[2,"h1","Heartbeat",{}]');
    await t.relay.fromCsms('{"MessageTypeId":3,"UniqueId":"h1","Payload":{"currentTime":"2025-01-01T00:00:00Z"}}');
    await t.relay.fromChargePoint('[5,"h1","FormatViolation","bad answer",{}]');
    expect(t.on("ocpp/cp/CP1/Reply")).toEqual([
      { MessageTypeId: 5, UniqueId: "h1", Action: "Heartbeat", ErrorCode: "FormatViolation", ErrorDescription: "bad answer", ErrorDetails: {} },
    ]);
  });

  it("made by the gateway: an invalid CALLRESULT is answered with CALLRESULTERROR on 2.1 and not at all on 2.0.1", async () => {
    for (const [protocol, wire] of [
      [OCPP21, [[5, "cs1", "OccurrenceConstraintViolation"]]],
      [OCPP201, []],
    ] as const) {
      const t = fakeRelay({ protocol });
      await t.relay.fromCsms('{"MessageTypeId":2,"UniqueId":"cs1","Action":"Reset","Payload":{"type":"Immediate"}}');
      await t.relay.fromChargePoint('[3,"cs1",{}]');
      expect(t.sent.slice(1).map((f) => (f as unknown[]).slice(0, 3))).toEqual(wire);
      expect(t.on("ocpp/cp/CP1/Reply")).toEqual([expect.objectContaining({ UniqueId: "cs1", Action: "Reset", Reason: "invalid", Origin: "gateway" })]);
    }
  });

  it("from the CSMS to a 2.1 charge point: sent at once", async () => {
    const t = fakeRelay({ protocol: OCPP21 });
    await t.relay.fromCsms('{"MessageTypeId":5,"UniqueId":"r1","ErrorCode":"PropertyConstraintViolation","ErrorDescription":"no"}');
    expect(t.sent).toEqual([[5, "r1", "PropertyConstraintViolation", "no", {}]]);
  });
});

describe("signed messages (OCPP 2.1 Part 4 §7)", () => {
  it("an <Action>-Signed CALL from a 2.1 charge point is relayed without a schema check; 1.6 and 2.0.1 refuse the name", async () => {
    const signed = '[2,"sg","BootNotification-Signed",{"jws":"eyJ..."}]';
    const t21 = fakeRelay({ protocol: OCPP21 });
    await t21.relay.fromChargePoint(signed);
    expect(t21.on("ocpp/cp/CP1")).toEqual([expect.objectContaining({ UniqueId: "sg", Action: "BootNotification-Signed" })]);
    for (const protocol of [OCPP16, OCPP201]) {
      const t = fakeRelay({ protocol });
      await t.relay.fromChargePoint(signed);
      expect(t.published).toEqual([]);
      expect((t.sent.at(-1) as unknown[])[0]).toBe(4);
    }
  });
});
