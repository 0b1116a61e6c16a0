// Processes of a benchmark run and what /proc says about them.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopGroup } from "../../scripts/processes.mjs";

/** Spawns a process in its own group, collecting its output; stop() ends the whole group. */
export function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  return {
    child,
    output: () => output,
    stop: () => stopGroup(child, 10_000),
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

/**
 * The port a `wrangler dev` started under `rootPid` was told to serve (its `--port` argument), or undefined: how a
 * gateway whose start script puts a front before wrangler, and does not print wrangler's own port, is measured at
 * wrangler itself.
 */
export function wranglerDevPort(rootPid) {
  const byParent = children();
  const pending = [rootPid];
  while (pending.length > 0) {
    for (const c of byParent.get(pending.pop()) ?? []) {
      try {
        const args = readFileSync(`/proc/${c.pid}/cmdline`, "utf8").split("\0");
        const at = args.indexOf("--port");
        if (args.some((a) => a.endsWith("wrangler.js") || a.endsWith("/wrangler")) && args.includes("dev") && at > 0) return Number(args[at + 1]);
      } catch {
        // the process ended while we looked
      }
      pending.push(c.pid);
    }
  }
  return undefined;
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
function openFileLimit() {
  return Number(/Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? NaN);
}

export function machine() {
  const all = cpus();
  return {
    cpu: all[0]?.model ?? "unknown",
    cores: all.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    openFileLimit: openFileLimit(),
  };
}

/** The project's root directory (this file is bench/lib/processes.mjs). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
