// Generated files (src/generated) are written only when their text changes. `wrangler dev` watches what the Worker
// imports, so rewriting an unchanged file would reload every gateway running from this checkout: a second
// `npm start` or an `npm run build` would drop the first one's charge points.
import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";

/** Writes `text` to `path` unless it holds exactly that; whole or not at all (a watcher never sees half a file). */
export async function writeGenerated(path, text) {
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current === text) return false;
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
  return true;
}
