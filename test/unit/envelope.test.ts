import { describe, expect, it } from "vitest";
import { decodeDownstream, gatewayErrorEnvelope, upstreamEnvelope } from "../../src/mqtt/envelope";
import { parseFrame, type Frame } from "../../src/ocpp/frame";
import { OCPP16 } from "../../src/ocpp/protocol";

function frame(text: string): Frame {
  const r = parseFrame(text, OCPP16);
  if (!r.ok) throw new Error(r.error.message);
  return r.frame;
}

describe("upstreamEnvelope", () => {
  it("CALL → EMQX envelope with the payload bytes unchanged", () => {
    const text = upstreamEnvelope(frame('[2,"1200012677","BootNotification",{"chargePointVendor":"vendor1","chargePointModel":"model1","x":1.0}]'));
    expect(text).toBe(
      '{"MessageTypeId":2,"UniqueId":"1200012677","Action":"BootNotification","Payload":{"chargePointVendor":"vendor1","chargePointModel":"model1","x":1.0}}',
    );
  });

  it("CALLRESULT carries the Action of the call it answers, when known", () => {
    expect(JSON.parse(upstreamEnvelope(frame('[3,"cs-7",{"status":"Accepted"}]'), "RemoteStartTransaction"))).toEqual({
      MessageTypeId: 3,
      UniqueId: "cs-7",
      Action: "RemoteStartTransaction",
      Payload: { status: "Accepted" },
    });
    expect(JSON.parse(upstreamEnvelope(frame('[3,"u",{}]')))).toEqual({ MessageTypeId: 3, UniqueId: "u", Payload: {} });
  });

  it("CALLERROR keeps ErrorDetails", () => {
    expect(JSON.parse(upstreamEnvelope(frame('[4,"x","NotImplemented","nope",{"a":1}]')))).toEqual({
      MessageTypeId: 4,
      UniqueId: "x",
      ErrorCode: "NotImplemented",
      ErrorDescription: "nope",
      ErrorDetails: { a: 1 },
    });
  });

  it("gateway-made errors are marked with Origin", () => {
    expect(JSON.parse(gatewayErrorEnvelope({ uniqueId: "r1", action: "Reset", errorCode: "GenericError", errorDescription: "d" }))).toEqual({
      MessageTypeId: 4,
      UniqueId: "r1",
      Action: "Reset",
      ErrorCode: "GenericError",
      ErrorDescription: "d",
      ErrorDetails: {},
      Origin: "gateway",
    });
  });
});

describe("decodeDownstream", () => {
  it("CALL", () => {
    const r = decodeDownstream('{"MessageTypeId":2,"UniqueId":"r1","Action":"Reset","Payload":{"type":"Soft"}}', OCPP16);
    expect(r).toEqual({
      ok: true,
      message: { type: 2, uniqueId: "r1", action: "Reset", payload: { type: "Soft" }, payloadText: '{"type":"Soft"}' },
    });
  });

  it("CALLRESULT with an Action (accepted and ignored)", () => {
    const r = decodeDownstream('{"MessageTypeId":3,"UniqueId":"1","Action":"BootNotification","Payload":{"interval":300}}', OCPP16);
    expect(r.ok && r.message).toEqual({ type: 3, uniqueId: "1", payload: { interval: 300 }, payloadText: '{"interval":300}' });
  });

  it("CALLERROR with and without ErrorDetails", () => {
    const a = decodeDownstream('{"MessageTypeId":4,"UniqueId":"1","ErrorCode":"GenericError","ErrorDescription":"d","ErrorDetails":{"k":[1]}}', OCPP16);
    expect(a.ok && a.message).toMatchObject({ type: 4, errorDetailsText: '{"k":[1]}' });
    const b = decodeDownstream('{"MessageTypeId":4,"UniqueId":"1","ErrorCode":"GenericError","ErrorDescription":"d"}', OCPP16);
    expect(b.ok && b.message).toMatchObject({ type: 4, errorDetailsText: "{}" });
  });

  it("names the duplicate key and the unknown error code", () => {
    const dup = decodeDownstream('{"MessageTypeId":2,"UniqueId":"u","Action":"Reset","Payload":{"type":"Bogus","type":"Hard"}}', OCPP16);
    expect(!dup.ok && dup.error.message).toBe("envelope has a duplicate key at /Payload/type");
    const code = decodeDownstream('{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"Anything Goes","ErrorDescription":"d"}', OCPP16);
    expect(!code.ok && code.error.message).toBe('ErrorCode "Anything Goes" is not an OCPP 1.6 error code');
  });

  it.each(Object.values(OCPP16.errorCodes))("accepts the OCPP 1.6 error code %s", (errorCode) => {
    const r = decodeDownstream(JSON.stringify({ MessageTypeId: 4, UniqueId: "u", ErrorCode: errorCode, ErrorDescription: "" }), OCPP16);
    expect(r.ok).toBe(true);
  });

  it.each([
    ["{", "FormationViolation", undefined, undefined],
    ["[2]", "FormationViolation", undefined, undefined],
    ['{"UniqueId":"u"}', "ProtocolError", "u", undefined],
    ['{"MessageTypeId":"2","UniqueId":"u"}', "FormationViolation", "u", undefined],
    ['{"MessageTypeId":2,"Action":"Reset","Payload":{}}', "ProtocolError", undefined, "Reset"],
    ['{"MessageTypeId":2,"UniqueId":7,"Action":"Reset","Payload":{}}', "FormationViolation", undefined, "Reset"],
    ['{"MessageTypeId":2,"UniqueId":"u","Payload":{}}', "ProtocolError", "u", undefined],
    ['{"MessageTypeId":2,"UniqueId":"u","Action":"Reset"}', "ProtocolError", "u", "Reset"],
    ['{"MessageTypeId":2,"UniqueId":"u","Action":"Reset","Payload":"x"}', "FormationViolation", "u", "Reset"],
    ['{"MessageTypeId":2,"UniqueId":"u","Action":"a/b","Payload":{}}', "FormationViolation", "u", "a/b"],
    ['{"MessageTypeId":3,"UniqueId":"u"}', "ProtocolError", "u", undefined],
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorDescription":"d"}', "ProtocolError", "u", undefined],
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"GenericError"}', "ProtocolError", "u", undefined],
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"GenericError","ErrorDescription":"d","ErrorDetails":[]}', "FormationViolation", "u", undefined],
    [`{"MessageTypeId":3,"UniqueId":"${"u".repeat(37)}","Payload":{}}`, "FormationViolation", "u".repeat(37), undefined],
    // Duplicate keys, at any depth: the bytes are forwarded, so a receiver could read the other value.
    ['{"MessageTypeId":2,"UniqueId":"u","Action":"Reset","Payload":{"type":"Bogus","type":"Hard"}}', "FormationViolation", "u", "Reset"],
    ['{"MessageTypeId":2,"UniqueId":"u","Action":"Reset","Action":"Reset","Payload":{"type":"Hard"}}', "FormationViolation", "u", "Reset"],
    ['{"MessageTypeId":3,"UniqueId":"u","Payload":{"idTagInfo":{"status":"Blocked","status":"Accepted"}}}', "FormationViolation", "u", undefined],
    // ErrorCode outside the protocol's vocabulary (OCPP-J 1.6 §4.2.3).
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"Anything Goes \\n","ErrorDescription":"d"}', "FormationViolation", "u", undefined],
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"genericerror","ErrorDescription":"d"}', "FormationViolation", "u", undefined],
    ['{"MessageTypeId":4,"UniqueId":"u","ErrorCode":"OccurrenceConstraintViolation","ErrorDescription":"d"}', "FormationViolation", "u", undefined],
  ])("%s → %s", (text, code, uniqueId, action) => {
    const r = decodeDownstream(text, OCPP16);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(OCPP16.errorCodes[r.error.kind]).toBe(code);
    expect(r.error.uniqueId).toBe(uniqueId);
    expect(r.error.action).toBe(action);
  });
});
