#!/usr/bin/env node
// Compiles every JSON schema the Worker validates with into ES modules (ajv standalone code generation), so no
// code is generated at run time (Workers refuse `new Function`). Run by `npm start`, `npm test`, `npm run deploy`.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";

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
  await writeFile(join(outDir, "gateway-validators.gen.js"), BANNER + standaloneCode(ajv, validators));
  await writeFile(
    join(outDir, "gateway-validators.gen.d.ts"),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\n` +
      Object.keys(validators)
        .map((name) => `export declare const ${name}: CompiledValidator;\n`)
        .join(""),
  );
  await writeFile(
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

async function buildOcpp16() {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve("ocpp-rpc/package.json")), "lib", "schemas", "ocpp1_6.json");
  const schemas = JSON.parse(await readFile(file, "utf8"));
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
  });
  addFormats(ajv, { mode: "full" });
  // date-time: ajv-formats' exact check splits the string and runs two capturing regexes (≈0.7 µs per value,
  // more than JSON.parse of a whole StatusNotification); its fast regex accepts month 19 and hour 29. This one
  // regex is as exact on every field range, needs a time zone (RFC 3339 §5.6), and is inlined into the generated
  // code. Only Feb 29 of a non-leap year gets through.
  ajv.addFormat("date-time", DATE_TIME);
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
  await writeFile(join(outDir, "ocpp16-validators.gen.js"), BANNER + code);
  await writeFile(
    join(outDir, "ocpp16-validators.gen.d.ts"),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\n` +
      `export declare const OCPP16_VALIDATORS: Readonly<Record<string, { request: CompiledValidator; response: CompiledValidator }>>;\n`,
  );
  return actions.size;
}

await mkdir(outDir, { recursive: true });
await buildGatewaySchemas();
const ocpp16Actions = await buildOcpp16();
console.log(`schemas: OCPP 1.6, ${ocpp16Actions} actions (request and response)`);
console.log(`schemas: compiled validators into ${outDir}`);
