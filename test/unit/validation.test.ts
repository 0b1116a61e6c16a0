import { describe, expect, it } from "vitest";
import { OCPP16 } from "../../src/ocpp/protocol";
import { kindOfKeyword, validatePayload } from "../../src/ocpp/validation";

const code = (action: string, kind: "request" | "response", payload: unknown) => {
  const r = validatePayload(OCPP16.schemas, action, kind, payload);
  if (r.ok) return "valid";
  return r.unknownAction ? OCPP16.errorCodes[r.kind] : OCPP16.errorCodes[r.failure.kind];
};

describe("schema set", () => {
  it("has the 28 core actions and the 11 security-extension actions, each with request and response", () => {
    const actions = Object.keys(OCPP16.schemas).sort();
    expect(actions).toHaveLength(39);
    for (const a of ["BootNotification", "StartTransaction", "SetChargingProfile", "UpdateFirmware", "SignCertificate", "GetLog"]) {
      expect(actions).toContain(a);
    }
    for (const a of actions) {
      expect(typeof OCPP16.schemas[a]?.request).toBe("function");
      expect(typeof OCPP16.schemas[a]?.response).toBe("function");
    }
  });
});

describe("keyword → OCPP-J 1.6 error code", () => {
  it.each([
    ["required", "OccurenceConstraintViolation"],
    ["minItems", "OccurenceConstraintViolation"],
    ["type", "TypeConstraintViolation"],
    ["enum", "PropertyConstraintViolation"],
    ["maxLength", "PropertyConstraintViolation"],
    ["minimum", "PropertyConstraintViolation"],
    ["pattern", "PropertyConstraintViolation"],
    ["format", "PropertyConstraintViolation"],
    ["multipleOf", "PropertyConstraintViolation"],
    ["additionalProperties", "FormationViolation"],
    ["oneOf", "FormationViolation"],
  ])("%s → %s", (keyword, expected) => {
    expect(OCPP16.errorCodes[kindOfKeyword(keyword)]).toBe(expected);
  });
});

describe("validatePayload", () => {
  it("names the field and the rule in plain words and lists the failing paths", () => {
    const r = validatePayload(OCPP16.schemas, "BootNotification", "request", { chargePointVendor: "v".repeat(21), chargePointModel: "m" });
    expect(r).toEqual({
      ok: false,
      unknownAction: false,
      failure: {
        kind: "PropertyConstraint",
        description: "BootNotification: chargePointVendor must be at most 20 characters long",
        violations: [{ path: "/chargePointVendor", keyword: "maxLength", message: "must NOT have more than 20 characters" }],
      },
    });
  });

  it("reports nested paths readably", () => {
    const r = validatePayload(OCPP16.schemas, "MeterValues", "request", {
      connectorId: 1,
      meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "1" }, { value: "2", unit: "Parsec" }] }],
    });
    expect(!r.ok && !r.unknownAction && r.failure.description).toMatch(/^MeterValues: meterValue\[0\]\.sampledValue\[1\]\.unit must be one of "Wh", /);
    expect(!r.ok && !r.unknownAction && r.failure.violations[0]?.path).toBe("/meterValue/0/sampledValue/1/unit");
  });

  it("the first failing keyword decides the code, and every failure is listed", () => {
    // required is evaluated before properties: the missing model decides, the bad vendor is still listed.
    const r = validatePayload(OCPP16.schemas, "BootNotification", "request", { chargePointVendor: 5, extra: true });
    expect(r).toMatchObject({ ok: false, unknownAction: false });
    if (r.ok || r.unknownAction) throw new Error("unreachable: checked above");
    expect(OCPP16.errorCodes[r.failure.kind]).toBe("OccurenceConstraintViolation");
    expect(r.failure.violations.map((v) => [v.keyword, v.path])).toEqual([
      ["required", "/chargePointModel"],
      ["additionalProperties", "/extra"],
      ["type", "/chargePointVendor"],
    ]);
    for (let i = 0; i < 5; i++) {
      const again = validatePayload(OCPP16.schemas, "BootNotification", "request", { chargePointVendor: 5, extra: true });
      expect(again).toEqual(r);
    }
  });

  it("an unknown Action is NotImplemented", () => {
    expect(code("MakeCoffee", "request", {})).toBe("NotImplemented");
    expect(code("constructor", "request", {})).toBe("NotImplemented");
  });

  it.each([
    [12.1, "valid"],
    [0.3, "valid"],
    [32, "valid"],
    [6.9, "valid"],
    [12.15, "PropertyConstraintViolation"],
    [0.01, "PropertyConstraintViolation"],
  ])("multipleOf 0.1 (charging limit %d) → %s", (limit, expected) => {
    const payload = {
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 1,
        stackLevel: 0,
        chargingProfilePurpose: "TxDefaultProfile",
        chargingProfileKind: "Absolute",
        chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit }], minChargingRate: 0.3 },
      },
    };
    expect(code("SetChargingProfile", "request", payload)).toBe(expected);
  });

  it("does not change the payload it checks", () => {
    const payload = { connectorId: 1, errorCode: "NoError", status: "Available", extra: undefined as unknown };
    delete payload.extra;
    const before = JSON.stringify(payload);
    expect(code("StatusNotification", "request", payload)).toBe("valid");
    expect(JSON.stringify(payload)).toBe(before);
    const coercible = { connectorId: "1", errorCode: "NoError", status: "Available" };
    expect(code("StatusNotification", "request", coercible)).toBe("TypeConstraintViolation");
    expect(coercible.connectorId).toBe("1");
  });

  it.each([
    ["2023-12-01T14:20:39Z", "valid"],
    ["2023-12-01T14:20:39.123456+02:00", "valid"],
    ["2023-12-01t14:20:39z", "valid"],
    ["2023-12-01 14:20:39Z", "valid"],
    ["2023-12-01T14:20:39-0530", "valid"],
    ["2024-02-29T00:00:00Z", "valid"],
    ["2023-12-31T23:59:60Z", "valid"],
    ["2023-12-01T14:20:39", "PropertyConstraintViolation"],
    ["2023-12-01", "PropertyConstraintViolation"],
    ["2023-02-30T10:00:00Z", "PropertyConstraintViolation"],
    ["2023-04-31T10:00:00Z", "PropertyConstraintViolation"],
    ["2023-13-01T10:00:00Z", "PropertyConstraintViolation"],
    ["2023-12-00T10:00:00Z", "PropertyConstraintViolation"],
    ["2023-12-01T24:00:00Z", "PropertyConstraintViolation"],
    ["2023-12-01T14:60:00Z", "PropertyConstraintViolation"],
    ["2023-12-01T14:20:39+24:00", "PropertyConstraintViolation"],
    ["yesterday", "PropertyConstraintViolation"],
  ])("date-time %s → %s", (currentTime, expected) => {
    expect(code("Heartbeat", "response", { currentTime })).toBe(expected);
  });
});
