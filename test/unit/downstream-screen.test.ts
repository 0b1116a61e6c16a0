import { describe, expect, it } from "vitest";
import { envelopeIds, ID_SCAN_BYTES, refusalEnvelope, screenDownstream } from "../../src/mqtt/downstream-screen";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("screenDownstream", () => {
  it.each([
    { name: "a live message within max_frame_size", size: 100, retain: false, want: undefined },
    { name: "exactly max_frame_size bytes", size: 1024, retain: false, want: undefined },
    { name: "one byte more", size: 1025, retain: false, want: "too_large" },
    { name: "a retained message (a stored command replayed on subscribing)", size: 100, retain: true, want: "retained" },
    { name: "a retained message that is also too large: retained", size: 5000, retain: true, want: "retained" },
  ])("$name → $want", ({ size, retain, want }) => {
    expect(screenDownstream(new Uint8Array(size), retain, 1024)).toBe(want);
  });
});

describe("envelopeIds", () => {
  it("reads UniqueId and Action from the start of a message far larger than it scans", () => {
    const huge = `{"MessageTypeId":2,"UniqueId":"u-1","Action":"DataTransfer","Payload":{"data":"${"x".repeat(3 * 1024 * 1024)}"}}`;
    expect(envelopeIds(bytes(huge))).toEqual({ uniqueId: "u-1", action: "DataTransfer" });
  });

  it("reads them from a complete small envelope, in any member order", () => {
    expect(envelopeIds(bytes('{"Action":"Reset","Payload":{"type":"Soft"},"UniqueId":"r1","MessageTypeId":2}'))).toEqual({ uniqueId: "r1", action: "Reset" });
  });

  it("leaves out what lies beyond the scanned head", () => {
    const late = `{"MessageTypeId":2,"Payload":{"data":"${"x".repeat(ID_SCAN_BYTES)}"},"UniqueId":"late","Action":"Reset"}`;
    expect(envelopeIds(bytes(late))).toEqual({});
  });

  it("leaves out a value cut by the end of the head, and a member name cut there", () => {
    const cutValue = `{"MessageTypeId":2,"Action":"Reset","UniqueId":"${"a".repeat(ID_SCAN_BYTES)}"}`;
    expect(envelopeIds(bytes(cutValue))).toEqual({ action: "Reset" });
    const cutName = `${" ".repeat(ID_SCAN_BYTES - 5)}{"UniqueId":"u"}`;
    expect(envelopeIds(bytes(cutName))).toEqual({});
  });

  it.each([
    { name: "not JSON", text: "not json at all" },
    { name: "an array", text: '[2,"u","Reset",{}]' },
    { name: "a numeric UniqueId", text: '{"UniqueId":42}' },
    { name: "an empty UniqueId", text: '{"UniqueId":""}' },
    { name: "a UniqueId over 36 characters", text: `{"UniqueId":"${"u".repeat(37)}"}` },
    { name: "an empty document", text: "" },
  ])("no UniqueId from $name", ({ text }) => {
    expect(envelopeIds(bytes(text)).uniqueId).toBeUndefined();
  });

  it("drops an Action that is not an action name (it would become a topic level)", () => {
    expect(envelopeIds(bytes('{"UniqueId":"u","Action":"a/b/#"}'))).toEqual({ uniqueId: "u" });
  });

  it("reads through a multi-byte character cut by the end of the head", () => {
    const text = `{"UniqueId":"ü-1","Action":"Reset","Payload":{"s":"${"é".repeat(ID_SCAN_BYTES)}"}}`;
    expect(envelopeIds(bytes(text))).toEqual({ uniqueId: "ü-1", action: "Reset" });
  });
});

describe("refusalEnvelope", () => {
  it("reports a too large message as a gateway CALLERROR with Reason too_large", () => {
    expect(JSON.parse(refusalEnvelope("too_large", { uniqueId: "u1", action: "DataTransfer" }, 2_097_152, 65_536) as string)).toEqual({
      MessageTypeId: 4,
      UniqueId: "u1",
      Action: "DataTransfer",
      ErrorCode: "GenericError",
      ErrorDescription: "message of 2097152 bytes exceeds max_frame_size (65536 bytes)",
      ErrorDetails: {},
      Origin: "gateway",
      Reason: "too_large",
    });
  });

  it("reports a retained message with Reason retained", () => {
    expect(JSON.parse(refusalEnvelope("retained", { uniqueId: "u2" }, 10, 65_536) as string)).toEqual({
      MessageTypeId: 4,
      UniqueId: "u2",
      ErrorCode: "GenericError",
      ErrorDescription: "retained message not executed: commands must be published without the retain flag",
      ErrorDetails: {},
      Origin: "gateway",
      Reason: "retained",
    });
  });

  it("makes no envelope without a UniqueId (nothing the CSMS could match it to)", () => {
    expect(refusalEnvelope("too_large", { action: "Reset" }, 2_000_000, 65_536)).toBeUndefined();
  });
});
