import { describe, expect, it } from "vitest";
import { callErrorText, callResultText, callText, parseFrame } from "../../src/ocpp/frame";
import { OCPP16 } from "../../src/ocpp/protocol";

describe("parseFrame: well-formed frames", () => {
  it("parses a CALL and keeps the payload bytes", () => {
    const text = '[2, "19223201", "BootNotification", {"chargePointVendor":"V", "chargePointModel":"M", "n": 1.0}]';
    const r = parseFrame(text, OCPP16);
    expect(r).toEqual({
      ok: true,
      frame: {
        type: 2,
        uniqueId: "19223201",
        action: "BootNotification",
        payload: { chargePointVendor: "V", chargePointModel: "M", n: 1 },
        payloadText: '{"chargePointVendor":"V", "chargePointModel":"M", "n": 1.0}',
      },
    });
  });

  it("parses a CALLRESULT", () => {
    const r = parseFrame('[3,"abc",{"status":"Accepted"}]', OCPP16);
    expect(r.ok && r.frame).toMatchObject({ type: 3, uniqueId: "abc", payloadText: '{"status":"Accepted"}' });
  });

  it("parses a CALLERROR with details", () => {
    const r = parseFrame('[4,"x","NotImplemented","nope",{"a":1}]', OCPP16);
    expect(r.ok && r.frame).toMatchObject({
      type: 4,
      uniqueId: "x",
      errorCode: "NotImplemented",
      errorDescription: "nope",
      errorDetailsText: '{"a":1}',
    });
  });
});

describe("parseFrame: malformed input, one specific error per stage", () => {
  it.each([
    // [frame, code, answerable, uniqueId]
    ["not json", "FormationViolation", false, undefined],
    ['{"a":1}', "FormationViolation", false, undefined],
    ["[]", "FormationViolation", false, undefined],
    ['["2","id","Heartbeat",{}]', "FormationViolation", false, "id"],
    ['[2.5,"id","Heartbeat",{}]', "FormationViolation", false, "id"],
    ['[7,"id","Heartbeat",{}]', "FormationViolation", true, "id"],
    ["[2]", "FormationViolation", false, undefined],
    ['[2,17,"Heartbeat",{}]', "FormationViolation", false, undefined],
    ['[2,"","Heartbeat",{}]', "FormationViolation", true, ""],
    [`[2,"${"x".repeat(37)}","Heartbeat",{}]`, "FormationViolation", true, "x".repeat(37)],
    ['[2,"id"]', "ProtocolError", true, "id"],
    ['[2,"id","Heartbeat"]', "ProtocolError", true, "id"],
    ['[2,"id","Heartbeat",{},{}]', "FormationViolation", true, "id"],
    ['[2,"id",5,{}]', "FormationViolation", true, "id"],
    ['[2,"id","Boot/Notification",{}]', "FormationViolation", true, "id"],
    ['[2,"id","Heartbeat",null]', "FormationViolation", true, "id"],
    ['[2,"id","Heartbeat",[]]', "FormationViolation", true, "id"],
    ['[3,"id"]', "FormationViolation", false, "id"],
    ['[3,"id","ok"]', "FormationViolation", false, "id"],
    ['[4,"id","GenericError","d"]', "FormationViolation", false, "id"],
    ['[4,"id",1,"d",{}]', "FormationViolation", false, "id"],
    ['[4,"id","GenericError",2,{}]', "FormationViolation", false, "id"],
    ['[4,"id","GenericError","d",null]', "FormationViolation", false, "id"],
  ])("%s → %s (answerable %s)", (text, code, answerable, uniqueId) => {
    const r = parseFrame(text, OCPP16);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(OCPP16.errorCodes[r.error.kind]).toBe(code);
    expect(r.error.answerable).toBe(answerable);
    expect(r.error.uniqueId).toBe(uniqueId);
    expect(r.error.message.length).toBeGreaterThan(5);
  });
});

describe("parseFrame: duplicate keys", () => {
  it.each([
    // [frame, answerable, where]
    ['[2,"d1","Reset",{"type":"Bogus","type":"Hard"}]', true, "/3/type"],
    ['[2,"d2","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","chargePointVendor":"W"}]', true, "/3/chargePointVendor"],
    // The same key spelled with an escape, and a duplicate deep inside.
    ['[2,"d3","Reset",{"type":"Soft","t\\u0079pe":"Hard"}]', true, "/3/type"],
    ['[2,"d4","DataTransfer",{"vendorId":"v","data":[{"a":{"k":1,"k":2}}]}]', true, "/3/data/0/a/k"],
    ['[3,"d5",{"status":"Accepted","status":"Rejected"}]', false, "/2/status"],
    ['[4,"d6","GenericError","d",{"a":1,"a":2}]', false, "/4/a"],
  ])("%s (answerable %s) → FormationViolation at %s", (text, answerable, where) => {
    const r = parseFrame(text, OCPP16);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(OCPP16.errorCodes[r.error.kind]).toBe("FormationViolation");
    expect(r.error.answerable).toBe(answerable);
    expect(r.error.uniqueId).toBe(JSON.parse(text)[1]);
    expect(r.error.messageTypeId).toBe(JSON.parse(text)[0]);
    expect(r.error.message).toBe(`frame has a duplicate key at ${where}`);
  });

  it("the same key in different objects, or as a string value, is no duplicate", () => {
    expect(parseFrame('[2,"u","DataTransfer",{"vendorId":"v","data":{"vendorId":"w"},"messageId":"vendorId"}]', OCPP16).ok).toBe(true);
    expect(parseFrame('[2,"u","DataTransfer",{"vendorId":"a:b","data":"\\":\\""}]', OCPP16).ok).toBe(true);
  });
});

describe("serialising frames", () => {
  it("writes frames around raw payload text", () => {
    expect(callText('a"b', "Reset", '{"type": "Soft"}')).toBe('[2,"a\\"b","Reset",{"type": "Soft"}]');
    expect(callResultText("1", "{}")).toBe('[3,"1",{}]');
    expect(callErrorText("1", "GenericError", "x")).toBe('[4,"1","GenericError","x",{}]');
    expect(JSON.parse(callErrorText("1", "GenericError", "quote\"", '{"a":1}'))).toEqual([4, "1", "GenericError", 'quote"', { a: 1 }]);
  });
});
