// Processes of a benchmark run and what /proc says about them.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const OFFLINE = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

import { freePort } from "../../scripts/ports.mjs";

export { freePort };

export async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Spawns a process in its own group, collecting its output; stop() ends the whole group. */
export function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function children() {
  const byParent = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (!byParent.has(ppid)) byParent.set(ppid, []);
      byParent.get(ppid).push({ pid: Number(entry), comm });
    } catch {
      // the process ended while we looked
    }
  }
  return byParent;
}

/** The workerd processes started under `rootPid`. */
export function workerdPids(rootPid) {
  const byParent = children();
  const found = [];
  const walk = (pid) => {
    for (const c of byParent.get(pid) ?? []) {
      if (c.comm.startsWith("workerd")) found.push(c.pid);
      walk(c.pid);
    }
  };
  walk(rootPid);
  return found;
}

/** Resident memory in bytes and CPU time in ms (user + system) summed over `pids`. */
export function usage(pids) {
  let rss = 0;
  let cpuTicks = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpuTicks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // ended
    }
  }
  return { rss, cpuMs: cpuTicks * 10 };
}

/** Open file descriptors summed over `pids`. */
export function openFiles(pids) {
  let n = 0;
  for (const pid of pids) {
    try {
      n += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // ended
    }
  }
  return n;
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit() {
  return Number(/Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? NaN);
}

export function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  const cores = readFileSync("/proc/cpuinfo", "utf8").split("\n").filter((l) => l.startsWith("processor")).length;
  return { cpu, cores, memoryGiB: Math.round(memKb / 1024 / 1024), node: process.version, platform: `${process.platform} ${process.arch}`, openFileLimit: openFileLimit() };
}

/** The project's root directory (this file is bench/lib/processes.mjs). */
export const ROOT = join(new URL(".", import.meta.url).pathname, "..", "..");
