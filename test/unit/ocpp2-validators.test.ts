// Every OCPP 2.0.1 and 2.1 action's compiled request and response validator (schemas/build.mjs), checked against
// payloads derived from the packaged OCA schemas themselves (support/schema-samples.ts): minimal and full valid
// payloads pass; a missing required property, a value of the wrong type and an unknown property each fail with
// the ajv keyword that decides the OCPP error code, at the right path.
import { describe, expect, it } from "vitest";
import { OCPP201_VALIDATORS } from "../../src/generated/ocpp201-validators.gen.js";
import { OCPP21_VALIDATORS } from "../../src/generated/ocpp21-validators.gen.js";
import type { CompiledValidator } from "../../src/validation/compiled";
import ocpp201Packaged from "../../node_modules/ocpp-rpc/lib/schemas/ocpp2_0_1.json";
import ocpp21Packaged from "../../node_modules/ocpp-rpc/lib/schemas/ocpp2_1.json";
import { fullSample, type Json, type JsonSchema, minimalSample, resolve, wrongTypeFor } from "./support/schema-samples";

type Kind = "request" | "response";
type Table = Readonly<Record<string, { request: CompiledValidator; response?: CompiledValidator }>>;

interface SchemaEntry {
  readonly version: string;
  readonly action: string;
  readonly kind: Kind;
  readonly schema: JsonSchema;
}

/** ocpp-rpc's ids: 2.0.1 `urn:<Action>.req|.conf`, 2.1 `urn:<Action>Request|Response`, SEND `urn:<Action>`. */
function entries(version: string, packaged: unknown): SchemaEntry[] {
  return (packaged as readonly JsonSchema[]).map((schema) => {
    const match = /^urn:([A-Za-z0-9]+?)(\.req|\.conf|Request|Response)?$/.exec(schema.$id ?? "");
    if (match?.[1] === undefined) throw new Error(`unexpected id ${String(schema.$id)}`);
    const suffix = match[2];
    const kind: Kind = suffix === ".conf" || suffix === "Response" ? "response" : "request";
    return { version, action: match[1], kind, schema };
  });
}

const SETS: readonly { version: string; table: Table; schemas: SchemaEntry[] }[] = [
  { version: "2.0.1", table: OCPP201_VALIDATORS, schemas: entries("2.0.1", ocpp201Packaged) },
  { version: "2.1", table: OCPP21_VALIDATORS, schemas: entries("2.1", ocpp21Packaged) },
];

interface Case {
  readonly name: string;
  readonly payload: Json;
  /** Absent: the payload must pass. Otherwise the first error's keyword, path and naming parameter. */
  readonly expected?: { keyword: string; instancePath: string; params?: Record<string, unknown> };
}

const UNKNOWN = "unexpectedProperty";

function casesFor(entry: SchemaEntry): Case[] {
  const { schema } = entry;
  const valid = minimalSample(schema);
  if (typeof valid !== "object" || valid === null || Array.isArray(valid)) throw new Error(`${entry.action}: not an object schema`);
  const cases: Case[] = [
    { name: "minimal valid payload", payload: valid },
    { name: "valid payload with every optional property", payload: fullSample(schema) },
    { name: "an array instead of an object", payload: [], expected: { keyword: "type", instancePath: "" } },
  ];
  const required = schema.required?.[0];
  if (required !== undefined) {
    const { [required]: _dropped, ...rest } = valid;
    cases.push({
      name: `without required ${required}`,
      payload: rest,
      expected: { keyword: "required", instancePath: "", params: { missingProperty: required } },
    });
  }
  // The first required property that has a type (else the first typed one): an untyped value has no wrong type.
  const typed = Object.entries(schema.properties ?? {}).filter(([, s]) => resolve(s, schema).type !== undefined);
  const [property, propertySchema] = typed.find(([name]) => schema.required?.includes(name)) ?? typed[0] ?? [undefined, undefined];
  if (property === undefined || propertySchema === undefined) throw new Error(`${entry.action}: no properties`);
  cases.push({
    name: `${property} of the wrong type (${resolve(propertySchema, schema).type ?? "?"} due)`,
    payload: { ...valid, [property]: wrongTypeFor(propertySchema, schema) },
    expected: { keyword: "type", instancePath: `/${property}` },
  });
  if (schema.additionalProperties === false) {
    cases.push({
      name: "with an unknown property",
      payload: { ...valid, [UNKNOWN]: 1 },
      expected: { keyword: "additionalProperties", instancePath: "", params: { additionalProperty: UNKNOWN } },
    });
  }
  // A closed class reached through a reference (e.g. chargingStation → ChargingStationType) checks the same.
  const nested = (schema.required ?? []).find((name) => {
    const s = schema.properties?.[name];
    return s !== undefined && resolve(s, schema).type === "object" && resolve(s, schema).additionalProperties === false;
  });
  const nestedValue = nested === undefined ? undefined : valid[nested];
  if (nested !== undefined && typeof nestedValue === "object" && nestedValue !== null && !Array.isArray(nestedValue)) {
    cases.push({
      name: `with an unknown property in ${nested}`,
      payload: { ...valid, [nested]: { ...nestedValue, [UNKNOWN]: 1 } },
      expected: { keyword: "additionalProperties", instancePath: `/${nested}`, params: { additionalProperty: UNKNOWN } },
    });
  }
  return cases;
}

function outcome(validate: CompiledValidator, payload: Json) {
  if (validate(payload)) return undefined;
  const first = validate.errors?.[0];
  if (first === undefined) return { keyword: "(no errors reported)", instancePath: "" };
  return { keyword: first.keyword, instancePath: first.instancePath, params: first.params };
}

describe.each(SETS)("OCPP $version", ({ version, table, schemas }) => {
  it("has a validator for every packaged schema, and nothing else", () => {
    const fromSchemas = schemas.map((e) => `${e.action} ${e.kind}`).sort();
    const fromTable = Object.entries(table)
      .flatMap(([action, pair]) => [`${action} request`, ...(pair.response === undefined ? [] : [`${action} response`])])
      .sort();
    expect(fromTable).toEqual(fromSchemas);
    expect(Object.keys(table)).toHaveLength(version === "2.0.1" ? 64 : 91);
  });

  it("rejects an unknown property at the root of every message (all OCA root schemas are closed)", () => {
    expect(schemas.filter((e) => e.schema.additionalProperties !== false).map((e) => e.action)).toEqual([]);
  });

  const rows = schemas.flatMap((entry) => casesFor(entry).map((c) => ({ entry, c })));
  it.each(rows.map(({ entry, c }) => [`${entry.action} ${entry.kind}: ${c.name}`, entry, c] as const))("%s", (_title, entry, c) => {
    const validate = table[entry.action]?.[entry.kind];
    if (validate === undefined) throw new Error(`no compiled ${entry.kind} validator for ${entry.action}`);
    const got = outcome(validate, c.payload);
    if (c.expected === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(c.expected);
  });
});

describe("OCPP 2.1 SEND", () => {
  it("NotifyPeriodicEventStream has a request validator and no response (a SEND is never answered)", () => {
    expect(OCPP21_VALIDATORS.NotifyPeriodicEventStream.request).toBeTypeOf("function");
    expect(OCPP21_VALIDATORS.NotifyPeriodicEventStream.response).toBeUndefined();
    const sendOnly = Object.entries(OCPP21_VALIDATORS).filter(([, pair]) => pair.response === undefined);
    expect(sendOnly.map(([action]) => action)).toEqual(["NotifyPeriodicEventStream"]);
  });
});

describe("date-time is the gateway's strict RFC 3339 format in 2.x too", () => {
  const boot = (currentTime: string) => ({ currentTime, interval: 300, status: "Accepted" });
  const bootResponse = (table: Table): CompiledValidator => {
    const validate = table.BootNotification?.response;
    if (validate === undefined) throw new Error("BootNotification has no response validator");
    return validate;
  };
  const validators = { "2.0.1": bootResponse(OCPP201_VALIDATORS), "2.1": bootResponse(OCPP21_VALIDATORS) };
  it.each([
    ["2.0.1", "2025-01-23T10:15:30Z", "valid"],
    ["2.0.1", "2025-01-23T10:15:30.123+01:00", "valid"],
    ["2.0.1", "2025-13-23T10:15:30Z", "invalid"],
    ["2.0.1", "2025-01-23T10:15:30", "invalid"],
    ["2.1", "2025-01-23T29:15:30Z", "invalid"],
    ["2.1", "2025-01-23T10:15:30Z", "valid"],
  ] as const)("%s BootNotification response currentTime %s is %s", (version, value, verdict) => {
    const got = outcome(validators[version], boot(value));
    if (verdict === "valid") expect(got).toBeUndefined();
    else expect(got).toMatchObject({ keyword: "format", instancePath: "/currentTime", params: { format: "date-time" } });
  });
});
