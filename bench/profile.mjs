#!/usr/bin/env node
// A CPU profile of the gateway under the bench's closed-loop load: the embedded broker, the gateway under
// `wrangler dev` with an inspector, the bench's CSMS and charge points; the profile is taken through the inspector
// (Chrome DevTools Protocol) and summarised by function (self and total time).
// Options: --charge-points 50 --seconds 10 --out profile.cpuprofile --interval 200 (µs)
//          --idle N (instead: memory of N idle charge points: JavaScript heap used and reserved, resident)
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import WebSocket from "ws";
import { freePort } from "../scripts/ports.mjs";
import { OFFLINE, waitForHttp } from "../scripts/processes.mjs";
import { ROOT as root, spawnGroup, usage, workerdPids } from "./lib/processes.mjs";
import { waitFor } from "./lib/messages.mjs";

const { values: opt } = parseArgs({
  options: {
    "charge-points": { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
    interval: { type: "string", default: "200" },
    out: { type: "string", default: "" },
    top: { type: "string", default: "40" },
    idle: { type: "string", default: "0" },
  },
});
const say = (line) => process.stdout.write(`[profile] ${line}\n`);
const dir = await mkdtemp(join(tmpdir(), "gateway-profile-"));
const processes = [];
try {
  const broker = spawnGroup(process.execPath, [join(root, "bench", "lib", "broker-process.mjs")], { cwd: root });
  processes.push(broker);
  await new Promise((resolve) => broker.child.stdout.once("data", resolve));
  const { tcpPort } = JSON.parse(broker.output().split("\n")[0]);
  const mqttTcp = `mqtt://127.0.0.1:${tcpPort}`;
  const env = join(dir, "gateway.env");
  await writeFile(env, [`MQTT_URL='${mqttTcp}'`, `MQTT_CLIENT_ID_PREFIX='profile-${process.pid}'`, `GATEWAY_CONFIG='${JSON.stringify({ max_frames_per_second: 0, idle_timeout: "300s" })}'`, ""].join("\n"));
  const port = await freePort();
  const inspector = await freePort();
  const args = [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "-c", join(root, "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspector), "--env-file", env, "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false", "--log-level", "warn");
  const dev = spawnGroup(process.execPath, args, { cwd: root, env: { ...process.env, ...OFFLINE } });
  processes.push(dev);
  await waitForHttp(`http://127.0.0.1:${port}/`, dev.child, 120_000);

  if (Number(opt.idle) > 0) await idleMemory(port, inspector, dev, Number(opt.idle));
  else await cpuProfile(port, inspector, mqttTcp);
} finally {
  for (const p of processes.reverse()) await p.stop();
  await rm(dir, { recursive: true, force: true });
}

/** Closed-loop load from the bench's charge points and CSMS, sampled for --seconds after a 2 s warm-up. */
async function cpuProfile(port, inspector, mqttTcp) {
  const csms = new Worker(new URL("./lib/csms-worker.mjs", import.meta.url), { workerData: { mqttUrl: mqttTcp } });
  await waitFor(csms, "ready");
  const cps = Number(opt["charge-points"]);
  const cids = Array.from({ length: cps }, (_, i) => `prof-cp-${i}`);
  const mix = { Heartbeat: 6, StatusNotification: 1, MeterValues: 3 };
  const load = new Worker(new URL("./lib/load-worker.mjs", import.meta.url), { workerData: { url: `ws://127.0.0.1:${port}/ocpp`, cids, mix, window: 1, ratePerCp: 0, ocpp: "1.6" } });
  await waitFor(load, "connected");

  const cdp = await inspect(inspector);
  const call = cdp.call;
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: Number(opt.interval) });
  // Warm up before sampling.
  const seconds = Number(opt.seconds);
  const warm = waitFor(load, "done");
  load.postMessage({ deadline: Date.now() + (seconds + 3) * 1000 });
  await new Promise((r) => setTimeout(r, 2000));
  await call("Profiler.start");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { result } = await call("Profiler.stop");
  const done = await warm;
  say(`round trips: ${done.completed} in ${seconds + 3} s (${Math.round(done.completed / (seconds + 3))}/s)`);
  const profile = result.profile;
  const busy = busyTime(profile);
  const sampled = (done.completed / (seconds + 3)) * seconds;
  say(`isolate busy ${Math.round(busy.busyUs / 1000)} ms of ${seconds * 1000} ms sampled (garbage collection ${Math.round(busy.gcUs / 1000)} ms): ≈ ${(busy.busyUs / sampled).toFixed(1)} µs per round trip`);
  if (opt.out) await writeFile(opt.out, JSON.stringify(profile));
  const lines = await bundleLines();
  if (opt.out) await writeFile(`${opt.out}.js`, lines.join("\n"));
  summarise(profile, Number(opt.top), lines);
  cdp.close();
  await load.terminate();
  csms.postMessage({ type: "stop" });
  await waitFor(csms, "stopped");
  await csms.terminate();
}

/** JavaScript heap (used and reserved) and resident memory per idle charge point. */
async function idleMemory(port, inspector, dev, n) {
  const cdp = await inspect(inspector);
  const measure = async () => {
    const heap = (await cdp.call("Runtime.getHeapUsage")).result;
    return { heap: heap.usedSize, total: heap.totalSize, rss: usage(workerdPids(dev.child.pid)).rss };
  };
  const before = await measure();
  const cids = Array.from({ length: n }, (_, i) => `idle-${i}`);
  const w = new Worker(new URL("./lib/idle-worker.mjs", import.meta.url), { workerData: { url: `ws://127.0.0.1:${port}/ocpp`, cids, concurrency: 50 } });
  const opened = await waitFor(w, "open");
  await new Promise((r) => setTimeout(r, 15_000));
  const after = await measure();
  const kib = (b) => (b / 1024 / opened.opened).toFixed(1);
  // The inspector of local workerd does not answer HeapProfiler.collectGarbage: the heap figure includes garbage.
  say(`${opened.opened} idle charge points: JavaScript heap used ${kib(after.heap - before.heap)} KiB each, V8 heap reserved ${kib(after.total - before.total)} KiB each, resident ${kib(after.rss - before.rss)} KiB each`);
  cdp.close();
  await w.terminate();
}

/** A DevTools Protocol session with the Worker's inspector. */
async function inspect(inspector) {
  const targets = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((r) => ws.once("open", r));
  let nextId = 1;
  const pending = new Map();
  ws.on("message", (d) => {
    const m = JSON.parse(String(d));
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** The bundle `wrangler dev` serves (its source modules marked by esbuild's `// src/...` comments), by line. */
async function bundleLines() {
  const tmp = join(root, ".wrangler", "tmp");
  for (const d of await readdir(tmp).catch(() => [])) {
    const text = await readFile(join(tmp, d, "index.js"), "utf8").catch(() => undefined);
    if (text !== undefined) return text.split("\n");
  }
  return [];
}

/** Time the isolate spent not idle, and in garbage collection, over the profile (its samples' time deltas). */
function busyTime(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let busyUs = 0;
  let gcUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const fn = byId.get(id);
    if (fn !== "(idle)") busyUs += dt;
    if (fn === "(garbage collector)") gcUs += dt;
  });
  return { busyUs, gcUs };
}

function summarise(profile, top, lines) {
  // The module of each line: the last `// path` marker above it.
  const moduleOf = [];
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:src|node_modules|bench)\/\S+)$/.exec(lines[i]);
    if (m) current = m[1].replace(/^node_modules\//, "");
    moduleOf.push(current);
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url.endsWith("index.js") && moduleOf[f.lineNumber] ? moduleOf[f.lineNumber] : f.url.split("/").slice(-2).join("/");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const self = new Map();
  const incl = new Map();
  for (const [id, c] of counts) {
    const n = byId.get(id);
    self.set(name(n), (self.get(name(n)) ?? 0) + c);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + c);
    }
  }
  const pct = (c) => `${((100 * c) / total).toFixed(1).padStart(5)}%`;
  say(`samples: ${total}`);
  say("self time:");
  for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) say(`  ${pct(c)} ${k}`);
  say("total time:");
  for (const [k, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) say(`  ${pct(c)} ${k}`);
}
