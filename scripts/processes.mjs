// What `npm start` and `npm run bench` share about the processes they run: wrangler offline, waiting for a
// server to answer, and stopping a process group.

/**
 * Environment for wrangler: no telemetry, no error reports, no banner, no fetches to Cloudflare, and no local
 * explorer (wrangler dev serves one under /cdn-cgi/explorer to whoever reaches its port: the Worker's KV and
 * Durable Object storage, to read and write).
 */
export const OFFLINE = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  X_LOCAL_EXPLORER: "false",
};

/** Resolves once `url` answers with a 2xx status; fails when `child` exits first or after `timeoutMs`. */
export async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the process serving ${url} exited (${child.signalCode ?? child.exitCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** SIGTERM to the group of `child` (spawned detached), SIGKILL after `graceMs`; resolves once `child` exited. */
export async function stopGroup(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
      return true;
    } catch {
      return false; // already gone
    }
  };
  if (!signal("SIGTERM")) return;
  const killer = setTimeout(() => signal("SIGKILL"), graceMs);
  await exited;
  clearTimeout(killer);
}
