// `npm run bench -- --storm N`: a reconnect storm. N charge points connect at once, each booting and relaying one
// call (BootNotification, then a Heartbeat, both answered by a CSMS on MQTT); then the gateway is stopped and
// started again on the same state, as a deploy drops every socket, and the same N reconnect at once. For each storm:
// the time until all were relaying, when the connects were accepted (per second, and per shard), and the errors.
// Everything runs on this machine: the embedded broker (its own process), the gateway exactly as `npm start`
// starts it, the CSMS (a worker thread) and the charge points (worker threads, raw `ws`).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { freePort } from "../scripts/ports.mjs";
import { openFiles, ROOT as root, spawnGroup, usage, workerdPids } from "./lib/processes.mjs";
import { waitFor } from "./lib/messages.mjs";

const say = (line) => process.stdout.write(`[storm] ${line}\n`);
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

/** One storm: `n` charge points over `threads` workers, `concurrency` handshakes in flight per worker. */
async function storm(url, n, threads, concurrency, pids) {
  const cids = Array.from({ length: n }, (_, i) => `storm-${i}`);
  const parts = Array.from({ length: threads }, (_, t) => cids.filter((_, i) => i % threads === t));
  const startAt = Date.now();
  const before = usage(pids());
  const workers = parts.map((part) => new Worker(new URL("./lib/storm-worker.mjs", import.meta.url), { workerData: { url, cids: part, concurrency, startAt } }));
  const results = await Promise.all(workers.map((w) => waitFor(w, "done")));
  const after = usage(pids());
  const files = openFiles(pids());
  const accepted = results.flatMap((r) => r.accepted).sort((a, b) => a - b);
  const relaying = results.flatMap((r) => r.relaying).sort((a, b) => a - b);
  const errors = results.reduce((e, r) => Object.fromEntries(Object.entries(r.errors).map(([k, v]) => [k, (e[k] ?? 0) + v])), {});
  const closed = workers.map((w) => waitFor(w, "closed"));
  for (const w of workers) w.postMessage("close");
  await Promise.all(closed);
  await Promise.all(workers.map((w) => w.terminate()));
  const lastAccept = accepted.at(-1) ?? NaN;
  return {
    requested: n,
    connected: accepted.length,
    relaying: relaying.length,
    allRelayingMs: relaying.length === n ? (relaying.at(-1) ?? NaN) : NaN,
    relayingP50Ms: percentile(relaying, 50),
    relayingP95Ms: percentile(relaying, 95),
    connectsPerSecond: accepted.length / (lastAccept / 1000),
    errors,
    workerdCpuS: (after.cpuMs - before.cpuMs) / 1000,
    workerdRssMiB: after.rss / 1048576,
    openFiles: files,
  };
}

export async function runStorm({ n, threads, concurrency }) {
  const dir = await mkdtemp(join(tmpdir(), "ocpp-storm-"));
  const processes = [];
  try {
    const broker = spawnGroup(process.execPath, [join(root, "bench", "lib", "broker-process.mjs")], { cwd: root });
    processes.push(broker);
    await new Promise((resolve, reject) => {
      broker.child.stdout.once("data", resolve);
      broker.child.once("exit", (code) => reject(new Error(`the broker exited (${code}):\n${broker.output()}`)));
    });
    const { tcpPort } = JSON.parse(broker.output().split("\n")[0]);
    const port = await freePort();
    const startGateway = async () => {
      const gateway = spawnGroup(process.execPath, [join(root, "scripts", "start.mjs")], {
        cwd: root,
        env: {
          ...process.env,
          PORT: String(port),
          MQTT_URL: `mqtt://127.0.0.1:${tcpPort}`,
          GATEWAY_STATE_DIR: join(dir, "gateway"),
          MQTT_CLIENT_ID_PREFIX: `bench-storm-${process.pid}`,
          WRANGLER_LOG: "warn",
          // A booted charge point heartbeats every 300 s: idle connections stay for the whole storm.
          GATEWAY_CONFIG: JSON.stringify({ idle_timeout: "300s" }),
        },
      });
      processes.push(gateway);
      await new Promise((resolve, reject) => {
        const ready = () => gateway.output().includes("Press Ctrl-C") && resolve(undefined);
        gateway.child.stdout.on("data", ready);
        gateway.child.once("exit", (code) => reject(new Error(`the gateway exited (${code}) before it was ready:\n${gateway.output()}`)));
      });
      // The charge points connect to `wrangler dev` itself: npm start's front (Cloudflare's edge here) would hold two
      // more sockets per charge point in one Node process, whose open files are limited like workerd's.
      const inner = /wrangler dev: +http:\/\/127\.0\.0\.1:(\d+)/.exec(gateway.output());
      gateway.workerPort = inner === null ? port : Number(inner[1]);
      return gateway;
    };
    let gateway = await startGateway();
    const csms = new Worker(new URL("./lib/csms-worker.mjs", import.meta.url), { workerData: { mqttUrl: `mqtt://127.0.0.1:${tcpPort}` } });
    await waitFor(csms, "ready");
    const url = () => `ws://127.0.0.1:${gateway.workerPort}/ocpp`;
    const pids = () => workerdPids(gateway.child.pid);

    say(`cold: ${n} charge points connect at once to a gateway that never saw them`);
    const cold = await storm(url(), n, threads, concurrency, pids);
    say(JSON.stringify(cold));
    say("stopping and starting the gateway on the same state (a deploy drops every socket)");
    await gateway.stop();
    processes.splice(processes.indexOf(gateway), 1);
    gateway = await startGateway();
    say(`warm: the same ${n} reconnect at once`);
    const warm = await storm(url(), n, threads, concurrency, pids);
    say(JSON.stringify(warm));
    csms.postMessage({ type: "stop" });
    await waitFor(csms, "stopped");
    await csms.terminate();
    return { cold, warm };
  } finally {
    for (const p of [...processes].reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The storm's table (one shard locally: the per-shard rate is the whole rate). */
export function stormMarkdown(result, shards) {
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const row = (name, r) =>
    `| ${name} | ${r.requested} | ${r.connected} | ${r.relaying} | ${f(r.allRelayingMs / 1000, 1)} | ${f(r.relayingP50Ms / 1000, 1)} / ${f(r.relayingP95Ms / 1000, 1)} | ${f(r.connectsPerSecond)} | ${f(r.connectsPerSecond / shards)} | ${Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(", ")} | ${f(r.workerdRssMiB)} | ${r.openFiles} |`;
  return [
    "| storm | charge points | connected | relaying | all relaying after, s | relaying p50 / p95, s | connects/s | per shard | errors | workerd MiB | workerd open files |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    row("cold (new to the gateway)", result.cold),
    row("warm (after a restart)", result.warm),
  ].join("\n");
}
