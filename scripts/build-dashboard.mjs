#!/usr/bin/env node
// Packs the operator dashboard (dashboard/: HTML, CSS and plain ES modules, no framework, nothing from a CDN) into
// src/generated/dashboard-assets.gen.ts, which the Worker serves under /dashboard (src/http/dashboard.ts). Run by
// `npm run build` (and so `npm test`), `npm start` and `npm run deploy`; prints the size of what a browser loads.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeGenerated } from "./generated-file.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "dashboard");
const out = join(root, "src", "generated", "dashboard-assets.gen.ts");
const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml" };

async function files(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)])));
  return nested.flat().sort();
}

const assets = {};
let bytes = 0;
for (const file of await files(source)) {
  const type = TYPES[extname(file)];
  if (type === undefined) continue;
  const body = await readFile(file, "utf8");
  bytes += Buffer.byteLength(body);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
  assets[`/${relative(source, file).split("\\").join("/")}`] = { type, body, etag };
}

await mkdir(dirname(out), { recursive: true });
await writeGenerated(
  out,
  "// GENERATED FILE — do not edit. Produced by scripts/build-dashboard.mjs from dashboard/; run `npm run build`.\n" +
    "export interface DashboardAsset { readonly type: string; readonly body: string; readonly etag: string }\n" +
    `export const DASHBOARD_ASSETS: Readonly<Record<string, DashboardAsset>> = ${JSON.stringify(assets, null, 1)};\n` +
    `export const DASHBOARD_BYTES = ${bytes};\n`,
);
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`dashboard: ${Object.keys(assets).length} files, ${(bytes / 1024).toFixed(1)} KiB uncompressed\n`);
}
