#!/usr/bin/env node
// Compiles every JSON schema the Worker validates with into ES modules (ajv standalone code generation), so no
// code is generated at run time (Workers refuse `new Function`). Run by `npm start`, `npm test`, `npm run deploy`;
// a file whose text is unchanged is left alone (scripts/generated-file.mjs).
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";
import { writeGenerated } from "../scripts/generated-file.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "src", "generated");

const BANNER = `// GENERATED FILE — do not edit. Produced by schemas/build.mjs from the JSON schemas; run \`npm run build\`.\n`;

/** Side-effect-free options: a relay must not rewrite what it checks (no coercion, defaults or removal). */
const SAFE_OPTIONS = {
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  code: { source: true, esm: true, optimize: true },
};

const readSchema = async (name) => JSON.parse(await readFile(join(root, "schemas", name), "utf8"));

/**
 * The gateway's own schemas (configuration, authenticator, users): one validator module for the handlers, and the
 * same schema objects for the OpenAPI document, so the two cannot drift apart.
 */
async function buildGatewaySchemas() {
  const config = await readSchema("gateway-config.schema.json");
  const authenticator = await readSchema("authenticator.schema.json");
  const user = await readSchema("auth-user.schema.json");
  const ajv = new Ajv({ ...SAFE_OPTIONS, allErrors: true, strict: true });
  ajv.addSchema(config);
  ajv.addSchema(authenticator);
  ajv.addSchema(user);
  const validators = {
    validateGatewayConfig: config.$id,
    validateAuthenticator: authenticator.$id,
    validateUserCreate: `${user.$id}#/definitions/create`,
    validateUserUpdate: `${user.$id}#/definitions/update`,
  };
  await writeGenerated(join(outDir, "gateway-validators.gen.js"), BANNER + standaloneCode(ajv, validators));
  await writeGenerated(
    join(outDir, "gateway-validators.gen.d.ts"),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\n` +
      Object.keys(validators)
        .map((name) => `export declare const ${name}: CompiledValidator;\n`)
        .join(""),
  );
  await writeGenerated(
    join(outDir, "gateway-schemas.gen.ts"),
    BANNER +
      `export const gatewayConfigSchema = ${JSON.stringify(config, null, 2)} as const;\n` +
      `export const authenticatorSchema = ${JSON.stringify(authenticator, null, 2)} as const;\n` +
      `export const authUserSchema = ${JSON.stringify(user, null, 2)} as const;\n`,
  );
}

/**
 * OCPP 1.6 (28 core actions and the security extension, request and response) from ocpp-rpc's schema set, which
 * is the official OCA 2019-12 set with the errata (ids `urn:<Action>.req|.conf`).
 */
const OCPP16_ID_PREFIX = "urn:OCPP:1.6:2019:12:";

const DATE_TIME = new RegExp(
  "^\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2\\d))" +
    "[Tt ](?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d|23:59:60)(?:\\.\\d+)?(?:[Zz]|[+-](?:[01]\\d|2[0-3])(?::?[0-5]\\d)?)$",
);

/** The ajv instance every OCPP schema set is compiled with (one per set: the ids of different versions overlap). */
function ocppAjv(extra = {}) {
  const ajv = new Ajv({
    ...SAFE_OPTIONS,
    // Every failing keyword is reported (ErrorDetails lists the paths); the first one decides the OCPP code.
    allErrors: true,
    strict: true,
    // The OCA schemas put additionalProperties on string enums; harmless, but strictTypes would refuse it.
    strictTypes: false,
    // `multipleOf: 0.1` (charging limits): 12.1 / 0.1 is 120.99999999999999 in floating point; compare the
    // quotient with its nearest integer to 9 decimal places instead of requiring an exact integer.
    multipleOfPrecision: 9,
    ...extra,
  });
  addFormats(ajv, { mode: "full" });
  // date-time: ajv-formats' exact check splits the string and runs two capturing regexes (≈0.7 µs per value,
  // more than JSON.parse of a whole StatusNotification); its fast regex accepts month 19 and hour 29. This one
  // regex is as exact on every field range, needs a time zone (RFC 3339 §5.6), and is inlined into the generated
  // code. Only Feb 29 of a non-leap year gets through.
  ajv.addFormat("date-time", DATE_TIME);
  return ajv;
}

const packagedSchemas = async (name) => {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve("ocpp-rpc/package.json")), "lib", "schemas", name);
  return JSON.parse(await readFile(file, "utf8"));
};

async function buildOcpp16() {
  const schemas = await packagedSchemas("ocpp1_6.json");
  const ajv = ocppAjv();
  const exportsByName = {};
  const actions = new Map();
  for (const schema of schemas) {
    const match = /^urn:([A-Za-z0-9]+)\.(req|conf)$/.exec(schema.$id);
    if (match === null) throw new Error(`unexpected schema id ${schema.$id}`);
    const [, action, kind] = match;
    // Re-keyed to the official ids (EMQX's json_schema_id_prefix); ajv's URI parser refuses `urn:<Action>.req`.
    ajv.addSchema({ ...schema, $id: `${OCPP16_ID_PREFIX}${action}${kind === "req" ? "Request" : "Response"}` });
    exportsByName[`${action}_${kind}`] = `${OCPP16_ID_PREFIX}${action}${kind === "req" ? "Request" : "Response"}`;
    actions.set(action, { ...actions.get(action), [kind]: `${action}_${kind}` });
  }
  for (const [action, pair] of actions) {
    if (!pair.req || !pair.conf) throw new Error(`${action} lacks a request or a response schema`);
  }
  const table = [...actions.keys()]
    .sort()
    .map((a) => `  ${a}: { request: ${a}_req, response: ${a}_conf },`)
    .join("\n");
  const code = `${standaloneCode(ajv, exportsByName)}\nexport const OCPP16_VALIDATORS = {\n${table}\n};\n`;
  await writeGenerated(join(outDir, "ocpp16-validators.gen.js"), BANNER + code);
  await writeGenerated(
    join(outDir, "ocpp16-validators.gen.d.ts"),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\n` +
      `export declare const OCPP16_VALIDATORS: Readonly<Record<string, { request: CompiledValidator; response: CompiledValidator }>>;\n`,
  );
  return actions.size;
}

/**
 * OCPP 2.0.1 and 2.1 from ocpp-rpc's schema sets: the OCA files (CC BY-ND 4.0, taken unmodified), shipped as
 * draft-07 with ids `urn:<Action>.req|.conf` (2.0.1) and `urn:<Action>Request|Response` (2.1). They are re-keyed
 * to the OCA's own ids, as the OCA files carry them (2.0.1: `urn:OCPP:Cp:2:2020:3:BootNotificationRequest`;
 * 2.1 Edition 1: `urn:OCPP:Cp:2:2025:1:BootNotificationRequest`), so error schema paths name the official schema.
 */
const OCPP2_SETS = [
  {
    label: "OCPP 2.0.1",
    file: "ocpp2_0_1.json",
    prefix: "urn:OCPP:Cp:2:2020:3:",
    idPattern: /^urn:([A-Za-z0-9]+)\.(req|conf)$/,
    constName: "OCPP201_VALIDATORS",
    actionType: "Ocpp201Action",
    out: "ocpp201-validators.gen",
  },
  {
    label: "OCPP 2.1",
    file: "ocpp2_1.json",
    prefix: "urn:OCPP:Cp:2:2025:1:",
    // `urn:NotifyPeriodicEventStream` has no suffix: it is the payload of a SEND (OCPP-J 2.1 §4.1.1, message
    // type 6), which is never answered, so that action has a request schema and no response schema.
    idPattern: /^urn:([A-Za-z0-9]+?)(Request|Response)?$/,
    constName: "OCPP21_VALIDATORS",
    actionType: "Ocpp21Action",
    out: "ocpp21-validators.gen",
  },
];

/** Keywords the OCA 2.x files carry for their code generators; annotations only, no effect on validation. */
const OCA_ANNOTATIONS = ["javaType", "comment"];

/**
 * The OCA 2.x files put `additionalItems: false` next to a single-schema `items`, where draft-06/07 ignore it
 * (every item is checked against `items`; nothing is "additional"). ajv's strict mode refuses that as a likely
 * mistake; it is the only strict-mode finding these files are allowed to have — anything else stops the build.
 */
const IGNORED_ADDITIONAL_ITEMS = 'strict mode: "additionalItems" is ignored when "items" is not an array of schemas';

async function buildOcpp2(set) {
  const schemas = await packagedSchemas(set.file);
  let ignoredAdditionalItems = 0;
  const logger = {
    log: console.log,
    warn(message) {
      if (message !== IGNORED_ADDITIONAL_ITEMS) throw new Error(`${set.label}: ${message}`);
      ignoredAdditionalItems++;
    },
    error(message) {
      throw new Error(`${set.label}: ${message}`);
    },
  };
  const ajv = ocppAjv({ strictSchema: "log", logger });
  ajv.addVocabulary(OCA_ANNOTATIONS);
  const exportsByName = {};
  const actions = new Map();
  for (const schema of schemas) {
    const match = set.idPattern.exec(schema.$id);
    if (match === null) throw new Error(`${set.label}: unexpected schema id ${schema.$id}`);
    const [, action, suffix] = match;
    const kind = suffix === undefined ? "send" : suffix === "req" || suffix === "Request" ? "request" : "response";
    const id = `${set.prefix}${action}${kind === "send" ? "" : kind === "request" ? "Request" : "Response"}`;
    ajv.addSchema({ ...schema, $id: id });
    const name = `${action}_${kind}`;
    exportsByName[name] = id;
    const entry = actions.get(action) ?? {};
    if (entry[kind] !== undefined) throw new Error(`${set.label}: two ${kind} schemas for ${action}`);
    actions.set(action, { ...entry, [kind]: name });
  }
  for (const [action, entry] of actions) {
    const pair = entry.request !== undefined && entry.response !== undefined && entry.send === undefined;
    const sendOnly = entry.send !== undefined && entry.request === undefined && entry.response === undefined;
    if (!pair && !sendOnly) throw new Error(`${set.label}: ${action} has neither a request/response pair nor one SEND schema`);
  }
  const names = [...actions.keys()].sort();
  const table = names
    .map((a) => {
      const e = actions.get(a);
      return e.send !== undefined ? `  ${a}: { request: ${e.send} },` : `  ${a}: { request: ${e.request}, response: ${e.response} },`;
    })
    .join("\n");
  const started = performance.now();
  const code = `${standaloneCode(ajv, exportsByName)}\nexport const ${set.constName} = {\n${table}\n};\n`;
  const compileMs = performance.now() - started;
  await writeGenerated(join(outDir, `${set.out}.js`), BANNER + code);
  const sendOnly = names.filter((a) => actions.get(a).send !== undefined);
  const hasSend = sendOnly.length > 0;
  await writeGenerated(
    join(outDir, `${set.out}.d.ts`),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\n` +
      `export type ${set.actionType} =\n${names.map((a) => `  | ${JSON.stringify(a)}`).join("\n")};\n` +
      (hasSend
        ? `/** Actions sent as SEND (message type 6): never answered, so they have no response schema. */\n` +
          `export type ${set.actionType.replace(/Action$/, "SendOnlyAction")} = ${sendOnly.map((a) => JSON.stringify(a)).join(" | ")};\n` +
          `/** \`response\` is absent exactly for the SEND-only actions. */\n` +
          `export declare const ${set.constName}: Readonly<Record<${set.actionType}, { request: CompiledValidator; response?: CompiledValidator }>>;\n`
        : `export declare const ${set.constName}: Readonly<Record<${set.actionType}, { request: CompiledValidator; response: CompiledValidator }>>;\n`),
  );
  return { actions: names.length, sendOnly, schemas: schemas.length, ignoredAdditionalItems, compileMs, bytes: Buffer.byteLength(BANNER + code) };
}

await mkdir(outDir, { recursive: true });
await buildGatewaySchemas();
const ocpp16Actions = await buildOcpp16();
console.log(`schemas: OCPP 1.6, ${ocpp16Actions} actions (request and response)`);
for (const set of OCPP2_SETS) {
  const r = await buildOcpp2(set);
  const send = r.sendOnly.length > 0 ? ` + SEND-only ${r.sendOnly.join(", ")}` : "";
  console.log(`schemas: ${set.label}, ${r.actions} actions from ${r.schemas} schemas (request and response${send}), ${(r.bytes / 1024).toFixed(0)} KiB`);
}
console.log(`schemas: compiled validators into ${outDir}`);
