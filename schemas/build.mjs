#!/usr/bin/env node
// Compiles every JSON schema the Worker validates with into ES modules (ajv standalone code generation), so no
// code is generated at run time (Workers refuse `new Function`). Run by `npm start`, `npm test`, `npm run deploy`.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";

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

async function buildGatewayConfig() {
  const schema = JSON.parse(await readFile(join(root, "schemas", "gateway-config.schema.json"), "utf8"));
  const ajv = new Ajv({ ...SAFE_OPTIONS, allErrors: true, strict: true });
  ajv.addSchema(schema, "gatewayConfig");
  const code = standaloneCode(ajv, { validateGatewayConfig: "gatewayConfig" });
  await writeFile(join(outDir, "config-validator.gen.js"), BANNER + code);
  await writeFile(
    join(outDir, "config-validator.gen.d.ts"),
    BANNER +
      `import type { CompiledValidator } from "../validation/compiled";\nexport declare const validateGatewayConfig: CompiledValidator;\n`,
  );
  await writeFile(
    join(outDir, "config-schema.gen.ts"),
    BANNER + `export const gatewayConfigSchema = ${JSON.stringify(schema, null, 2)} as const;\n`,
  );
}

await mkdir(outDir, { recursive: true });
await buildGatewayConfig();
console.log(`schemas: compiled validators into ${outDir}`);
