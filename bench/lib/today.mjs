// "Today's gateway" for the benchmark: the per-charge-point shape (a ChargePoint object per charge point, a pool
// of BrokerLink objects, a client registry) as it was at the commit before the switch to gateway shards, taken out
// of this repository's history into a temporary folder and started the way `npm start` started it then. So the
// ratios against it come from one run on one machine, not from old figures. Needs the repository's history (a
// clone, not an export); nothing of it is committed.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The last commit of the per-charge-point shape. */
export const TODAY_COMMIT = "03e0142e4f8c144591f38acf9e77f7919c4f73c5";

/** Whether the repository holds that commit. */
export function hasToday(root) {
  try {
    execFileSync("git", ["-C", root, "cat-file", "-e", `${TODAY_COMMIT}^{commit}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Extracts that commit's gateway into `dir` (sharing this checkout's node_modules); returns its start script. */
export async function prepareToday(root, dir) {
  await mkdir(dir, { recursive: true });
  const paths = ["src", "schemas", "scripts", "dashboard", "wrangler.toml", "package.json", "tsconfig.json", "worker-configuration.d.ts"];
  const archive = execFileSync("git", ["-C", root, "archive", "--format=tar", TODAY_COMMIT, ...paths], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  // Built as the gateway is (wrangler.toml: keep_names = false), so the ratios compare shapes, not build settings.
  const config = join(dir, "wrangler.toml");
  const text = await readFile(config, "utf8");
  await writeFile(config, text.replace(/^compatibility_flags = .*$/m, (line) => `${line}\nkeep_names = false`));
  await symlink(join(root, "node_modules"), join(dir, "node_modules"));
  return join(dir, "scripts", "start.mjs");
}
