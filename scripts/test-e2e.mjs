#!/usr/bin/env node
// Runs the end-to-end suite once per broker named in E2E_BROKERS (space or comma separated; default "embedded").
// "mosquitto" needs Debian's mosquitto on PATH (.ci/run installs it).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const brokers = (process.env.E2E_BROKERS ?? "embedded").split(/[\s,]+/).filter(Boolean);
for (const broker of brokers) {
  process.stdout.write(`\n[e2e] broker: ${broker}\n`);
  const run = spawnSync(
    process.execPath,
    [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "vitest.e2e.config.ts"],
    { cwd: root, stdio: "inherit", env: { ...process.env, E2E_BROKER: broker } },
  );
  if (run.status !== 0) {
    process.stderr.write(`[e2e] failed against the ${broker} broker\n`);
    process.exit(run.status ?? 1);
  }
}
