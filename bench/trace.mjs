#!/usr/bin/env node
// What the live trace costs on the message path: one charge point sends CALLs as fast as the gateway takes them
// (frame rate limit raised for the run), with no watcher and with one watcher, in alternating rounds, against the
// gateway as `npm start` runs it. Prints the median calls per second and workerd's CPU per call for each.
//   node bench/trace.mjs [--calls 2000] [--rounds 3] [--no-watcher: only the rounds without (to compare builds)]
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import WebSocket from "ws";
import { freePort } from "../scripts/ports.mjs";
import { stopGroup, waitForHttp } from "../scripts/processes.mjs";
import { median } from "./lib/median.mjs";
import { ROOT, usage, workerdPids } from "./lib/processes.mjs";

const { values: opt } = parseArgs({ options: { calls: { type: "string", default: "2000" }, rounds: { type: "string", default: "3" }, "no-watcher": { type: "boolean", default: false } } });
const CALLS = Number(opt.calls);
const ROUNDS = Number(opt.rounds);
const CID = "bench-trace";
const auth = `Basic ${Buffer.from("bench:bench-secret").toString("base64")}`;

const dir = await mkdtemp(join(tmpdir(), "ocpp-bench-trace-"));
const port = await freePort();
const mqttPort = await freePort();
const gateway = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
  cwd: ROOT,
  detached: true,
  stdio: "ignore",
  env: { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(await freePort()), GATEWAY_STATE_DIR: join(dir, "state"), ADMIN_API_KEY: "bench", ADMIN_API_SECRET: "bench-secret", WRANGLER_LOG: "warn" },
});
const base = `http://127.0.0.1:${port}`;

try {
  await waitForHttp(`${base}/`, gateway, 120_000);
  const put = await fetch(`${base}/api/v5/gateways/ocpp`, { method: "PUT", headers: { Authorization: auth, "Content-Type": "application/json" }, body: JSON.stringify({ max_frames_per_second: 0 }) });
  if (put.status !== 204) throw new Error(`config: ${put.status} ${await put.text()}`);
  const csms = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
  await csms.subscribeAsync(`ocpp/cp/${CID}`, { qos: 1 });
  let published = 0;
  let waiter;
  csms.on("message", () => {
    published++;
    waiter?.();
  });
  const cp = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${CID}`, "ocpp1.6");
  await new Promise((resolve, reject) => cp.once("open", resolve).once("error", reject));
  const pids = workerdPids(gateway.pid);

  async function round() {
    const target = published + CALLS;
    const done = new Promise((resolve) => (waiter = () => published >= target && resolve()));
    const cpu0 = usage(pids).cpuMs;
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) cp.send(JSON.stringify([2, `h${target}-${i}`, "Heartbeat", {}]));
    await done;
    const seconds = (performance.now() - t0) / 1000;
    const cpuMs = usage(pids).cpuMs - cpu0;
    return { rate: CALLS / seconds, cpuUsPerCall: (cpuMs * 1000) / CALLS };
  }

  const results = { none: [], watcher: [] };
  await round(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    results.none.push(await round());
    if (opt["no-watcher"]) continue;
    const watcher = new WebSocket(`ws://127.0.0.1:${port}/api/v5/gateways/ocpp/clients/${CID}/trace`, { headers: { Authorization: auth } });
    let copies = 0;
    watcher.on("message", () => copies++);
    await new Promise((resolve, reject) => watcher.once("open", resolve).once("error", reject));
    results.watcher.push(await round());
    watcher.close();
    await new Promise((resolve) => watcher.once("close", resolve));
    if (copies < CALLS) throw new Error(`the watcher saw ${copies} records for ${CALLS} calls`);
  }
  for (const [name, rs] of Object.entries(results).filter(([, rs]) => rs.length > 0)) {
    process.stdout.write(`${name.padEnd(8)} ${median(rs.map((r) => r.rate)).toFixed(0).padStart(6)} calls/s   workerd CPU ${median(rs.map((r) => r.cpuUsPerCall)).toFixed(0).padStart(4)} µs/call   (${ROUNDS} rounds of ${CALLS}, median)\n`);
  }
  cp.close();
  await csms.endAsync();
} finally {
  await stopGroup(gateway, 5000);
  await rm(dir, { recursive: true, force: true });
}
