// Payloads derived mechanically from a JSON schema of the OCA 2.x kind (objects, arrays, strings with enum, length
// and date-time format, bounded numbers, local `#/definitions/` references): the smallest valid instance, and a
// "full" one that also carries every optional property. Written independently of ajv, so the compiled validators
// are checked against a second reading of the same schema.

export interface JsonSchema {
  readonly $id?: string;
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly enum?: readonly string[];
  readonly format?: string;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly definitions?: Readonly<Record<string, JsonSchema>>;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Keywords this generator understands or may ignore (annotations; `additionalItems` beside a single `items` is a
 * no-op in draft-06/07). A schema with any other keyword stops the test instead of yielding a wrong sample.
 */
const KNOWN_KEYWORDS = new Set([
  "$schema", "$id", "comment", "description", "javaType", "default", "additionalItems",
  "$ref", "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
  "enum", "format", "maxLength", "minimum", "maximum", "definitions",
]);

export const SAMPLE_DATE_TIME = "2025-01-23T10:15:30.5Z";

export function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`${root.$id ?? "schema"}: the sample generator does not know "${keyword}"`);
  }
  if (schema.$ref === undefined) return schema;
  const match = /^#\/definitions\/([A-Za-z0-9_]+)$/.exec(schema.$ref);
  const target = match?.[1] === undefined ? undefined : root.definitions?.[match[1]];
  if (target === undefined) throw new Error(`${root.$id ?? "schema"}: cannot resolve ${schema.$ref}`);
  return resolve(target, root);
}

function numberIn(s: JsonSchema, preferred: number): number {
  const low = s.minimum ?? Number.NEGATIVE_INFINITY;
  const high = s.maximum ?? Number.POSITIVE_INFINITY;
  return Math.min(Math.max(preferred, low), high);
}

/** Deeper than this, "full" samples stop adding optional properties (guards against recursive definitions). */
const FULL_DEPTH = 8;

function build(schema: JsonSchema, root: JsonSchema, full: boolean, depth: number): Json {
  const s = resolve(schema, root);
  if (s.enum !== undefined) {
    const value = s.enum[s.enum.length - 1];
    if (value === undefined) throw new Error(`${root.$id ?? "schema"}: empty enum`);
    return value;
  }
  switch (s.type) {
    case "object": {
      const all = Object.keys(s.properties ?? {});
      const names = full && depth < FULL_DEPTH ? all : (s.required ?? []);
      const out: Record<string, Json> = {};
      for (const name of names) {
        const property = s.properties?.[name];
        if (property === undefined) throw new Error(`${root.$id ?? "schema"}: required ${name} has no schema`);
        out[name] = build(property, root, full, depth + 1);
      }
      return out;
    }
    case "array": {
      if (s.items === undefined) throw new Error(`${root.$id ?? "schema"}: array without items`);
      const wanted = Math.max(s.minItems ?? 0, full && depth < FULL_DEPTH ? 2 : 0);
      const count = Math.min(wanted, s.maxItems ?? wanted);
      return Array.from({ length: count }, () => build(s.items as JsonSchema, root, full, depth + 1));
    }
    case "string":
      if (s.format === "date-time") return SAMPLE_DATE_TIME;
      if (s.format !== undefined) throw new Error(`${root.$id ?? "schema"}: unknown format ${s.format}`);
      return "ABCDEFGH".slice(0, Math.max(1, Math.min(8, s.maxLength ?? 8)));
    case "integer":
      return numberIn(s, 3);
    case "number":
      return numberIn(s, 2.5);
    case "boolean":
      return true;
    case undefined:
      // No type at all (DataTransfer `data`): any JSON value is valid.
      return { anything: ["goes", 1] };
    default:
      throw new Error(`${root.$id ?? "schema"}: unsupported type ${String(s.type)}`);
  }
}

/** The smallest valid payload: required properties only, arrays at their minimum length. */
export function minimalSample(root: JsonSchema): Json {
  return build(root, root, false, 0);
}

/** A valid payload with every optional property present and arrays of at least two items. */
export function fullSample(root: JsonSchema): Json {
  return build(root, root, true, 0);
}

/** A value of the wrong JSON type for `schema` (a number where a string is due, a string anywhere else). */
export function wrongTypeFor(schema: JsonSchema, root: JsonSchema): Json {
  const type = resolve(schema, root).type;
  if (type === undefined) throw new Error(`${root.$id ?? "schema"}: an untyped value has no wrong type`);
  return type === "string" ? 42 : "not of this type";
}
