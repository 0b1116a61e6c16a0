/**
 * Payload validation against the OCPP JSON schemas (compiled ahead of time, schemas/build.mjs), and the mapping
 * of a failure to an OCPP-J error (OCPP-J 1.6 §4.2.3): the FIRST failing keyword, in the validator's evaluation
 * order, decides the code; every failure is listed in the details.
 */
import type { CompiledError, CompiledValidator } from "../validation/compiled";
import { ErrorKind } from "./protocol";

export interface SchemaPair {
  readonly request: CompiledValidator;
  /** Absent for an action that is only ever sent with SEND (OCPP 2.1: never answered). */
  readonly response?: CompiledValidator;
}

/** The schemas of one protocol version, by Action. */
export type SchemaSet = Readonly<Record<string, SchemaPair>>;

export type PayloadKind = "request" | "response";

/** One schema violation, as carried in ErrorDetails. */
export interface Violation {
  /** JSON pointer of the offending value (for a missing or extra property: that property's own pointer). */
  readonly path: string;
  readonly keyword: string;
  readonly message: string;
}

export interface ValidationFailure {
  readonly kind: ErrorKind;
  /** Plain words: the field and the rule. */
  readonly description: string;
  readonly violations: readonly Violation[];
}

export type ValidationResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly unknownAction: true; readonly kind: ErrorKind; readonly description: string }
  | { readonly ok: false; readonly unknownAction: false; readonly failure: ValidationFailure };

/** Keyword → error class (OCPP-J 1.6 §4.2.3). Anything not listed is a formation problem. */
const KEYWORD_KIND: Readonly<Record<string, ErrorKind>> = {
  required: ErrorKind.OccurrenceConstraint,
  minItems: ErrorKind.OccurrenceConstraint,
  maxItems: ErrorKind.OccurrenceConstraint,
  minProperties: ErrorKind.OccurrenceConstraint,
  maxProperties: ErrorKind.OccurrenceConstraint,
  type: ErrorKind.TypeConstraint,
  enum: ErrorKind.PropertyConstraint,
  const: ErrorKind.PropertyConstraint,
  minLength: ErrorKind.PropertyConstraint,
  maxLength: ErrorKind.PropertyConstraint,
  minimum: ErrorKind.PropertyConstraint,
  maximum: ErrorKind.PropertyConstraint,
  exclusiveMinimum: ErrorKind.PropertyConstraint,
  exclusiveMaximum: ErrorKind.PropertyConstraint,
  pattern: ErrorKind.PropertyConstraint,
  format: ErrorKind.PropertyConstraint,
  multipleOf: ErrorKind.PropertyConstraint,
  uniqueItems: ErrorKind.PropertyConstraint,
  additionalProperties: ErrorKind.Formation,
};

export function kindOfKeyword(keyword: string): ErrorKind {
  return KEYWORD_KIND[keyword] ?? ErrorKind.Formation;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

function violation(e: CompiledError): Violation {
  let path = e.instancePath;
  if (e.keyword === "required") path += `/${escapePointer(String(e.params.missingProperty))}`;
  if (e.keyword === "additionalProperties") path += `/${escapePointer(String(e.params.additionalProperty))}`;
  return { path, keyword: e.keyword, message: e.message ?? e.keyword };
}

/** "meterValue[0].sampledValue[2].unit" from "/meterValue/0/sampledValue/2/unit". */
function fieldName(pointer: string): string {
  if (pointer === "") return "the payload";
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : acc === "" ? t : `${acc}.${t}`), "");
}

function rule(e: CompiledError): string {
  const p = e.params;
  switch (e.keyword) {
    case "required":
      return "is required but missing";
    case "additionalProperties":
      return "is not a property of this message";
    case "type":
      return `must be of type ${String(p.type)}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case "maxLength":
      return `must be at most ${String(p.limit)} characters long`;
    case "minLength":
      return `must be at least ${String(p.limit)} characters long`;
    case "maximum":
    case "minimum":
    case "exclusiveMaximum":
    case "exclusiveMinimum":
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case "multipleOf":
      return `must be a multiple of ${String(p.multipleOf)}`;
    case "format":
      return `must be a valid ${String(p.format)}`;
    case "pattern":
      return `must match the pattern ${String(p.pattern)}`;
    case "maxItems":
      return `must have at most ${String(p.limit)} items`;
    case "minItems":
      return `must have at least ${String(p.limit)} items`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

export function validatePayload(schemas: SchemaSet, action: string, kind: PayloadKind, payload: unknown): ValidationResult {
  const pair = Object.hasOwn(schemas, action) ? schemas[action] : undefined;
  if (pair === undefined) {
    return {
      ok: false,
      unknownAction: true,
      kind: ErrorKind.NotImplemented,
      description: `Action ${action} is not implemented`,
    };
  }
  const validate = pair[kind];
  if (validate === undefined) {
    return { ok: false, unknownAction: true, kind: ErrorKind.NotImplemented, description: `Action ${action} has no ${kind} (it is only sent with SEND)` };
  }
  if (validate(payload)) return { ok: true };
  const errors = validate.errors ?? [];
  const first = errors[0];
  const violations = errors.map(violation);
  const what = `${action}${kind === "request" ? "" : " response"}`;
  const description =
    first === undefined ? `${what} payload is invalid` : `${what}: ${fieldName(violation(first).path)} ${rule(first)}`;
  return {
    ok: false,
    unknownAction: false,
    failure: { kind: first === undefined ? ErrorKind.Formation : kindOfKeyword(first.keyword), description, violations },
  };
}
