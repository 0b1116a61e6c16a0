// Hand-written OCPP 1.6 payload samples per action and direction: valid ones, and invalid ones with exactly one
// violation each, labelled with the OCPP-J 1.6 error code the gateway must answer. Independent of the schema files:
// written from the OCPP 1.6 specification and checked against the official OCA JSON schemas.

export type Ocpp16ValidationCode =
  | "OccurenceConstraintViolation"
  | "TypeConstraintViolation"
  | "PropertyConstraintViolation"
  | "FormationViolation";

export interface Sample {
  /** What the sample shows, in a few words (appears in test titles). */
  readonly name: string;
  readonly payload: unknown;
  /** Absent for a valid sample. */
  readonly code?: Ocpp16ValidationCode;
  /** For invalid samples: JSON pointer of the offending property, e.g. "/chargePointVendor" or "/meterValue/0/sampledValue/0/unit". For a missing required property, the pointer of the missing property itself (parent path + "/" + name). For an additional property, the pointer of the extra property. */
  readonly path?: string;
}

export interface ActionSamples {
  readonly request: readonly Sample[];
  readonly response: readonly Sample[];
}

// Shared fragments (plain data; invalid variants are built with spreads so that each carries one violation).

const CERTIFICATE_PEM =
  "-----BEGIN CERTIFICATE-----\n" +
  "MIIBszCCAVmgAwIBAgIUJ2wQzQ9b6p0YH1n8m3Yx0Zc4rVwwCgYIKoZIzj0EAwIw\n" +
  "LzELMAkGA1UEBhMCTkwxIDAeBgNVBAMMF0V4YW1wbGUgQ2VudHJhbCBTeXN0ZW0w\n" +
  "-----END CERTIFICATE-----\n";

const CSR_PEM =
  "-----BEGIN CERTIFICATE REQUEST-----\n" +
  "MIIBCDCBrwIBADBNMQswCQYDVQQGEwJOTDEUMBIGA1UECgwLRXhhbXBsZSBDUE8x\n" +
  "KDAmBgNVBAMMH0NQLTAwMDEuY2hhcmdlcG9pbnRzLmV4YW1wbGUuY29tMFkwEwYH\n" +
  "-----END CERTIFICATE REQUEST-----\n";

const HASH_DATA = {
  hashAlgorithm: "SHA256",
  issuerNameHash: "5f2b8e3c9a1d4f6e7b0c2a8d9e1f3b5c7d9a0e2f4b6c8d0a1e3f5b7c9d1e3f5a",
  issuerKeyHash: "a1c3e5f7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3",
  serialNumber: "4E2A9C01B7F3D58E6A10",
} as const;

const SCHEDULE_PERIODS = [
  { startPeriod: 0, limit: 12.1, numberPhases: 3 },
  { startPeriod: 3600, limit: 16 },
] as const;

/** A valid TxDefaultProfile whose limit (12.1) and minChargingRate (0.3) are multiples of 0.1 (with precision). */
const TX_DEFAULT_PROFILE = {
  chargingProfileId: 100,
  stackLevel: 0,
  chargingProfilePurpose: "TxDefaultProfile",
  chargingProfileKind: "Recurring",
  recurrencyKind: "Daily",
  validFrom: "2023-12-01T00:00:00Z",
  validTo: "2024-12-01T00:00:00Z",
  chargingSchedule: {
    duration: 86400,
    startSchedule: "2023-12-01T00:00:00Z",
    chargingRateUnit: "A",
    chargingSchedulePeriod: SCHEDULE_PERIODS,
    minChargingRate: 0.3,
  },
} as const;

/** A valid TxProfile for RemoteStartTransaction. */
const TX_PROFILE = {
  chargingProfileId: 7,
  stackLevel: 1,
  chargingProfilePurpose: "TxProfile",
  chargingProfileKind: "Relative",
  chargingSchedule: {
    chargingRateUnit: "A",
    chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.1 }],
    minChargingRate: 0.3,
  },
} as const;

/** 20 realistic sampled values of one periodic meter reading of a three-phase AC charge point. */
const SAMPLED_VALUES_20 = [
  { value: "15234", context: "Sample.Periodic", measurand: "Energy.Active.Import.Register", unit: "Wh" },
  { value: "0", context: "Sample.Periodic", measurand: "Energy.Active.Export.Register", unit: "Wh" },
  { value: "312", context: "Sample.Periodic", measurand: "Energy.Reactive.Import.Register", unit: "varh" },
  { value: "1250", context: "Sample.Periodic", measurand: "Energy.Active.Import.Interval", unit: "Wh" },
  { value: "11040", context: "Sample.Periodic", measurand: "Power.Active.Import", unit: "W" },
  { value: "3680", context: "Sample.Periodic", measurand: "Power.Active.Import", phase: "L1", unit: "W" },
  { value: "22.08", context: "Sample.Periodic", measurand: "Power.Offered", unit: "kW" },
  { value: "0.98", context: "Sample.Periodic", measurand: "Power.Factor" },
  { value: "16.0", context: "Sample.Periodic", measurand: "Current.Import", phase: "L1", unit: "A" },
  { value: "16.1", context: "Sample.Periodic", measurand: "Current.Import", phase: "L2", unit: "A" },
  { value: "15.9", context: "Sample.Periodic", measurand: "Current.Import", phase: "L3", unit: "A" },
  { value: "32", context: "Sample.Periodic", measurand: "Current.Offered", unit: "A" },
  { value: "230.1", context: "Sample.Periodic", measurand: "Voltage", phase: "L1-N", unit: "V" },
  { value: "229.8", context: "Sample.Periodic", measurand: "Voltage", phase: "L2-N", unit: "V" },
  { value: "231.0", context: "Sample.Periodic", measurand: "Voltage", phase: "L3-N", unit: "V" },
  { value: "50.01", context: "Sample.Periodic", measurand: "Frequency" },
  { value: "64", context: "Sample.Periodic", measurand: "SoC", location: "EV", unit: "Percent" },
  { value: "38.5", context: "Sample.Periodic", measurand: "Temperature", location: "Body", unit: "Celcius" },
  { value: "305.2", context: "Sample.Periodic", measurand: "Temperature", location: "Cable", unit: "K" },
  { value: "1.2", context: "Sample.Periodic", format: "Raw", measurand: "Power.Reactive.Import", unit: "kvar" },
] as const;

export const OCPP16_SAMPLES: Readonly<Record<string, ActionSamples>> = {
  Authorize: {
    request: [
      { name: "idTag", payload: { idTag: "TAG-0001" } },
      { name: "idTag of 20 characters", payload: { idTag: "04E91C2A7B3F8D6E5A10" } },
      { name: "idTag missing", payload: {}, code: "OccurenceConstraintViolation", path: "/idTag" },
      {
        name: "idTag of 21 characters",
        payload: { idTag: "04E91C2A7B3F8D6E5A10B" },
        code: "PropertyConstraintViolation",
        path: "/idTag",
      },
      { name: "idTag as a number", payload: { idTag: 1234 }, code: "TypeConstraintViolation", path: "/idTag" },
      {
        name: "extra connectorId",
        payload: { idTag: "TAG-0001", connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
    response: [
      { name: "status only", payload: { idTagInfo: { status: "Accepted" } } },
      {
        name: "all idTagInfo fields",
        payload: { idTagInfo: { status: "Accepted", expiryDate: "2023-12-31T23:59:59Z", parentIdTag: "FLEET-01" } },
      },
      { name: "status Blocked", payload: { idTagInfo: { status: "Blocked" } } },
      { name: "idTagInfo missing", payload: {}, code: "OccurenceConstraintViolation", path: "/idTagInfo" },
      {
        name: "status missing",
        payload: { idTagInfo: { parentIdTag: "FLEET-01" } },
        code: "OccurenceConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "unknown status",
        payload: { idTagInfo: { status: "Unknown" } },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "expiryDate without time",
        payload: { idTagInfo: { status: "Accepted", expiryDate: "2023-12-31" } },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/expiryDate",
      },
      {
        name: "expiryDate without time zone",
        payload: { idTagInfo: { status: "Accepted", expiryDate: "2023-12-31T23:59:59" } },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/expiryDate",
      },
      {
        name: "parentIdTag of 21 characters",
        payload: { idTagInfo: { status: "Accepted", parentIdTag: "FLEET-0123456789ABCDE" } },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/parentIdTag",
      },
      {
        name: "idTagInfo as a string",
        payload: { idTagInfo: "Accepted" },
        code: "TypeConstraintViolation",
        path: "/idTagInfo",
      },
      {
        name: "extra property in idTagInfo",
        payload: { idTagInfo: { status: "Accepted", reason: "ok" } },
        code: "FormationViolation",
        path: "/idTagInfo/reason",
      },
      {
        name: "extra transactionId",
        payload: { idTagInfo: { status: "Accepted" }, transactionId: 1 },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
  },

  BootNotification: {
    request: [
      { name: "vendor and model", payload: { chargePointVendor: "VendorX", chargePointModel: "SingleSocketCP" } },
      {
        name: "all fields",
        payload: {
          chargePointVendor: "VendorX",
          chargePointModel: "SingleSocketCP",
          chargePointSerialNumber: "CP-SN-2023-000123",
          chargeBoxSerialNumber: "CB-SN-2023-000123",
          firmwareVersion: "1.4.2-build.5871+sha.3f9c2a1",
          iccid: "8931440400012345678",
          imsi: "204043123456789",
          meterType: "EEM-350-D-MCB",
          meterSerialNumber: "MTR-0012345678",
        },
      },
      {
        name: "chargePointVendor of 20 characters",
        payload: { chargePointVendor: "V".repeat(20), chargePointModel: "SingleSocketCP" },
      },
      {
        name: "chargePointVendor of 21 characters",
        payload: { chargePointVendor: "V".repeat(21), chargePointModel: "SingleSocketCP" },
        code: "PropertyConstraintViolation",
        path: "/chargePointVendor",
      },
      {
        name: "chargePointModel missing",
        payload: { chargePointVendor: "VendorX" },
        code: "OccurenceConstraintViolation",
        path: "/chargePointModel",
      },
      {
        name: "chargePointVendor missing",
        payload: { chargePointModel: "SingleSocketCP" },
        code: "OccurenceConstraintViolation",
        path: "/chargePointVendor",
      },
      {
        name: "chargePointVendor as a number",
        payload: { chargePointVendor: 42, chargePointModel: "SingleSocketCP" },
        code: "TypeConstraintViolation",
        path: "/chargePointVendor",
      },
      {
        name: "firmwareVersion of 51 characters",
        payload: { chargePointVendor: "VendorX", chargePointModel: "SingleSocketCP", firmwareVersion: "1".repeat(51) },
        code: "PropertyConstraintViolation",
        path: "/firmwareVersion",
      },
      {
        name: "chargePointSerialNumber of 26 characters",
        payload: {
          chargePointVendor: "VendorX",
          chargePointModel: "SingleSocketCP",
          chargePointSerialNumber: "S".repeat(26),
        },
        code: "PropertyConstraintViolation",
        path: "/chargePointSerialNumber",
      },
      {
        name: "iccid of 21 characters",
        payload: { chargePointVendor: "VendorX", chargePointModel: "SingleSocketCP", iccid: "893144040001234567890" },
        code: "PropertyConstraintViolation",
        path: "/iccid",
      },
      {
        name: "extra chargePointId",
        payload: { chargePointVendor: "VendorX", chargePointModel: "SingleSocketCP", chargePointId: "CP-0001" },
        code: "FormationViolation",
        path: "/chargePointId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39Z", interval: 300 } },
      {
        name: "Pending, time zone offset, interval 0",
        payload: { status: "Pending", currentTime: "2023-12-01T15:20:39+01:00", interval: 0 },
      },
      {
        name: "Rejected, fractional seconds",
        payload: { status: "Rejected", currentTime: "2023-12-01T14:20:39.123Z", interval: 60 },
      },
      {
        name: "interval missing",
        payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/interval",
      },
      {
        name: "currentTime missing",
        payload: { status: "Accepted", interval: 300 },
        code: "OccurenceConstraintViolation",
        path: "/currentTime",
      },
      {
        name: "unknown status",
        payload: { status: "Accept", currentTime: "2023-12-01T14:20:39Z", interval: 300 },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "interval as a string",
        payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39Z", interval: "300" },
        code: "TypeConstraintViolation",
        path: "/interval",
      },
      {
        name: "interval not an integer",
        payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39Z", interval: 30.5 },
        code: "TypeConstraintViolation",
        path: "/interval",
      },
      {
        name: "currentTime without time zone",
        payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39", interval: 300 },
        code: "PropertyConstraintViolation",
        path: "/currentTime",
      },
      {
        name: "currentTime as a date only",
        payload: { status: "Accepted", currentTime: "2023-12-01", interval: 300 },
        code: "PropertyConstraintViolation",
        path: "/currentTime",
      },
      {
        name: "extra heartbeatInterval",
        payload: { status: "Accepted", currentTime: "2023-12-01T14:20:39Z", interval: 300, heartbeatInterval: 300 },
        code: "FormationViolation",
        path: "/heartbeatInterval",
      },
    ],
  },

  CancelReservation: {
    request: [
      { name: "reservationId", payload: { reservationId: 42 } },
      { name: "reservationId missing", payload: {}, code: "OccurenceConstraintViolation", path: "/reservationId" },
      {
        name: "reservationId as a string",
        payload: { reservationId: "42" },
        code: "TypeConstraintViolation",
        path: "/reservationId",
      },
      {
        name: "reservationId not an integer",
        payload: { reservationId: 4.2 },
        code: "TypeConstraintViolation",
        path: "/reservationId",
      },
      {
        name: "extra connectorId",
        payload: { reservationId: 42, connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Canceled" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      { name: "status as a number", payload: { status: 1 }, code: "TypeConstraintViolation", path: "/status" },
      {
        name: "extra reservationId",
        payload: { status: "Accepted", reservationId: 42 },
        code: "FormationViolation",
        path: "/reservationId",
      },
    ],
  },

  CertificateSigned: {
    request: [
      { name: "PEM certificate chain", payload: { certificateChain: CERTIFICATE_PEM + CERTIFICATE_PEM } },
      { name: "certificateChain of 10000 characters", payload: { certificateChain: "A".repeat(10000) } },
      {
        name: "certificateChain missing",
        payload: {},
        code: "OccurenceConstraintViolation",
        path: "/certificateChain",
      },
      {
        name: "certificateChain of 10001 characters",
        payload: { certificateChain: "A".repeat(10001) },
        code: "PropertyConstraintViolation",
        path: "/certificateChain",
      },
      {
        name: "certificateChain as an array",
        payload: { certificateChain: [CERTIFICATE_PEM, CERTIFICATE_PEM] },
        code: "TypeConstraintViolation",
        path: "/certificateChain",
      },
      {
        name: "extra certificateType",
        payload: { certificateChain: CERTIFICATE_PEM, certificateType: "ChargingStationCertificate" },
        code: "FormationViolation",
        path: "/certificateType",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Failed" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra statusInfo",
        payload: { status: "Rejected", statusInfo: { reasonCode: "InvalidCertificate" } },
        code: "FormationViolation",
        path: "/statusInfo",
      },
    ],
  },

  ChangeAvailability: {
    request: [
      { name: "whole charge point Inoperative", payload: { connectorId: 0, type: "Inoperative" } },
      { name: "connector 2 Operative", payload: { connectorId: 2, type: "Operative" } },
      { name: "type missing", payload: { connectorId: 1 }, code: "OccurenceConstraintViolation", path: "/type" },
      {
        name: "connectorId missing",
        payload: { type: "Operative" },
        code: "OccurenceConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "unknown type",
        payload: { connectorId: 1, type: "Unavailable" },
        code: "PropertyConstraintViolation",
        path: "/type",
      },
      {
        name: "connectorId as a string",
        payload: { connectorId: "1", type: "Operative" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "extra evseId",
        payload: { connectorId: 1, type: "Operative", evseId: 1 },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Scheduled", payload: { status: "Scheduled" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Pending" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra connectorId",
        payload: { status: "Accepted", connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
  },

  ChangeConfiguration: {
    request: [
      { name: "HeartbeatInterval", payload: { key: "HeartbeatInterval", value: "300" } },
      {
        name: "list value",
        payload: { key: "MeterValuesSampledData", value: "Energy.Active.Import.Register,Power.Active.Import" },
      },
      { name: "empty value", payload: { key: "AuthorizationKey", value: "" } },
      {
        name: "value missing",
        payload: { key: "HeartbeatInterval" },
        code: "OccurenceConstraintViolation",
        path: "/value",
      },
      { name: "key missing", payload: { value: "300" }, code: "OccurenceConstraintViolation", path: "/key" },
      {
        name: "value as a number",
        payload: { key: "HeartbeatInterval", value: 300 },
        code: "TypeConstraintViolation",
        path: "/value",
      },
      {
        name: "key of 51 characters",
        payload: { key: "K".repeat(51), value: "300" },
        code: "PropertyConstraintViolation",
        path: "/key",
      },
      {
        name: "value of 501 characters",
        payload: { key: "CustomDisplayText", value: "x".repeat(501) },
        code: "PropertyConstraintViolation",
        path: "/value",
      },
      {
        name: "extra readonly",
        payload: { key: "HeartbeatInterval", value: "300", readonly: false },
        code: "FormationViolation",
        path: "/readonly",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "RebootRequired", payload: { status: "RebootRequired" } },
      { name: "NotSupported", payload: { status: "NotSupported" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Unknown" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra key",
        payload: { status: "Accepted", key: "HeartbeatInterval" },
        code: "FormationViolation",
        path: "/key",
      },
    ],
  },

  ClearCache: {
    request: [
      { name: "empty object", payload: {} },
      { name: "extra force", payload: { force: true }, code: "FormationViolation", path: "/force" },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Cleared" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra cleared",
        payload: { status: "Accepted", cleared: 12 },
        code: "FormationViolation",
        path: "/cleared",
      },
    ],
  },

  ClearChargingProfile: {
    request: [
      { name: "empty object (clear all)", payload: {} },
      { name: "by id", payload: { id: 100 } },
      {
        name: "all fields",
        payload: { id: 100, connectorId: 1, chargingProfilePurpose: "TxDefaultProfile", stackLevel: 0 },
      },
      { name: "id as a string", payload: { id: "100" }, code: "TypeConstraintViolation", path: "/id" },
      {
        name: "unknown chargingProfilePurpose",
        payload: { connectorId: 1, chargingProfilePurpose: "TxMaxProfile" },
        code: "PropertyConstraintViolation",
        path: "/chargingProfilePurpose",
      },
      {
        name: "stackLevel not an integer",
        payload: { connectorId: 1, stackLevel: 1.5 },
        code: "TypeConstraintViolation",
        path: "/stackLevel",
      },
      {
        name: "extra chargingProfileId",
        payload: { chargingProfileId: 100 },
        code: "FormationViolation",
        path: "/chargingProfileId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Unknown", payload: { status: "Unknown" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Rejected" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      { name: "extra id", payload: { status: "Accepted", id: 100 }, code: "FormationViolation", path: "/id" },
    ],
  },

  DataTransfer: {
    request: [
      { name: "vendorId only", payload: { vendorId: "com.example.vendor" } },
      {
        name: "all fields",
        payload: {
          vendorId: "com.example.vendor",
          messageId: "SetDisplayPrice",
          data: '{"connectorId":1,"price":"0.35 EUR/kWh"}',
        },
      },
      { name: "vendorId of 255 characters", payload: { vendorId: "v".repeat(255) } },
      {
        name: "vendorId missing",
        payload: { messageId: "SetDisplayPrice" },
        code: "OccurenceConstraintViolation",
        path: "/vendorId",
      },
      {
        name: "vendorId of 256 characters",
        payload: { vendorId: "v".repeat(256) },
        code: "PropertyConstraintViolation",
        path: "/vendorId",
      },
      {
        name: "messageId of 51 characters",
        payload: { vendorId: "com.example.vendor", messageId: "M".repeat(51) },
        code: "PropertyConstraintViolation",
        path: "/messageId",
      },
      {
        name: "data as an object",
        payload: { vendorId: "com.example.vendor", data: { connectorId: 1 } },
        code: "TypeConstraintViolation",
        path: "/data",
      },
      {
        name: "extra vendorData",
        payload: { vendorId: "com.example.vendor", vendorData: "x" },
        code: "FormationViolation",
        path: "/vendorData",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Accepted with data", payload: { status: "Accepted", data: '{"displayed":true}' } },
      { name: "UnknownVendorId", payload: { status: "UnknownVendorId" } },
      { name: "status missing", payload: { data: "x" }, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "UnknownMessage" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "data as a number",
        payload: { status: "Accepted", data: 42 },
        code: "TypeConstraintViolation",
        path: "/data",
      },
      {
        name: "extra messageId",
        payload: { status: "Accepted", messageId: "SetDisplayPrice" },
        code: "FormationViolation",
        path: "/messageId",
      },
    ],
  },

  DeleteCertificate: {
    request: [
      { name: "certificateHashData", payload: { certificateHashData: HASH_DATA } },
      {
        name: "SHA512 hashes of 128 characters",
        payload: {
          certificateHashData: {
            hashAlgorithm: "SHA512",
            issuerNameHash: "a".repeat(128),
            issuerKeyHash: "b".repeat(128),
            serialNumber: "0".repeat(40),
          },
        },
      },
      {
        name: "certificateHashData missing",
        payload: {},
        code: "OccurenceConstraintViolation",
        path: "/certificateHashData",
      },
      {
        name: "serialNumber missing",
        payload: {
          certificateHashData: {
            hashAlgorithm: "SHA256",
            issuerNameHash: HASH_DATA.issuerNameHash,
            issuerKeyHash: HASH_DATA.issuerKeyHash,
          },
        },
        code: "OccurenceConstraintViolation",
        path: "/certificateHashData/serialNumber",
      },
      {
        name: "unknown hashAlgorithm",
        payload: { certificateHashData: { ...HASH_DATA, hashAlgorithm: "MD5" } },
        code: "PropertyConstraintViolation",
        path: "/certificateHashData/hashAlgorithm",
      },
      {
        name: "issuerNameHash of 129 characters",
        payload: { certificateHashData: { ...HASH_DATA, issuerNameHash: "a".repeat(129) } },
        code: "PropertyConstraintViolation",
        path: "/certificateHashData/issuerNameHash",
      },
      {
        name: "serialNumber of 41 characters",
        payload: { certificateHashData: { ...HASH_DATA, serialNumber: "0".repeat(41) } },
        code: "PropertyConstraintViolation",
        path: "/certificateHashData/serialNumber",
      },
      {
        name: "certificateHashData as an array",
        payload: { certificateHashData: [HASH_DATA] },
        code: "TypeConstraintViolation",
        path: "/certificateHashData",
      },
      {
        name: "extra property in certificateHashData",
        payload: { certificateHashData: { ...HASH_DATA, certificateType: "CentralSystemRootCertificate" } },
        code: "FormationViolation",
        path: "/certificateHashData/certificateType",
      },
      {
        name: "extra certificateType",
        payload: { certificateHashData: HASH_DATA, certificateType: "CentralSystemRootCertificate" },
        code: "FormationViolation",
        path: "/certificateType",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "NotFound", payload: { status: "NotFound" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Rejected" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra certificateHashData",
        payload: { status: "Accepted", certificateHashData: HASH_DATA },
        code: "FormationViolation",
        path: "/certificateHashData",
      },
    ],
  },

  DiagnosticsStatusNotification: {
    request: [
      { name: "Uploading", payload: { status: "Uploading" } },
      { name: "Uploaded", payload: { status: "Uploaded" } },
      { name: "Idle", payload: { status: "Idle" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Downloading" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra fileName",
        payload: { status: "Uploaded", fileName: "diag.zip" },
        code: "FormationViolation",
        path: "/fileName",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  ExtendedTriggerMessage: {
    request: [
      { name: "SignChargePointCertificate", payload: { requestedMessage: "SignChargePointCertificate" } },
      {
        name: "StatusNotification for connector 1",
        payload: { requestedMessage: "StatusNotification", connectorId: 1 },
      },
      { name: "LogStatusNotification", payload: { requestedMessage: "LogStatusNotification" } },
      {
        name: "requestedMessage missing",
        payload: {},
        code: "OccurenceConstraintViolation",
        path: "/requestedMessage",
      },
      {
        name: "DiagnosticsStatusNotification (only in TriggerMessage)",
        payload: { requestedMessage: "DiagnosticsStatusNotification" },
        code: "PropertyConstraintViolation",
        path: "/requestedMessage",
      },
      {
        name: "connectorId as a string",
        payload: { requestedMessage: "MeterValues", connectorId: "1" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "extra evseId",
        payload: { requestedMessage: "Heartbeat", evseId: 1 },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "NotImplemented", payload: { status: "NotImplemented" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "NotSupported" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra requestedMessage",
        payload: { status: "Accepted", requestedMessage: "Heartbeat" },
        code: "FormationViolation",
        path: "/requestedMessage",
      },
    ],
  },

  FirmwareStatusNotification: {
    request: [
      { name: "Downloading", payload: { status: "Downloading" } },
      { name: "Installed", payload: { status: "Installed" } },
      { name: "InstallationFailed", payload: { status: "InstallationFailed" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "DownloadScheduled (only in SignedFirmwareStatusNotification)",
        payload: { status: "DownloadScheduled" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra requestId",
        payload: { status: "Installed", requestId: 1 },
        code: "FormationViolation",
        path: "/requestId",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  GetCompositeSchedule: {
    request: [
      { name: "connectorId and duration", payload: { connectorId: 1, duration: 3600 } },
      { name: "with chargingRateUnit", payload: { connectorId: 0, duration: 86400, chargingRateUnit: "W" } },
      {
        name: "duration missing",
        payload: { connectorId: 1 },
        code: "OccurenceConstraintViolation",
        path: "/duration",
      },
      {
        name: "connectorId missing",
        payload: { duration: 3600 },
        code: "OccurenceConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "unknown chargingRateUnit",
        payload: { connectorId: 1, duration: 3600, chargingRateUnit: "kW" },
        code: "PropertyConstraintViolation",
        path: "/chargingRateUnit",
      },
      {
        name: "duration not an integer",
        payload: { connectorId: 1, duration: 3600.5 },
        code: "TypeConstraintViolation",
        path: "/duration",
      },
      {
        name: "extra stackLevel",
        payload: { connectorId: 1, duration: 3600, stackLevel: 0 },
        code: "FormationViolation",
        path: "/stackLevel",
      },
    ],
    response: [
      { name: "Rejected", payload: { status: "Rejected" } },
      {
        name: "Accepted with a schedule",
        payload: {
          status: "Accepted",
          connectorId: 1,
          scheduleStart: "2023-12-01T14:00:00Z",
          chargingSchedule: {
            duration: 3600,
            startSchedule: "2023-12-01T14:00:00Z",
            chargingRateUnit: "A",
            chargingSchedulePeriod: [
              { startPeriod: 0, limit: 12.1, numberPhases: 3 },
              { startPeriod: 1800, limit: 6 },
            ],
            minChargingRate: 0.3,
          },
        },
      },
      {
        name: "status missing",
        payload: { connectorId: 1 },
        code: "OccurenceConstraintViolation",
        path: "/status",
      },
      {
        name: "chargingRateUnit missing",
        payload: { status: "Accepted", chargingSchedule: { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] } },
        code: "OccurenceConstraintViolation",
        path: "/chargingSchedule/chargingRateUnit",
      },
      {
        name: "limit 12.15 not a multiple of 0.1",
        payload: {
          status: "Accepted",
          chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.15 }] },
        },
        code: "PropertyConstraintViolation",
        path: "/chargingSchedule/chargingSchedulePeriod/0/limit",
      },
      {
        name: "limit as a string",
        payload: {
          status: "Accepted",
          chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: "16" }] },
        },
        code: "TypeConstraintViolation",
        path: "/chargingSchedule/chargingSchedulePeriod/0/limit",
      },
      {
        name: "scheduleStart without time zone",
        payload: { status: "Accepted", scheduleStart: "2023-12-01T14:00:00" },
        code: "PropertyConstraintViolation",
        path: "/scheduleStart",
      },
      {
        name: "extra property in a period",
        payload: {
          status: "Accepted",
          chargingSchedule: {
            chargingRateUnit: "W",
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000, phaseToUse: 1 }],
          },
        },
        code: "FormationViolation",
        path: "/chargingSchedule/chargingSchedulePeriod/0/phaseToUse",
      },
      {
        name: "extra duration",
        payload: { status: "Rejected", duration: 3600 },
        code: "FormationViolation",
        path: "/duration",
      },
    ],
  },

  GetConfiguration: {
    request: [
      { name: "empty object (all keys)", payload: {} },
      { name: "two keys", payload: { key: ["HeartbeatInterval", "MeterValueSampleInterval"] } },
      { name: "empty key list", payload: { key: [] } },
      {
        name: "key as a string",
        payload: { key: "HeartbeatInterval" },
        code: "TypeConstraintViolation",
        path: "/key",
      },
      {
        name: "key of 51 characters",
        payload: { key: ["K".repeat(51)] },
        code: "PropertyConstraintViolation",
        path: "/key/0",
      },
      {
        name: "key entry as a number",
        payload: { key: ["HeartbeatInterval", 300] },
        code: "TypeConstraintViolation",
        path: "/key/1",
      },
      {
        name: "extra keys",
        payload: { keys: ["HeartbeatInterval"] },
        code: "FormationViolation",
        path: "/keys",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      {
        name: "configurationKey and unknownKey",
        payload: {
          configurationKey: [
            { key: "HeartbeatInterval", readonly: false, value: "300" },
            { key: "NumberOfConnectors", readonly: true, value: "2" },
            { key: "AuthorizationKey", readonly: false },
          ],
          unknownKey: ["VendorSpecificKey"],
        },
      },
      {
        name: "readonly missing",
        payload: { configurationKey: [{ key: "HeartbeatInterval", value: "300" }] },
        code: "OccurenceConstraintViolation",
        path: "/configurationKey/0/readonly",
      },
      {
        name: "readonly as a string",
        payload: { configurationKey: [{ key: "HeartbeatInterval", readonly: "false", value: "300" }] },
        code: "TypeConstraintViolation",
        path: "/configurationKey/0/readonly",
      },
      {
        name: "value of 501 characters",
        payload: {
          configurationKey: [
            { key: "HeartbeatInterval", readonly: false, value: "300" },
            { key: "CustomDisplayText", readonly: false, value: "x".repeat(501) },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/configurationKey/1/value",
      },
      {
        name: "unknownKey of 51 characters",
        payload: { unknownKey: ["K".repeat(51)] },
        code: "PropertyConstraintViolation",
        path: "/unknownKey/0",
      },
      {
        name: "configurationKey as an object",
        payload: { configurationKey: { key: "HeartbeatInterval", readonly: false } },
        code: "TypeConstraintViolation",
        path: "/configurationKey",
      },
      {
        name: "extra property in a configurationKey",
        payload: { configurationKey: [{ key: "HeartbeatInterval", readonly: false, unit: "s" }] },
        code: "FormationViolation",
        path: "/configurationKey/0/unit",
      },
      {
        name: "extra status",
        payload: { status: "Accepted" },
        code: "FormationViolation",
        path: "/status",
      },
    ],
  },

  GetDiagnostics: {
    request: [
      { name: "location", payload: { location: "ftp://diag.example.com/uploads/" } },
      {
        name: "all fields",
        payload: {
          location: "https://diag.example.com/uploads/CP-0001",
          retries: 3,
          retryInterval: 60,
          startTime: "2023-11-30T00:00:00Z",
          stopTime: "2023-12-01T14:20:39Z",
        },
      },
      { name: "location missing", payload: { retries: 3 }, code: "OccurenceConstraintViolation", path: "/location" },
      {
        name: "location not an absolute URI",
        payload: { location: "diag.example.com/uploads" },
        code: "PropertyConstraintViolation",
        path: "/location",
      },
      {
        name: "startTime without time zone",
        payload: { location: "ftp://diag.example.com/uploads/", startTime: "2023-11-30T00:00:00" },
        code: "PropertyConstraintViolation",
        path: "/startTime",
      },
      {
        name: "retries as a string",
        payload: { location: "ftp://diag.example.com/uploads/", retries: "3" },
        code: "TypeConstraintViolation",
        path: "/retries",
      },
      {
        name: "extra logType",
        payload: { location: "ftp://diag.example.com/uploads/", logType: "DiagnosticsLog" },
        code: "FormationViolation",
        path: "/logType",
      },
    ],
    response: [
      { name: "empty object (no file)", payload: {} },
      { name: "fileName", payload: { fileName: "diag-CP-0001-20231201T142039Z.zip" } },
      {
        name: "fileName of 256 characters",
        payload: { fileName: "f".repeat(252) + ".zip" },
        code: "PropertyConstraintViolation",
        path: "/fileName",
      },
      { name: "fileName as a number", payload: { fileName: 1 }, code: "TypeConstraintViolation", path: "/fileName" },
      {
        name: "extra filename (wrong case)",
        payload: { filename: "diag.zip" },
        code: "FormationViolation",
        path: "/filename",
      },
    ],
  },

  GetInstalledCertificateIds: {
    request: [
      { name: "CentralSystemRootCertificate", payload: { certificateType: "CentralSystemRootCertificate" } },
      { name: "ManufacturerRootCertificate", payload: { certificateType: "ManufacturerRootCertificate" } },
      { name: "certificateType missing", payload: {}, code: "OccurenceConstraintViolation", path: "/certificateType" },
      {
        name: "unknown certificateType",
        payload: { certificateType: "V2GRootCertificate" },
        code: "PropertyConstraintViolation",
        path: "/certificateType",
      },
      {
        name: "extra certificateHashData",
        payload: { certificateType: "ManufacturerRootCertificate", certificateHashData: HASH_DATA },
        code: "FormationViolation",
        path: "/certificateHashData",
      },
    ],
    response: [
      { name: "NotFound", payload: { status: "NotFound" } },
      {
        name: "Accepted with two certificates",
        payload: {
          status: "Accepted",
          certificateHashData: [HASH_DATA, { ...HASH_DATA, hashAlgorithm: "SHA384", serialNumber: "01" }],
        },
      },
      {
        name: "status missing",
        payload: { certificateHashData: [HASH_DATA] },
        code: "OccurenceConstraintViolation",
        path: "/status",
      },
      {
        name: "empty certificateHashData",
        payload: { status: "Accepted", certificateHashData: [] },
        code: "OccurenceConstraintViolation",
        path: "/certificateHashData",
      },
      {
        name: "issuerKeyHash missing",
        payload: {
          status: "Accepted",
          certificateHashData: [
            { hashAlgorithm: "SHA256", issuerNameHash: HASH_DATA.issuerNameHash, serialNumber: "01" },
          ],
        },
        code: "OccurenceConstraintViolation",
        path: "/certificateHashData/0/issuerKeyHash",
      },
      {
        name: "unknown hashAlgorithm",
        payload: { status: "Accepted", certificateHashData: [{ ...HASH_DATA, hashAlgorithm: "SHA1" }] },
        code: "PropertyConstraintViolation",
        path: "/certificateHashData/0/hashAlgorithm",
      },
      {
        name: "certificateHashData as an object",
        payload: { status: "Accepted", certificateHashData: HASH_DATA },
        code: "TypeConstraintViolation",
        path: "/certificateHashData",
      },
      {
        name: "unknown status",
        payload: { status: "Rejected" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra certificateType",
        payload: { status: "NotFound", certificateType: "CentralSystemRootCertificate" },
        code: "FormationViolation",
        path: "/certificateType",
      },
    ],
  },

  GetLocalListVersion: {
    request: [
      { name: "empty object", payload: {} },
      { name: "extra listVersion", payload: { listVersion: 1 }, code: "FormationViolation", path: "/listVersion" },
    ],
    response: [
      { name: "listVersion", payload: { listVersion: 5 } },
      { name: "no list (0)", payload: { listVersion: 0 } },
      { name: "not supported (-1)", payload: { listVersion: -1 } },
      { name: "listVersion missing", payload: {}, code: "OccurenceConstraintViolation", path: "/listVersion" },
      {
        name: "listVersion as a string",
        payload: { listVersion: "5" },
        code: "TypeConstraintViolation",
        path: "/listVersion",
      },
      {
        name: "listVersion not an integer",
        payload: { listVersion: 5.5 },
        code: "TypeConstraintViolation",
        path: "/listVersion",
      },
      {
        name: "extra status",
        payload: { listVersion: 5, status: "Accepted" },
        code: "FormationViolation",
        path: "/status",
      },
    ],
  },

  GetLog: {
    request: [
      {
        name: "required fields",
        payload: { logType: "DiagnosticsLog", requestId: 1, log: { remoteLocation: "https://logs.example.com/up" } },
      },
      {
        name: "all fields",
        payload: {
          logType: "SecurityLog",
          requestId: 2,
          retries: 3,
          retryInterval: 60,
          log: {
            remoteLocation: "ftp://logs.example.com/security/",
            oldestTimestamp: "2023-11-01T00:00:00Z",
            latestTimestamp: "2023-12-01T14:20:39Z",
          },
        },
      },
      {
        name: "log missing",
        payload: { logType: "DiagnosticsLog", requestId: 1 },
        code: "OccurenceConstraintViolation",
        path: "/log",
      },
      {
        name: "remoteLocation missing",
        payload: { logType: "DiagnosticsLog", requestId: 1, log: { oldestTimestamp: "2023-11-01T00:00:00Z" } },
        code: "OccurenceConstraintViolation",
        path: "/log/remoteLocation",
      },
      {
        name: "unknown logType",
        payload: { logType: "SystemLog", requestId: 1, log: { remoteLocation: "https://logs.example.com/up" } },
        code: "PropertyConstraintViolation",
        path: "/logType",
      },
      {
        name: "oldestTimestamp without time zone",
        payload: {
          logType: "DiagnosticsLog",
          requestId: 1,
          log: { remoteLocation: "https://logs.example.com/up", oldestTimestamp: "2023-11-01T00:00:00" },
        },
        code: "PropertyConstraintViolation",
        path: "/log/oldestTimestamp",
      },
      {
        name: "remoteLocation of 513 characters",
        payload: {
          logType: "DiagnosticsLog",
          requestId: 1,
          log: { remoteLocation: "https://logs.example.com/" + "a".repeat(488) },
        },
        code: "PropertyConstraintViolation",
        path: "/log/remoteLocation",
      },
      {
        name: "requestId as a string",
        payload: { logType: "DiagnosticsLog", requestId: "1", log: { remoteLocation: "https://logs.example.com/up" } },
        code: "TypeConstraintViolation",
        path: "/requestId",
      },
      {
        name: "extra property in log",
        payload: {
          logType: "DiagnosticsLog",
          requestId: 1,
          log: { remoteLocation: "https://logs.example.com/up", format: "zip" },
        },
        code: "FormationViolation",
        path: "/log/format",
      },
      {
        name: "extra location",
        payload: {
          logType: "DiagnosticsLog",
          requestId: 1,
          log: { remoteLocation: "https://logs.example.com/up" },
          location: "https://logs.example.com/up",
        },
        code: "FormationViolation",
        path: "/location",
      },
    ],
    response: [
      { name: "Accepted with filename", payload: { status: "Accepted", filename: "security-log-20231201.zip" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "AcceptedCanceled", payload: { status: "AcceptedCanceled" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Failed" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "filename of 256 characters",
        payload: { status: "Accepted", filename: "f".repeat(252) + ".zip" },
        code: "PropertyConstraintViolation",
        path: "/filename",
      },
      {
        name: "extra fileName (wrong case)",
        payload: { status: "Accepted", fileName: "log.zip" },
        code: "FormationViolation",
        path: "/fileName",
      },
    ],
  },

  Heartbeat: {
    request: [
      { name: "empty object", payload: {} },
      {
        name: "extra timestamp",
        payload: { timestamp: "2023-12-01T14:20:39Z" },
        code: "FormationViolation",
        path: "/timestamp",
      },
    ],
    response: [
      { name: "currentTime", payload: { currentTime: "2023-12-01T14:20:39Z" } },
      { name: "currentTime with offset and milliseconds", payload: { currentTime: "2023-12-01T09:20:39.500-05:00" } },
      { name: "currentTime missing", payload: {}, code: "OccurenceConstraintViolation", path: "/currentTime" },
      {
        name: "currentTime without time zone",
        payload: { currentTime: "2023-12-01T14:20:39" },
        code: "PropertyConstraintViolation",
        path: "/currentTime",
      },
      {
        name: "currentTime as a Unix timestamp",
        payload: { currentTime: 1701440439 },
        code: "TypeConstraintViolation",
        path: "/currentTime",
      },
      {
        name: "extra interval",
        payload: { currentTime: "2023-12-01T14:20:39Z", interval: 300 },
        code: "FormationViolation",
        path: "/interval",
      },
    ],
  },

  InstallCertificate: {
    request: [
      {
        name: "CentralSystemRootCertificate",
        payload: { certificateType: "CentralSystemRootCertificate", certificate: CERTIFICATE_PEM },
      },
      {
        name: "certificate of 5500 characters",
        payload: { certificateType: "ManufacturerRootCertificate", certificate: "A".repeat(5500) },
      },
      {
        name: "certificate missing",
        payload: { certificateType: "CentralSystemRootCertificate" },
        code: "OccurenceConstraintViolation",
        path: "/certificate",
      },
      {
        name: "unknown certificateType",
        payload: { certificateType: "ChargePointCertificate", certificate: CERTIFICATE_PEM },
        code: "PropertyConstraintViolation",
        path: "/certificateType",
      },
      {
        name: "certificate of 5501 characters",
        payload: { certificateType: "ManufacturerRootCertificate", certificate: "A".repeat(5501) },
        code: "PropertyConstraintViolation",
        path: "/certificate",
      },
      {
        name: "extra certificateChain",
        payload: {
          certificateType: "CentralSystemRootCertificate",
          certificate: CERTIFICATE_PEM,
          certificateChain: CERTIFICATE_PEM,
        },
        code: "FormationViolation",
        path: "/certificateChain",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Failed", payload: { status: "Failed" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "NotSupported" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra reason",
        payload: { status: "Failed", reason: "expired" },
        code: "FormationViolation",
        path: "/reason",
      },
    ],
  },

  LogStatusNotification: {
    request: [
      { name: "Uploading with requestId", payload: { status: "Uploading", requestId: 1 } },
      { name: "Idle", payload: { status: "Idle" } },
      { name: "status missing", payload: { requestId: 1 }, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Downloading", requestId: 1 },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "requestId as a string",
        payload: { status: "Uploaded", requestId: "1" },
        code: "TypeConstraintViolation",
        path: "/requestId",
      },
      {
        name: "extra filename",
        payload: { status: "Uploaded", requestId: 1, filename: "log.zip" },
        code: "FormationViolation",
        path: "/filename",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  MeterValues: {
    request: [
      {
        name: "one value",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234" }] }],
        },
      },
      {
        name: "all fields",
        payload: {
          connectorId: 1,
          transactionId: 12345,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [
                {
                  value: "15234",
                  context: "Sample.Periodic",
                  format: "Raw",
                  measurand: "Energy.Active.Import.Register",
                  phase: "L1",
                  location: "Outlet",
                  unit: "Wh",
                },
              ],
            },
          ],
        },
      },
      {
        name: "20 sampled values in one meterValue",
        payload: {
          connectorId: 1,
          transactionId: 12345,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: SAMPLED_VALUES_20 }],
        },
      },
      {
        name: "two meterValues, main meter",
        payload: {
          connectorId: 0,
          meterValue: [
            {
              timestamp: "2023-12-01T14:00:00Z",
              sampledValue: [{ value: "1523.4", unit: "kWh", context: "Sample.Clock" }],
            },
            {
              timestamp: "2023-12-01T14:15:00Z",
              sampledValue: [{ value: "1525.1", unit: "kWh", context: "Sample.Clock" }],
            },
          ],
        },
      },
      {
        name: "signed value",
        payload: {
          connectorId: 1,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [{ value: "AAECAwQFBgcICQoLDA0ODw==", format: "SignedData", context: "Transaction.End" }],
            },
          ],
        },
      },
      {
        name: "Temperature in Celsius",
        payload: {
          connectorId: 1,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [{ value: "38.5", measurand: "Temperature", location: "Body", unit: "Celsius" }],
            },
          ],
        },
      },
      {
        name: "connectorId missing",
        payload: { meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234" }] }] },
        code: "OccurenceConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "meterValue missing",
        payload: { connectorId: 1, transactionId: 12345 },
        code: "OccurenceConstraintViolation",
        path: "/meterValue",
      },
      {
        name: "timestamp missing",
        payload: { connectorId: 1, meterValue: [{ sampledValue: [{ value: "15234" }] }] },
        code: "OccurenceConstraintViolation",
        path: "/meterValue/0/timestamp",
      },
      {
        name: "sampledValue missing",
        payload: { connectorId: 1, meterValue: [{ timestamp: "2023-12-01T14:20:39Z" }] },
        code: "OccurenceConstraintViolation",
        path: "/meterValue/0/sampledValue",
      },
      {
        name: "value missing",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ unit: "Wh" }] }],
        },
        code: "OccurenceConstraintViolation",
        path: "/meterValue/0/sampledValue/0/value",
      },
      {
        name: "value as a number",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: 15234 }] }],
        },
        code: "TypeConstraintViolation",
        path: "/meterValue/0/sampledValue/0/value",
      },
      {
        name: "invalid unit kwh",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15.234", unit: "kwh" }] }],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/unit",
      },
      {
        name: "20 sampled values, the last with unit Hz",
        payload: {
          connectorId: 1,
          transactionId: 12345,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [
                ...SAMPLED_VALUES_20.slice(0, 19),
                { value: "50.01", context: "Sample.Periodic", measurand: "Frequency", unit: "Hz" },
              ],
            },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/19/unit",
      },
      {
        name: "unknown measurand",
        payload: {
          connectorId: 1,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [{ value: "15234", measurand: "Energy.Active.Import", unit: "Wh" }],
            },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/measurand",
      },
      {
        name: "unknown phase",
        payload: {
          connectorId: 1,
          meterValue: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [{ value: "16.0", measurand: "Current.Import", phase: "L4", unit: "A" }],
            },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/phase",
      },
      {
        name: "unknown context",
        payload: {
          connectorId: 1,
          meterValue: [
            { timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234", context: "Sample.Triggered" }] },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/context",
      },
      {
        name: "unknown location",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234", location: "Socket" }] }],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/location",
      },
      {
        name: "unknown format",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234", format: "Signed" }] }],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/sampledValue/0/format",
      },
      {
        name: "timestamp without time zone",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39", sampledValue: [{ value: "15234" }] }],
        },
        code: "PropertyConstraintViolation",
        path: "/meterValue/0/timestamp",
      },
      {
        name: "meterValue as an object",
        payload: {
          connectorId: 1,
          meterValue: { timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234" }] },
        },
        code: "TypeConstraintViolation",
        path: "/meterValue",
      },
      {
        name: "transactionId as a string",
        payload: {
          connectorId: 1,
          transactionId: "12345",
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234" }] }],
        },
        code: "TypeConstraintViolation",
        path: "/transactionId",
      },
      {
        name: "extra property in a sampledValue",
        payload: {
          connectorId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234", multiplier: 1 }] }],
        },
        code: "FormationViolation",
        path: "/meterValue/0/sampledValue/0/multiplier",
      },
      {
        name: "extra evseId",
        payload: {
          connectorId: 1,
          evseId: 1,
          meterValue: [{ timestamp: "2023-12-01T14:20:39Z", sampledValue: [{ value: "15234" }] }],
        },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  RemoteStartTransaction: {
    request: [
      { name: "idTag only", payload: { idTag: "TAG-0001" } },
      { name: "idTag and connectorId", payload: { connectorId: 1, idTag: "TAG-0001" } },
      {
        name: "with a TxProfile (limit 12.1 and minChargingRate 0.3 are multiples of 0.1)",
        payload: { connectorId: 1, idTag: "TAG-0001", chargingProfile: TX_PROFILE },
      },
      {
        name: "with an absolute TxProfile, all schedule fields",
        payload: {
          connectorId: 2,
          idTag: "TAG-0001",
          chargingProfile: {
            chargingProfileId: 8,
            stackLevel: 2,
            chargingProfilePurpose: "TxProfile",
            chargingProfileKind: "Absolute",
            validFrom: "2023-12-01T14:00:00Z",
            validTo: "2023-12-01T22:00:00Z",
            chargingSchedule: {
              duration: 7200,
              startSchedule: "2023-12-01T14:20:39Z",
              chargingRateUnit: "W",
              chargingSchedulePeriod: [
                { startPeriod: 0, limit: 7400, numberPhases: 1 },
                { startPeriod: 3600, limit: 3680.5, numberPhases: 1 },
              ],
              minChargingRate: 1380,
            },
          },
        },
      },
      { name: "idTag missing", payload: { connectorId: 1 }, code: "OccurenceConstraintViolation", path: "/idTag" },
      {
        name: "idTag of 21 characters",
        payload: { idTag: "TAG-0001-0002-0003-04" },
        code: "PropertyConstraintViolation",
        path: "/idTag",
      },
      {
        name: "connectorId as a string",
        payload: { connectorId: "1", idTag: "TAG-0001" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "chargingSchedule missing",
        payload: {
          idTag: "TAG-0001",
          chargingProfile: {
            chargingProfileId: 7,
            stackLevel: 1,
            chargingProfilePurpose: "TxProfile",
            chargingProfileKind: "Relative",
          },
        },
        code: "OccurenceConstraintViolation",
        path: "/chargingProfile/chargingSchedule",
      },
      {
        name: "limit 12.15 not a multiple of 0.1",
        payload: {
          idTag: "TAG-0001",
          chargingProfile: {
            ...TX_PROFILE,
            chargingSchedule: {
              ...TX_PROFILE.chargingSchedule,
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.15 }],
            },
          },
        },
        code: "PropertyConstraintViolation",
        path: "/chargingProfile/chargingSchedule/chargingSchedulePeriod/0/limit",
      },
      {
        name: "minChargingRate 0.15 not a multiple of 0.1",
        payload: {
          idTag: "TAG-0001",
          chargingProfile: {
            ...TX_PROFILE,
            chargingSchedule: { ...TX_PROFILE.chargingSchedule, minChargingRate: 0.15 },
          },
        },
        code: "PropertyConstraintViolation",
        path: "/chargingProfile/chargingSchedule/minChargingRate",
      },
      {
        name: "unknown chargingProfilePurpose",
        payload: { idTag: "TAG-0001", chargingProfile: { ...TX_PROFILE, chargingProfilePurpose: "TxMaxProfile" } },
        code: "PropertyConstraintViolation",
        path: "/chargingProfile/chargingProfilePurpose",
      },
      {
        name: "startPeriod missing",
        payload: {
          idTag: "TAG-0001",
          chargingProfile: {
            ...TX_PROFILE,
            chargingSchedule: { ...TX_PROFILE.chargingSchedule, chargingSchedulePeriod: [{ limit: 16 }] },
          },
        },
        code: "OccurenceConstraintViolation",
        path: "/chargingProfile/chargingSchedule/chargingSchedulePeriod/0/startPeriod",
      },
      {
        name: "numberPhases not an integer",
        payload: {
          idTag: "TAG-0001",
          chargingProfile: {
            ...TX_PROFILE,
            chargingSchedule: {
              ...TX_PROFILE.chargingSchedule,
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 16, numberPhases: 1.5 }],
            },
          },
        },
        code: "TypeConstraintViolation",
        path: "/chargingProfile/chargingSchedule/chargingSchedulePeriod/0/numberPhases",
      },
      {
        name: "extra property in chargingProfile",
        payload: { idTag: "TAG-0001", chargingProfile: { ...TX_PROFILE, connectorId: 1 } },
        code: "FormationViolation",
        path: "/chargingProfile/connectorId",
      },
      {
        name: "extra reservationId",
        payload: { idTag: "TAG-0001", reservationId: 42 },
        code: "FormationViolation",
        path: "/reservationId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Pending" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra transactionId",
        payload: { status: "Accepted", transactionId: 12345 },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
  },

  RemoteStopTransaction: {
    request: [
      { name: "transactionId", payload: { transactionId: 12345 } },
      { name: "transactionId missing", payload: {}, code: "OccurenceConstraintViolation", path: "/transactionId" },
      {
        name: "transactionId as a string",
        payload: { transactionId: "12345" },
        code: "TypeConstraintViolation",
        path: "/transactionId",
      },
      {
        name: "extra connectorId",
        payload: { transactionId: 12345, connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Stopped" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra transactionId",
        payload: { status: "Accepted", transactionId: 12345 },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
  },

  ReserveNow: {
    request: [
      {
        name: "required fields",
        payload: { connectorId: 1, expiryDate: "2023-12-01T15:20:39Z", idTag: "TAG-0001", reservationId: 42 },
      },
      {
        name: "with parentIdTag, any connector",
        payload: {
          connectorId: 0,
          expiryDate: "2023-12-01T15:20:39Z",
          idTag: "TAG-0001",
          parentIdTag: "FLEET-01",
          reservationId: 43,
        },
      },
      {
        name: "reservationId missing",
        payload: { connectorId: 1, expiryDate: "2023-12-01T15:20:39Z", idTag: "TAG-0001" },
        code: "OccurenceConstraintViolation",
        path: "/reservationId",
      },
      {
        name: "expiryDate missing",
        payload: { connectorId: 1, idTag: "TAG-0001", reservationId: 42 },
        code: "OccurenceConstraintViolation",
        path: "/expiryDate",
      },
      {
        name: "expiryDate without time zone",
        payload: { connectorId: 1, expiryDate: "2023-12-01T15:20:39", idTag: "TAG-0001", reservationId: 42 },
        code: "PropertyConstraintViolation",
        path: "/expiryDate",
      },
      {
        name: "idTag of 21 characters",
        payload: {
          connectorId: 1,
          expiryDate: "2023-12-01T15:20:39Z",
          idTag: "TAG-0001-0002-0003-04",
          reservationId: 42,
        },
        code: "PropertyConstraintViolation",
        path: "/idTag",
      },
      {
        name: "parentIdTag of 21 characters",
        payload: {
          connectorId: 1,
          expiryDate: "2023-12-01T15:20:39Z",
          idTag: "TAG-0001",
          parentIdTag: "FLEET-0123456789ABCDE",
          reservationId: 42,
        },
        code: "PropertyConstraintViolation",
        path: "/parentIdTag",
      },
      {
        name: "connectorId not an integer",
        payload: { connectorId: 1.5, expiryDate: "2023-12-01T15:20:39Z", idTag: "TAG-0001", reservationId: 42 },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "extra transactionId",
        payload: {
          connectorId: 1,
          expiryDate: "2023-12-01T15:20:39Z",
          idTag: "TAG-0001",
          reservationId: 42,
          transactionId: 1,
        },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Occupied", payload: { status: "Occupied" } },
      { name: "Unavailable", payload: { status: "Unavailable" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Reserved" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra reservationId",
        payload: { status: "Accepted", reservationId: 42 },
        code: "FormationViolation",
        path: "/reservationId",
      },
    ],
  },

  Reset: {
    request: [
      { name: "Hard", payload: { type: "Hard" } },
      { name: "Soft", payload: { type: "Soft" } },
      { name: "type Medium", payload: { type: "Medium" }, code: "PropertyConstraintViolation", path: "/type" },
      { name: "type in lower case", payload: { type: "hard" }, code: "PropertyConstraintViolation", path: "/type" },
      { name: "type missing", payload: {}, code: "OccurenceConstraintViolation", path: "/type" },
      { name: "type as a boolean", payload: { type: true }, code: "TypeConstraintViolation", path: "/type" },
      {
        name: "extra connectorId",
        payload: { type: "Soft", connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Scheduled" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra type",
        payload: { status: "Accepted", type: "Hard" },
        code: "FormationViolation",
        path: "/type",
      },
    ],
  },

  SecurityEventNotification: {
    request: [
      { name: "type and timestamp", payload: { type: "FirmwareUpdated", timestamp: "2023-12-01T14:20:39Z" } },
      {
        name: "with techInfo",
        payload: {
          type: "InvalidCentralSystemCertificate",
          timestamp: "2023-12-01T14:20:39Z",
          techInfo: "certificate expired on 2023-11-30T23:59:59Z",
        },
      },
      {
        name: "timestamp missing",
        payload: { type: "FirmwareUpdated" },
        code: "OccurenceConstraintViolation",
        path: "/timestamp",
      },
      {
        name: "type missing",
        payload: { timestamp: "2023-12-01T14:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/type",
      },
      {
        name: "type of 51 characters",
        payload: { type: "T".repeat(51), timestamp: "2023-12-01T14:20:39Z" },
        code: "PropertyConstraintViolation",
        path: "/type",
      },
      {
        name: "techInfo of 256 characters",
        payload: { type: "FirmwareUpdated", timestamp: "2023-12-01T14:20:39Z", techInfo: "i".repeat(256) },
        code: "PropertyConstraintViolation",
        path: "/techInfo",
      },
      {
        name: "timestamp as a date only",
        payload: { type: "FirmwareUpdated", timestamp: "2023-12-01" },
        code: "PropertyConstraintViolation",
        path: "/timestamp",
      },
      {
        name: "extra severity",
        payload: { type: "FirmwareUpdated", timestamp: "2023-12-01T14:20:39Z", severity: 3 },
        code: "FormationViolation",
        path: "/severity",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  SendLocalList: {
    request: [
      { name: "empty full list", payload: { listVersion: 1, updateType: "Full" } },
      {
        name: "differential update with entries",
        payload: {
          listVersion: 2,
          updateType: "Differential",
          localAuthorizationList: [
            {
              idTag: "TAG-0001",
              idTagInfo: { status: "Accepted", expiryDate: "2024-12-31T23:59:59Z", parentIdTag: "FLEET-01" },
            },
            { idTag: "TAG-0002", idTagInfo: { status: "Blocked" } },
            { idTag: "TAG-0003" },
          ],
        },
      },
      {
        name: "updateType missing",
        payload: { listVersion: 1 },
        code: "OccurenceConstraintViolation",
        path: "/updateType",
      },
      {
        name: "listVersion missing",
        payload: { updateType: "Full" },
        code: "OccurenceConstraintViolation",
        path: "/listVersion",
      },
      {
        name: "unknown updateType",
        payload: { listVersion: 1, updateType: "Partial" },
        code: "PropertyConstraintViolation",
        path: "/updateType",
      },
      {
        name: "idTag missing in an entry",
        payload: {
          listVersion: 2,
          updateType: "Full",
          localAuthorizationList: [{ idTagInfo: { status: "Accepted" } }],
        },
        code: "OccurenceConstraintViolation",
        path: "/localAuthorizationList/0/idTag",
      },
      {
        name: "status missing in an idTagInfo",
        payload: {
          listVersion: 2,
          updateType: "Full",
          localAuthorizationList: [
            { idTag: "TAG-0001", idTagInfo: { status: "Accepted" } },
            { idTag: "TAG-0002", idTagInfo: { expiryDate: "2024-12-31T23:59:59Z" } },
          ],
        },
        code: "OccurenceConstraintViolation",
        path: "/localAuthorizationList/1/idTagInfo/status",
      },
      {
        name: "expiryDate without time zone",
        payload: {
          listVersion: 2,
          updateType: "Full",
          localAuthorizationList: [
            { idTag: "TAG-0001", idTagInfo: { status: "Accepted", expiryDate: "2024-12-31T23:59:59" } },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/localAuthorizationList/0/idTagInfo/expiryDate",
      },
      {
        name: "idTag of 21 characters",
        payload: { listVersion: 2, updateType: "Full", localAuthorizationList: [{ idTag: "TAG-0001-0002-0003-04" }] },
        code: "PropertyConstraintViolation",
        path: "/localAuthorizationList/0/idTag",
      },
      {
        name: "unknown idTagInfo status",
        payload: {
          listVersion: 2,
          updateType: "Full",
          localAuthorizationList: [{ idTag: "TAG-0001", idTagInfo: { status: "Valid" } }],
        },
        code: "PropertyConstraintViolation",
        path: "/localAuthorizationList/0/idTagInfo/status",
      },
      {
        name: "listVersion as a string",
        payload: { listVersion: "1", updateType: "Full" },
        code: "TypeConstraintViolation",
        path: "/listVersion",
      },
      {
        name: "localAuthorizationList as an object",
        payload: { listVersion: 2, updateType: "Full", localAuthorizationList: { idTag: "TAG-0001" } },
        code: "TypeConstraintViolation",
        path: "/localAuthorizationList",
      },
      {
        name: "extra property in an entry",
        payload: {
          listVersion: 2,
          updateType: "Full",
          localAuthorizationList: [{ idTag: "TAG-0001", status: "Accepted" }],
        },
        code: "FormationViolation",
        path: "/localAuthorizationList/0/status",
      },
      {
        name: "extra hash",
        payload: { listVersion: 1, updateType: "Full", hash: "abc" },
        code: "FormationViolation",
        path: "/hash",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "VersionMismatch", payload: { status: "VersionMismatch" } },
      { name: "NotSupported", payload: { status: "NotSupported" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Rejected" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra listVersion",
        payload: { status: "Accepted", listVersion: 2 },
        code: "FormationViolation",
        path: "/listVersion",
      },
    ],
  },

  SetChargingProfile: {
    request: [
      {
        name: "TxDefaultProfile (limit 12.1 and minChargingRate 0.3 are multiples of 0.1)",
        payload: { connectorId: 0, csChargingProfiles: TX_DEFAULT_PROFILE },
      },
      {
        name: "TxProfile for a transaction",
        payload: {
          connectorId: 1,
          csChargingProfiles: {
            chargingProfileId: 101,
            transactionId: 12345,
            stackLevel: 1,
            chargingProfilePurpose: "TxProfile",
            chargingProfileKind: "Absolute",
            chargingSchedule: {
              startSchedule: "2023-12-01T14:20:39Z",
              chargingRateUnit: "A",
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }],
            },
          },
        },
      },
      {
        name: "ChargePointMaxProfile in W, weekly",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            chargingProfileId: 1,
            stackLevel: 0,
            chargingProfilePurpose: "ChargePointMaxProfile",
            chargingProfileKind: "Recurring",
            recurrencyKind: "Weekly",
            chargingSchedule: {
              duration: 604800,
              startSchedule: "2023-12-04T00:00:00+01:00",
              chargingRateUnit: "W",
              chargingSchedulePeriod: [
                { startPeriod: 0, limit: 22000, numberPhases: 3 },
                { startPeriod: 25200, limit: 11000.5, numberPhases: 3 },
              ],
            },
          },
        },
      },
      {
        name: "csChargingProfiles missing",
        payload: { connectorId: 1 },
        code: "OccurenceConstraintViolation",
        path: "/csChargingProfiles",
      },
      {
        name: "connectorId missing",
        payload: { csChargingProfiles: TX_DEFAULT_PROFILE },
        code: "OccurenceConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "limit 12.15 not a multiple of 0.1",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: {
              ...TX_DEFAULT_PROFILE.chargingSchedule,
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.15 }],
            },
          },
        },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit",
      },
      {
        name: "minChargingRate 0.15 not a multiple of 0.1",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: { ...TX_DEFAULT_PROFILE.chargingSchedule, minChargingRate: 0.15 },
          },
        },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/minChargingRate",
      },
      {
        name: "limit as a string",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: {
              ...TX_DEFAULT_PROFILE.chargingSchedule,
              chargingSchedulePeriod: [{ startPeriod: 0, limit: "16" }],
            },
          },
        },
        code: "TypeConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit",
      },
      {
        name: "unknown chargingRateUnit",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: { ...TX_DEFAULT_PROFILE.chargingSchedule, chargingRateUnit: "kW" },
          },
        },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/chargingRateUnit",
      },
      {
        name: "unknown chargingProfileKind",
        payload: { connectorId: 0, csChargingProfiles: { ...TX_DEFAULT_PROFILE, chargingProfileKind: "Once" } },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/chargingProfileKind",
      },
      {
        name: "unknown recurrencyKind",
        payload: { connectorId: 0, csChargingProfiles: { ...TX_DEFAULT_PROFILE, recurrencyKind: "Monthly" } },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/recurrencyKind",
      },
      {
        name: "validFrom without time zone",
        payload: { connectorId: 0, csChargingProfiles: { ...TX_DEFAULT_PROFILE, validFrom: "2023-12-01T00:00:00" } },
        code: "PropertyConstraintViolation",
        path: "/csChargingProfiles/validFrom",
      },
      {
        name: "chargingSchedulePeriod missing",
        payload: {
          connectorId: 0,
          csChargingProfiles: { ...TX_DEFAULT_PROFILE, chargingSchedule: { duration: 86400, chargingRateUnit: "A" } },
        },
        code: "OccurenceConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod",
      },
      {
        name: "limit missing in the second period",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: {
              ...TX_DEFAULT_PROFILE.chargingSchedule,
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }, { startPeriod: 3600 }],
            },
          },
        },
        code: "OccurenceConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/1/limit",
      },
      {
        name: "stackLevel as a string",
        payload: { connectorId: 0, csChargingProfiles: { ...TX_DEFAULT_PROFILE, stackLevel: "0" } },
        code: "TypeConstraintViolation",
        path: "/csChargingProfiles/stackLevel",
      },
      {
        name: "duration not an integer",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: { ...TX_DEFAULT_PROFILE.chargingSchedule, duration: 86400.5 },
          },
        },
        code: "TypeConstraintViolation",
        path: "/csChargingProfiles/chargingSchedule/duration",
      },
      {
        name: "extra property in chargingSchedule",
        payload: {
          connectorId: 0,
          csChargingProfiles: {
            ...TX_DEFAULT_PROFILE,
            chargingSchedule: { ...TX_DEFAULT_PROFILE.chargingSchedule, id: 1 },
          },
        },
        code: "FormationViolation",
        path: "/csChargingProfiles/chargingSchedule/id",
      },
      {
        name: "extra evseId",
        payload: { connectorId: 0, evseId: 0, csChargingProfiles: TX_DEFAULT_PROFILE },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "NotSupported", payload: { status: "NotSupported" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Unknown" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra chargingProfileId",
        payload: { status: "Accepted", chargingProfileId: 100 },
        code: "FormationViolation",
        path: "/chargingProfileId",
      },
    ],
  },

  SignCertificate: {
    request: [
      { name: "PEM CSR", payload: { csr: CSR_PEM } },
      { name: "csr of 5500 characters", payload: { csr: "A".repeat(5500) } },
      { name: "csr missing", payload: {}, code: "OccurenceConstraintViolation", path: "/csr" },
      {
        name: "csr of 5501 characters",
        payload: { csr: "A".repeat(5501) },
        code: "PropertyConstraintViolation",
        path: "/csr",
      },
      { name: "csr as a number", payload: { csr: 0 }, code: "TypeConstraintViolation", path: "/csr" },
      {
        name: "extra certificateType",
        payload: { csr: CSR_PEM, certificateType: "ChargingStationCertificate" },
        code: "FormationViolation",
        path: "/certificateType",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Failed" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra certificateChain",
        payload: { status: "Accepted", certificateChain: CERTIFICATE_PEM },
        code: "FormationViolation",
        path: "/certificateChain",
      },
    ],
  },

  SignedFirmwareStatusNotification: {
    request: [
      { name: "SignatureVerified with requestId", payload: { status: "SignatureVerified", requestId: 1 } },
      { name: "Idle", payload: { status: "Idle" } },
      { name: "InstallRebooting", payload: { status: "InstallRebooting", requestId: 1 } },
      { name: "status missing", payload: { requestId: 1 }, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "Uploaded", requestId: 1 },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "requestId as a string",
        payload: { status: "Downloading", requestId: "1" },
        code: "TypeConstraintViolation",
        path: "/requestId",
      },
      {
        name: "extra firmwareVersion",
        payload: { status: "Installed", requestId: 1, firmwareVersion: "1.4.3" },
        code: "FormationViolation",
        path: "/firmwareVersion",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  SignedUpdateFirmware: {
    request: [
      {
        name: "required fields",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "MEUCIQDxk1X1v9f3w5m0c6JrZq2mR0Yk1s3l8t4c2V1h9eQ0yAIgQ2b1zY5n7x8w9v0u1t2s3r4q5p6o7n8=",
          },
        },
      },
      {
        name: "all fields",
        payload: {
          requestId: 2,
          retries: 3,
          retryInterval: 120,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            installDateTime: "2023-12-02T02:00:00Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "s".repeat(800),
          },
        },
      },
      {
        name: "firmware missing",
        payload: { requestId: 1 },
        code: "OccurenceConstraintViolation",
        path: "/firmware",
      },
      {
        name: "signature missing",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
          },
        },
        code: "OccurenceConstraintViolation",
        path: "/firmware/signature",
      },
      {
        name: "location of 513 characters",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/" + "f".repeat(484),
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "c2lnbmF0dXJl",
          },
        },
        code: "PropertyConstraintViolation",
        path: "/firmware/location",
      },
      {
        name: "retrieveDateTime without time zone",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39",
            signingCertificate: CERTIFICATE_PEM,
            signature: "c2lnbmF0dXJl",
          },
        },
        code: "PropertyConstraintViolation",
        path: "/firmware/retrieveDateTime",
      },
      {
        name: "signature of 801 characters",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "s".repeat(801),
          },
        },
        code: "PropertyConstraintViolation",
        path: "/firmware/signature",
      },
      {
        name: "retries as a string",
        payload: {
          requestId: 1,
          retries: "3",
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "c2lnbmF0dXJl",
          },
        },
        code: "TypeConstraintViolation",
        path: "/retries",
      },
      {
        name: "extra property in firmware",
        payload: {
          requestId: 1,
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "c2lnbmF0dXJl",
            version: "1.4.3",
          },
        },
        code: "FormationViolation",
        path: "/firmware/version",
      },
      {
        name: "extra location",
        payload: {
          requestId: 1,
          location: "https://firmware.example.com/cp/fw-1.4.3.bin",
          firmware: {
            location: "https://firmware.example.com/cp/fw-1.4.3.bin",
            retrieveDateTime: "2023-12-01T14:20:39Z",
            signingCertificate: CERTIFICATE_PEM,
            signature: "c2lnbmF0dXJl",
          },
        },
        code: "FormationViolation",
        path: "/location",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "InvalidCertificate", payload: { status: "InvalidCertificate" } },
      { name: "RevokedCertificate", payload: { status: "RevokedCertificate" } },
      { name: "AcceptedCanceled", payload: { status: "AcceptedCanceled" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "InvalidSignature" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra requestId",
        payload: { status: "Accepted", requestId: 1 },
        code: "FormationViolation",
        path: "/requestId",
      },
    ],
  },

  StartTransaction: {
    request: [
      {
        name: "required fields",
        payload: { connectorId: 1, idTag: "TAG-0001", meterStart: 15234, timestamp: "2023-12-01T14:20:39Z" },
      },
      {
        name: "with reservationId",
        payload: {
          connectorId: 2,
          idTag: "TAG-0001",
          meterStart: 0,
          reservationId: 42,
          timestamp: "2023-12-01T14:20:39.250+01:00",
        },
      },
      {
        name: "meterStart missing",
        payload: { connectorId: 1, idTag: "TAG-0001", timestamp: "2023-12-01T14:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/meterStart",
      },
      {
        name: "timestamp missing",
        payload: { connectorId: 1, idTag: "TAG-0001", meterStart: 15234 },
        code: "OccurenceConstraintViolation",
        path: "/timestamp",
      },
      {
        name: "idTag missing",
        payload: { connectorId: 1, meterStart: 15234, timestamp: "2023-12-01T14:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/idTag",
      },
      {
        name: "meterStart not an integer",
        payload: { connectorId: 1, idTag: "TAG-0001", meterStart: 15234.5, timestamp: "2023-12-01T14:20:39Z" },
        code: "TypeConstraintViolation",
        path: "/meterStart",
      },
      {
        name: "meterStart as a string",
        payload: { connectorId: 1, idTag: "TAG-0001", meterStart: "15234", timestamp: "2023-12-01T14:20:39Z" },
        code: "TypeConstraintViolation",
        path: "/meterStart",
      },
      {
        name: "idTag of 21 characters",
        payload: {
          connectorId: 1,
          idTag: "TAG-0001-0002-0003-04",
          meterStart: 15234,
          timestamp: "2023-12-01T14:20:39Z",
        },
        code: "PropertyConstraintViolation",
        path: "/idTag",
      },
      {
        name: "timestamp without time zone",
        payload: { connectorId: 1, idTag: "TAG-0001", meterStart: 15234, timestamp: "2023-12-01T14:20:39" },
        code: "PropertyConstraintViolation",
        path: "/timestamp",
      },
      {
        name: "extra transactionId",
        payload: {
          connectorId: 1,
          idTag: "TAG-0001",
          meterStart: 15234,
          timestamp: "2023-12-01T14:20:39Z",
          transactionId: 1,
        },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
    response: [
      { name: "Accepted", payload: { idTagInfo: { status: "Accepted" }, transactionId: 12345 } },
      {
        name: "all idTagInfo fields",
        payload: {
          idTagInfo: { status: "Accepted", expiryDate: "2023-12-31T23:59:59Z", parentIdTag: "FLEET-01" },
          transactionId: 12346,
        },
      },
      { name: "ConcurrentTx", payload: { idTagInfo: { status: "ConcurrentTx" }, transactionId: 0 } },
      {
        name: "transactionId missing",
        payload: { idTagInfo: { status: "Accepted" } },
        code: "OccurenceConstraintViolation",
        path: "/transactionId",
      },
      {
        name: "idTagInfo missing",
        payload: { transactionId: 12345 },
        code: "OccurenceConstraintViolation",
        path: "/idTagInfo",
      },
      {
        name: "status missing",
        payload: { idTagInfo: { expiryDate: "2023-12-31T23:59:59Z" }, transactionId: 12345 },
        code: "OccurenceConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "unknown status",
        payload: { idTagInfo: { status: "Rejected" }, transactionId: 12345 },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "transactionId as a string",
        payload: { idTagInfo: { status: "Accepted" }, transactionId: "12345" },
        code: "TypeConstraintViolation",
        path: "/transactionId",
      },
      {
        name: "extra property in idTagInfo",
        payload: { idTagInfo: { status: "Accepted", groupIdToken: "FLEET-01" }, transactionId: 12345 },
        code: "FormationViolation",
        path: "/idTagInfo/groupIdToken",
      },
      {
        name: "extra connectorId",
        payload: { idTagInfo: { status: "Accepted" }, transactionId: 12345, connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
  },

  StatusNotification: {
    request: [
      { name: "required fields", payload: { connectorId: 1, errorCode: "NoError", status: "Available" } },
      {
        name: "all fields",
        payload: {
          connectorId: 2,
          errorCode: "OtherError",
          info: "Residual current detected",
          status: "Faulted",
          timestamp: "2023-12-01T14:20:39Z",
          vendorId: "com.example.vendor",
          vendorErrorCode: "RCD-6mA",
        },
      },
      { name: "charge point as a whole", payload: { connectorId: 0, errorCode: "NoError", status: "Unavailable" } },
      {
        name: "connectorId as a string",
        payload: { connectorId: "1", errorCode: "NoError", status: "Available" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "errorCode missing",
        payload: { connectorId: 1, status: "Available" },
        code: "OccurenceConstraintViolation",
        path: "/errorCode",
      },
      {
        name: "status missing",
        payload: { connectorId: 1, errorCode: "NoError" },
        code: "OccurenceConstraintViolation",
        path: "/status",
      },
      {
        name: "status Occupied (OCPP 1.5)",
        payload: { connectorId: 1, errorCode: "NoError", status: "Occupied" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "unknown errorCode",
        payload: { connectorId: 1, errorCode: "None", status: "Available" },
        code: "PropertyConstraintViolation",
        path: "/errorCode",
      },
      {
        name: "info of 51 characters",
        payload: { connectorId: 1, errorCode: "OtherError", info: "i".repeat(51), status: "Faulted" },
        code: "PropertyConstraintViolation",
        path: "/info",
      },
      {
        name: "vendorErrorCode of 51 characters",
        payload: { connectorId: 1, errorCode: "OtherError", status: "Faulted", vendorErrorCode: "E".repeat(51) },
        code: "PropertyConstraintViolation",
        path: "/vendorErrorCode",
      },
      {
        name: "timestamp without time zone",
        payload: { connectorId: 1, errorCode: "NoError", status: "Charging", timestamp: "2023-12-01T14:20:39" },
        code: "PropertyConstraintViolation",
        path: "/timestamp",
      },
      {
        name: "extra evseId",
        payload: { connectorId: 1, errorCode: "NoError", status: "Available", evseId: 1 },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },

  StopTransaction: {
    request: [
      {
        name: "required fields",
        payload: { transactionId: 12345, timestamp: "2023-12-01T15:20:39Z", meterStop: 27710 },
      },
      {
        name: "all fields",
        payload: {
          idTag: "TAG-0001",
          meterStop: 27710,
          timestamp: "2023-12-01T15:20:39Z",
          transactionId: 12345,
          reason: "EVDisconnected",
          transactionData: [
            {
              timestamp: "2023-12-01T14:20:39Z",
              sampledValue: [
                {
                  value: "15234",
                  context: "Transaction.Begin",
                  measurand: "Energy.Active.Import.Register",
                  unit: "Wh",
                },
              ],
            },
            {
              timestamp: "2023-12-01T15:20:39Z",
              sampledValue: [
                { value: "27710", context: "Transaction.End", measurand: "Energy.Active.Import.Register", unit: "Wh" },
                { value: "81", context: "Transaction.End", measurand: "SoC", location: "EV", unit: "Percent" },
              ],
            },
          ],
        },
      },
      {
        name: "Temperature in Celsius in transactionData (errata; the original OCA schema lacks it)",
        payload: {
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
          reason: "Local",
          transactionData: [
            {
              timestamp: "2023-12-01T15:20:39Z",
              sampledValue: [
                {
                  value: "41.0",
                  context: "Transaction.End",
                  measurand: "Temperature",
                  location: "Body",
                  unit: "Celsius",
                },
              ],
            },
          ],
        },
      },
      {
        name: "meterStop missing",
        payload: { transactionId: 12345, timestamp: "2023-12-01T15:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/meterStop",
      },
      {
        name: "transactionId missing",
        payload: { timestamp: "2023-12-01T15:20:39Z", meterStop: 27710 },
        code: "OccurenceConstraintViolation",
        path: "/transactionId",
      },
      {
        name: "unknown reason",
        payload: { transactionId: 12345, timestamp: "2023-12-01T15:20:39Z", meterStop: 27710, reason: "EVDisconnect" },
        code: "PropertyConstraintViolation",
        path: "/reason",
      },
      {
        name: "meterStop not an integer",
        payload: { transactionId: 12345, timestamp: "2023-12-01T15:20:39Z", meterStop: 27710.5 },
        code: "TypeConstraintViolation",
        path: "/meterStop",
      },
      {
        name: "idTag of 21 characters",
        payload: {
          idTag: "TAG-0001-0002-0003-04",
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
        },
        code: "PropertyConstraintViolation",
        path: "/idTag",
      },
      {
        name: "timestamp missing in transactionData",
        payload: {
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
          transactionData: [{ sampledValue: [{ value: "27710" }] }],
        },
        code: "OccurenceConstraintViolation",
        path: "/transactionData/0/timestamp",
      },
      {
        name: "invalid unit C in transactionData",
        payload: {
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
          transactionData: [
            {
              timestamp: "2023-12-01T15:20:39Z",
              sampledValue: [{ value: "41.0", measurand: "Temperature", unit: "C" }],
            },
          ],
        },
        code: "PropertyConstraintViolation",
        path: "/transactionData/0/sampledValue/0/unit",
      },
      {
        name: "value as a number in transactionData",
        payload: {
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
          transactionData: [{ timestamp: "2023-12-01T15:20:39Z", sampledValue: [{ value: 27710 }] }],
        },
        code: "TypeConstraintViolation",
        path: "/transactionData/0/sampledValue/0/value",
      },
      {
        name: "extra property in a sampledValue",
        payload: {
          transactionId: 12345,
          timestamp: "2023-12-01T15:20:39Z",
          meterStop: 27710,
          transactionData: [{ timestamp: "2023-12-01T15:20:39Z", sampledValue: [{ value: "27710", signed: false }] }],
        },
        code: "FormationViolation",
        path: "/transactionData/0/sampledValue/0/signed",
      },
      {
        name: "extra connectorId",
        payload: { transactionId: 12345, timestamp: "2023-12-01T15:20:39Z", meterStop: 27710, connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
    response: [
      { name: "empty object (no idTag sent)", payload: {} },
      { name: "idTagInfo", payload: { idTagInfo: { status: "Accepted" } } },
      {
        name: "all idTagInfo fields",
        payload: { idTagInfo: { status: "Expired", expiryDate: "2023-12-01T00:00:00Z", parentIdTag: "FLEET-01" } },
      },
      {
        name: "status missing",
        payload: { idTagInfo: { parentIdTag: "FLEET-01" } },
        code: "OccurenceConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "unknown status",
        payload: { idTagInfo: { status: "Stopped" } },
        code: "PropertyConstraintViolation",
        path: "/idTagInfo/status",
      },
      {
        name: "idTagInfo as an array",
        payload: { idTagInfo: [{ status: "Accepted" }] },
        code: "TypeConstraintViolation",
        path: "/idTagInfo",
      },
      {
        name: "extra transactionId",
        payload: { idTagInfo: { status: "Accepted" }, transactionId: 12345 },
        code: "FormationViolation",
        path: "/transactionId",
      },
    ],
  },

  TriggerMessage: {
    request: [
      { name: "Heartbeat", payload: { requestedMessage: "Heartbeat" } },
      { name: "MeterValues for connector 1", payload: { requestedMessage: "MeterValues", connectorId: 1 } },
      { name: "DiagnosticsStatusNotification", payload: { requestedMessage: "DiagnosticsStatusNotification" } },
      {
        name: "requestedMessage missing",
        payload: {},
        code: "OccurenceConstraintViolation",
        path: "/requestedMessage",
      },
      {
        name: "SignChargePointCertificate (only in ExtendedTriggerMessage)",
        payload: { requestedMessage: "SignChargePointCertificate" },
        code: "PropertyConstraintViolation",
        path: "/requestedMessage",
      },
      {
        name: "connectorId as a string",
        payload: { requestedMessage: "StatusNotification", connectorId: "1" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "extra evseId",
        payload: { requestedMessage: "StatusNotification", evseId: 1 },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "Accepted", payload: { status: "Accepted" } },
      { name: "Rejected", payload: { status: "Rejected" } },
      { name: "NotImplemented", payload: { status: "NotImplemented" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      {
        name: "unknown status",
        payload: { status: "NotSupported" },
        code: "PropertyConstraintViolation",
        path: "/status",
      },
      {
        name: "extra requestedMessage",
        payload: { status: "Accepted", requestedMessage: "Heartbeat" },
        code: "FormationViolation",
        path: "/requestedMessage",
      },
    ],
  },

  UnlockConnector: {
    request: [
      { name: "connectorId", payload: { connectorId: 1 } },
      { name: "connectorId missing", payload: {}, code: "OccurenceConstraintViolation", path: "/connectorId" },
      {
        name: "connectorId as a string",
        payload: { connectorId: "1" },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "connectorId not an integer",
        payload: { connectorId: 1.5 },
        code: "TypeConstraintViolation",
        path: "/connectorId",
      },
      {
        name: "extra evseId",
        payload: { connectorId: 1, evseId: 1 },
        code: "FormationViolation",
        path: "/evseId",
      },
    ],
    response: [
      { name: "Unlocked", payload: { status: "Unlocked" } },
      { name: "UnlockFailed", payload: { status: "UnlockFailed" } },
      { name: "NotSupported", payload: { status: "NotSupported" } },
      { name: "status missing", payload: {}, code: "OccurenceConstraintViolation", path: "/status" },
      { name: "unknown status", payload: { status: "Locked" }, code: "PropertyConstraintViolation", path: "/status" },
      {
        name: "extra connectorId",
        payload: { status: "Unlocked", connectorId: 1 },
        code: "FormationViolation",
        path: "/connectorId",
      },
    ],
  },

  UpdateFirmware: {
    request: [
      {
        name: "required fields",
        payload: { location: "https://firmware.example.com/cp/fw-1.4.3.bin", retrieveDate: "2023-12-01T14:20:39Z" },
      },
      {
        name: "all fields",
        payload: {
          location: "ftp://firmware.example.com/cp/fw-1.4.3.bin",
          retries: 3,
          retrieveDate: "2023-12-02T02:00:00+01:00",
          retryInterval: 120,
        },
      },
      {
        name: "retrieveDate missing",
        payload: { location: "https://firmware.example.com/cp/fw-1.4.3.bin" },
        code: "OccurenceConstraintViolation",
        path: "/retrieveDate",
      },
      {
        name: "location missing",
        payload: { retrieveDate: "2023-12-01T14:20:39Z" },
        code: "OccurenceConstraintViolation",
        path: "/location",
      },
      {
        name: "location not an absolute URI",
        payload: { location: "fw-1.4.3.bin", retrieveDate: "2023-12-01T14:20:39Z" },
        code: "PropertyConstraintViolation",
        path: "/location",
      },
      {
        name: "retrieveDate without time zone",
        payload: { location: "https://firmware.example.com/cp/fw-1.4.3.bin", retrieveDate: "2023-12-01T14:20:39" },
        code: "PropertyConstraintViolation",
        path: "/retrieveDate",
      },
      {
        name: "retries as a string",
        payload: {
          location: "https://firmware.example.com/cp/fw-1.4.3.bin",
          retrieveDate: "2023-12-01T14:20:39Z",
          retries: "3",
        },
        code: "TypeConstraintViolation",
        path: "/retries",
      },
      {
        name: "retryInterval not an integer",
        payload: {
          location: "https://firmware.example.com/cp/fw-1.4.3.bin",
          retrieveDate: "2023-12-01T14:20:39Z",
          retryInterval: 30.5,
        },
        code: "TypeConstraintViolation",
        path: "/retryInterval",
      },
      {
        name: "extra installDate",
        payload: {
          location: "https://firmware.example.com/cp/fw-1.4.3.bin",
          retrieveDate: "2023-12-01T14:20:39Z",
          installDate: "2023-12-02T02:00:00Z",
        },
        code: "FormationViolation",
        path: "/installDate",
      },
    ],
    response: [
      { name: "empty object", payload: {} },
      { name: "extra status", payload: { status: "Accepted" }, code: "FormationViolation", path: "/status" },
    ],
  },
};
