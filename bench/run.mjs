#!/usr/bin/env node
// `npm run bench`: throughput, latency, connections and cost of the gateway (gateway shards), against others
// measured in the same run, each in turn, round after round: today's gateway (the per-charge-point shape, built from
// the commit before the switch: bench/lib/today.mjs), the shard floors (bench/shard: the least a shard can do, in
// several variants) and a self-hosted Node bridge (bench/bridge: ocpp-rpc + MQTT.js, the gateway's topics and
// envelope; its broker over TCP and over WebSocket). Everything runs on this machine: the embedded broker (its own
// process), the gateway as `npm start` runs it (wrangler dev → workerd), the others, a CSMS on MQTT.js that answers
// every call, and simulated charge points on raw `ws` spread over worker threads. The cost model counts billable
// operations on a counted build of the gateway (bench/counted) and prices them (bench/prices.json).
// Options: --charge-points 50 --seconds 10 --mix Heartbeat=6,StatusNotification=1,MeterValues=3 --window 1
//          --rounds 3 --loads 0.25,0.5,0.75,1 --idle 1000 --threads 2 --smoke --out bench-results
//          --targets gateway,today,floors,bridge,bridge-ws --floors std-tcp,hib-tcp,... (see FLOORS)
//          --shards 1 (shard floors: objects, charge point id → shard by FNV-1a mod N)
//          --ocpp 2.0.1 (charge points speak 2.0.1: MeterValues become TransactionEvent Updated with meter values)
//          --storm N (a reconnect storm instead: bench/storm.mjs)
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { costMarkdown, costModel } from "./lib/cost.mjs";
import { countOperations } from "./lib/cost-count.mjs";
import { freePort } from "../scripts/ports.mjs";
import { OFFLINE, waitForHttp } from "../scripts/processes.mjs";
import { machine, openFiles, ROOT as root, spawnGroup, usage, workerdPids, wranglerDevPort } from "./lib/processes.mjs";
import { median } from "./lib/median.mjs";
import { waitFor } from "./lib/messages.mjs";
import { latencyChart } from "./lib/svg.mjs";
import { hasToday, prepareToday, TODAY_COMMIT } from "./lib/today.mjs";
import { runStorm, stormMarkdown } from "./storm.mjs";

const { values: opt } = parseArgs({
  options: {
    "charge-points": { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
    mix: { type: "string", default: "Heartbeat=6,StatusNotification=1,MeterValues=3" },
    window: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    loads: { type: "string", default: "0.25,0.5,0.75,1" },
    idle: { type: "string", default: "1000" },
    threads: { type: "string", default: "2" },
    smoke: { type: "boolean", default: false },
    ocpp: { type: "string", default: "1.6" },
    shards: { type: "string", default: "1" },
    floors: { type: "string", default: "std-tcp,hib-tcp,std-ws,hib-ws,std-tcp-co" },
    targets: { type: "string", default: "gateway,today,floors,bridge,bridge-ws" },
    storm: { type: "string", default: "" },
    out: { type: "string", default: "bench-results" },
  },
});
if (opt.smoke) Object.assign(opt, { "charge-points": "10", seconds: "3", rounds: "1", loads: "0.5,1", idle: "200", floors: "std-tcp", targets: "gateway,floors,bridge" });
const cps = Number(opt["charge-points"]);
const seconds = Number(opt.seconds);
const rounds = Number(opt.rounds);
const threads = Math.max(1, Number(opt.threads));
const win = Number(opt.window);
const mix = Object.fromEntries(opt.mix.split(",").map((kv) => [kv.split("=")[0], Number(kv.split("=")[1])]));
const loads = opt.loads.split(",").filter(Boolean).map(Number);
const idleCounts = opt.idle.split(",").filter(Boolean).map(Number);
if (opt.ocpp !== "1.6" && opt.ocpp !== "2.0.1") throw new Error("--ocpp must be 1.6 or 2.0.1");
const wanted = new Set(opt.targets.split(",").filter(Boolean));

/**
 * Shard floor variants (bench/shard/worker.ts): the kind of socket the charge points get (standard accept() or the
 * Hibernation API), the MQTT transport (TCP through connect(), or WebSocket) and whether MQTT packets produced in
 * one task leave as one write (`co`) or on a 0 ms timer (`com`).
 */
const FLOORS = {
  "std-tcp": { SOCKETS: "standard", MQTT_TRANSPORT: "tcp", COALESCE: "0" },
  "hib-tcp": { SOCKETS: "hibernation", MQTT_TRANSPORT: "tcp", COALESCE: "0" },
  "std-ws": { SOCKETS: "standard", MQTT_TRANSPORT: "ws", COALESCE: "0" },
  "hib-ws": { SOCKETS: "hibernation", MQTT_TRANSPORT: "ws", COALESCE: "0" },
  "std-tcp-co": { SOCKETS: "standard", MQTT_TRANSPORT: "tcp", COALESCE: "micro" },
  "hib-tcp-co": { SOCKETS: "hibernation", MQTT_TRANSPORT: "tcp", COALESCE: "micro" },
  "hib-ws-co": { SOCKETS: "hibernation", MQTT_TRANSPORT: "ws", COALESCE: "micro" },
  "hib-tcp-com": { SOCKETS: "hibernation", MQTT_TRANSPORT: "tcp", COALESCE: "macro" },
};
const floors = wanted.has("floors") ? opt.floors.split(",").filter(Boolean) : [];
for (const f of floors) if (!(f in FLOORS)) throw new Error(`unknown floor '${f}' (known: ${Object.keys(FLOORS).join(", ")})`);

/** Targets of the shape that ships, with the figures the issue sets (ratios from one run). */
const GOALS = { throughputVsToday: 2.0, p99VsToday: 0.5, throughputVsFloor: 0.85, memoryVsToday: 0.5, costPerChargerYear: 0.05 };

const say = (line) => process.stdout.write(`[bench] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 1000);

function split(list, parts) {
  return Array.from({ length: parts }, (_, i) => list.filter((_, k) => k % parts === i)).filter((l) => l.length > 0);
}

/** Closed loop (ratePerCp 0) or paced load from `count` charge points for `secs` seconds. */
async function loadPhase(target, { count, secs, ratePerCp }) {
  const cids = Array.from({ length: count }, (_, i) => `${target.name}-cp-${i}`);
  const workers = split(cids, threads).map(
    (part) => new Worker(new URL("./lib/load-worker.mjs", import.meta.url), { workerData: { url: target.url, cids: part, mix, window: win, ratePerCp, ocpp: opt.ocpp } }),
  );
  await Promise.all(workers.map((w) => waitFor(w, "connected")));
  const before = usage(target.pids());
  const started = Date.now();
  const deadline = started + secs * 1000;
  const done = workers.map((w) => waitFor(w, "done"));
  for (const w of workers) w.postMessage({ deadline });
  const results = await Promise.all(done);
  const after = usage(target.pids());
  await Promise.all(workers.map((w) => w.terminate()));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const completed = results.reduce((s, r) => s + r.completed, 0);
  return {
    target: target.name,
    chargePoints: count,
    seconds: secs,
    offered: ratePerCp > 0 ? ratePerCp * count : null,
    completed,
    throughput: completed / secs,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: results.reduce((s, r) => s + r.errors, 0),
    callErrors: results.reduce((s, r) => s + r.callErrors, 0),
    cpuMsPerMessage: completed > 0 ? (after.cpuMs - before.cpuMs) / completed : NaN,
  };
}

/** Opens `n` idle charge points as fast as they are accepted; resident memory per connection once settled. */
async function idlePhase(target, n) {
  const rssBefore = usage(target.pids()).rss;
  const filesBefore = openFiles(target.pids());
  const cids = Array.from({ length: n }, (_, i) => `${target.name}-idle-${n}-${i}`);
  const workers = split(cids, threads).map(
    (part) => new Worker(new URL("./lib/idle-worker.mjs", import.meta.url), { workerData: { url: target.url, cids: part, concurrency: Math.ceil(100 / threads) } }),
  );
  const opened = await Promise.all(workers.map((w) => waitFor(w, "open")));
  const ms = Math.max(...opened.map((o) => o.ms));
  const count = opened.reduce((s, o) => s + o.opened, 0);
  const filesOpen = openFiles(target.pids());
  // Let idle objects hibernate (the runtime evicts them after about 10 s) before reading memory; the Node bridge
  // has nothing to evict.
  await sleep(target.name.startsWith("bridge") ? 2_000 : 12_000);
  const rssAfter = usage(target.pids()).rss;
  const closed = workers.map((w) => waitFor(w, "closed"));
  for (const w of workers) w.postMessage("close");
  await Promise.all(closed);
  await Promise.all(workers.map((w) => w.terminate()));
  await sleep(5_000);
  return {
    target: target.name,
    requested: n,
    opened: count,
    failed: opened.reduce((s, o) => s + o.failed, 0),
    setupPerSecond: count / (ms / 1000),
    rssDeltaMiB: (rssAfter - rssBefore) / 1048576,
    rssPerChargePointKiB: (rssAfter - rssBefore) / Math.max(1, count) / 1024,
    // Local workerd keeps sockets (and, per charge point object, SQLite files) open: this bounds what one process holds.
    openFilesPerChargePoint: (filesOpen - filesBefore) / Math.max(1, count),
    openFilesPeak: filesOpen,
  };
}

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = await mkdtemp(join(tmpdir(), "ocpp-bench-"));
  const processes = [];
  let cleaning;
  // Once, whether a signal or the end of the run asks first.
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const p of [...processes].reverse()) await p.stop();
      await rm(dir, { recursive: true, force: true });
    })());
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void cleanup().then(() => process.exit(130)));

  try {
    const broker = spawnGroup(process.execPath, [join(root, "bench", "lib", "broker-process.mjs")], { cwd: root });
    processes.push(broker);
    await new Promise((resolve, reject) => {
      broker.child.stdout.once("data", resolve);
      broker.child.once("exit", (code) => reject(new Error(`the broker exited (${code}):\n${broker.output()}`)));
    });
    const { wsPort, tcpPort } = JSON.parse(broker.output().split("\n")[0]);
    const mqttWs = `ws://127.0.0.1:${wsPort}/mqtt`;
    const mqttTcp = `mqtt://127.0.0.1:${tcpPort}`;
    /**
     * Each gateway under a mountpoint of its own: on a shared one, today's gateway (subscribed to every charge
     * point's downstream topic) also took every command meant for the shards' charge points, and its work slowed
     * the shards' phase 2.3-fold on this 2-core machine (3,247 round trips/s alone, 1,383 beside it).
     */
    const benchConfig = (mountpoint) => JSON.stringify({ mountpoint, max_frames_per_second: 0, idle_timeout: "300s" });

    /** A gateway started by a `start.mjs` (this one, or today's), as `npm start` starts it, under `mountpoint`. */
    const startGateway = async (name, script, mqttUrl, mountpoint) => {
      const port = await freePort();
      const proc = spawnGroup(process.execPath, [script], {
        cwd: join(script, "..", ".."),
        env: {
          ...process.env,
          PORT: String(port),
          MQTT_URL: mqttUrl,
          GATEWAY_STATE_DIR: join(dir, name),
          MQTT_CLIENT_ID_PREFIX: `bench-${name}-${process.pid}`,
          WRANGLER_LOG: "warn",
          // Per-charge-point frame rate limit off (the load is far above what a real charger sends); idle
          // connections may stay for the connection test.
          GATEWAY_CONFIG: benchConfig(mountpoint),
        },
      });
      processes.push(proc);
      await new Promise((resolve, reject) => {
        const ready = () => proc.output().includes("Press Ctrl-C") && resolve(undefined);
        proc.child.stdout.on("data", ready);
        proc.child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${proc.output()}`)));
      });
      // Measured at `wrangler dev` itself, as the floors are: npm start's front stands in for Cloudflare's edge,
      // which is not this gateway's work (README: about 1–2 ms more per round trip here).
      // Today's start.mjs puts the same front before wrangler but does not print wrangler's port: read from its
      // command line then.
      const inner = /wrangler dev: +http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.output());
      return { proc, port: inner !== null ? Number(inner[1]) : (wranglerDevPort(proc.child.pid) ?? port) };
    };
    // start.mjs compiles the schemas the counted build shares; the shards reach the broker over TCP.
    const gateway = await startGateway("gateway", join(root, "scripts", "start.mjs"), mqttTcp, "ocpp/");
    let today;
    if (wanted.has("today")) {
      if (hasToday(root)) {
        // The per-charge-point shape spoke MQTT over WebSocket only.
        today = await startGateway("today", await prepareToday(root, join(dir, "today-src")), mqttWs, "today/");
      } else {
        say(`today's gateway left out: commit ${TODAY_COMMIT} is not in this repository's history (a shallow clone?)`);
      }
    }

    /** A Worker under `wrangler dev` (offline), with variables and an optional entry point of its own. */
    const wranglerDev = async (name, { config, script, vars = {}, envFile }) => {
      const port = await freePort();
      const args = [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", ...(script ? [script] : []), "-c", config];
      args.push("--ip", "127.0.0.1", "--port", String(port), "--inspector-port", "0");
      for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
      if (envFile) args.push("--env-file", envFile);
      args.push("--persist-to", join(dir, name), "--show-interactive-dev-session=false", "--log-level", "warn");
      const proc = spawnGroup(process.execPath, args, { cwd: root, env: { ...process.env, ...OFFLINE } });
      processes.push(proc);
      await waitForHttp(`http://127.0.0.1:${port}/`, proc.child, 120_000);
      return { proc, port };
    };
    // The counted gateway: the same code and configuration under its own mountpoint (count/), with a CSMS of its own.
    const countedEnv = join(dir, "counted.env");
    await writeFile(
      countedEnv,
      [
        `MQTT_URL='${mqttTcp}'`,
        `MQTT_CLIENT_ID_PREFIX='bench-counted-${process.pid}'`,
        `GATEWAY_CONFIG='${JSON.stringify({ mountpoint: "count/", max_frames_per_second: 0, idle_timeout: "300s" })}'`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    // Started together: each waits for its own workerd.
    const [counted, ...floorDevs] = await Promise.all([
      wranglerDev("counted", { config: join(root, "wrangler.toml"), script: join(root, "bench", "counted", "index.ts"), envFile: countedEnv }),
      ...floors.map((f) =>
        wranglerDev(`floor-${f}`, {
          config: join(root, "bench", "shard", "wrangler.toml"),
          vars: {
            ...FLOORS[f],
            ROOT: `shard-${f}`,
            MQTT_URL: mqttWs,
            MQTT_TCP: `127.0.0.1:${tcpPort}`,
            MQTT_CLIENT_ID_PREFIX: `bench-floor-${f}-${process.pid}`,
            SHARDS: String(Number(opt.shards) || 1),
          },
        }),
      ),
    ]);

    /** A Node bridge (ocpp-rpc + MQTT.js) reaching the broker at `mqttUrl`, under its own mountpoint. */
    const startBridge = async (mqttUrl, mountpoint) => {
      const bridge = spawnGroup(process.execPath, [join(root, "bench", "bridge", "bridge.mjs")], {
        cwd: root,
        env: { ...process.env, PORT: "0", MQTT_URL: mqttUrl, MOUNTPOINT: mountpoint },
      });
      processes.push(bridge);
      const port = await new Promise((resolve, reject) => {
        bridge.child.stdout.once("data", (d) => resolve(JSON.parse(String(d).split("\n")[0]).port));
        bridge.child.once("exit", (code) => reject(new Error(`the bridge exited (${code}):\n${bridge.output()}`)));
      });
      return { bridge, port };
    };
    const bridgeTcp = wanted.has("bridge") ? await startBridge(mqttTcp, "bridge/") : undefined;
    const bridgeWs = wanted.has("bridge-ws") ? await startBridge(mqttWs, "bridgews/") : undefined;

    const csms = new Worker(new URL("./lib/csms-worker.mjs", import.meta.url), {
      workerData: { mqttUrl: mqttTcp, extraRoots: [...floors.map((f) => `shard-${f}`), "bridgews", "today"] },
    });
    await waitFor(csms, "ready");

    const targets = {};
    const gatewayTarget = (name, g) => ({ name, url: `ws://127.0.0.1:${g.port}/ocpp`, pids: () => workerdPids(g.proc.child.pid) });
    if (wanted.has("gateway")) targets.gateway = gatewayTarget("gateway", gateway);
    if (today) targets.today = gatewayTarget("today", today);
    floors.forEach((f, i) => {
      const dev = floorDevs[i];
      targets[`floor-${f}`] = { name: `floor-${f}`, url: `ws://127.0.0.1:${dev.port}/ocpp`, pids: () => workerdPids(dev.proc.child.pid) };
    });
    if (bridgeTcp) targets.bridge = { name: "bridge", url: `ws://127.0.0.1:${bridgeTcp.port}`, pids: () => [bridgeTcp.bridge.child.pid] };
    if (bridgeWs) targets["bridge-ws"] = { name: "bridge-ws", url: `ws://127.0.0.1:${bridgeWs.port}`, pids: () => [bridgeWs.bridge.child.pid] };
    say(`targets: ${Object.values(targets).map((t) => `${t.name} ${t.url}`).join(", ")}; counted gateway :${counted.port}, broker ${mqttTcp}`);
    const all = Object.values(targets);

    say("warm-up");
    for (const t of all) await loadPhase(t, { count: cps, secs: Math.min(3, seconds), ratePerCp: 0 });

    const throughput = [];
    for (let r = 0; r < rounds; r++) {
      for (const t of all) {
        const result = await loadPhase(t, { count: cps, secs: seconds, ratePerCp: 0 });
        throughput.push({ round: r + 1, ...result });
        say(`round ${r + 1} ${t.name}: ${result.throughput.toFixed(0)} round trips/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, errors ${result.errors + result.callErrors}, CPU ${result.cpuMsPerMessage.toFixed(3)} ms/message`);
      }
    }
    const summaryOf = (name) => {
      const rs = throughput.filter((r) => r.target === name);
      return {
        throughput: median(rs.map((r) => r.throughput)),
        p50: median(rs.map((r) => r.p50)),
        p95: median(rs.map((r) => r.p95)),
        p99: median(rs.map((r) => r.p99)),
        errors: rs.reduce((s, r) => s + r.errors + r.callErrors, 0),
        cpuMsPerMessage: median(rs.map((r) => r.cpuMsPerMessage)),
      };
    };
    const summaries = Object.fromEntries(all.map((t) => [t.name, summaryOf(t.name)]));
    /** Each round's own ratio of two targets' figures (the rounds alternate, so a busy machine affects both). */
    const roundRatios = (a, b, key) =>
      Array.from({ length: rounds }, (_, i) => {
        const x = throughput.find((r) => r.target === a && r.round === i + 1)?.[key];
        const y = throughput.find((r) => r.target === b && r.round === i + 1)?.[key];
        return x / y;
      });

    const byLoad = [];
    const compared = [targets.gateway, targets.today].filter(Boolean);
    const peak = Math.min(...compared.map((t) => summaries[t.name].throughput));
    for (const f of compared.length > 0 ? loads : []) {
      const perCp = (f * peak) / cps;
      for (const t of compared) {
        const result = await loadPhase(t, { count: cps, secs: Math.max(3, Math.round(seconds / 2)), ratePerCp: perCp });
        byLoad.push({ fraction: f, ...result });
        say(`load ${(f * peak).toFixed(0)}/s ${t.name}: p50 ${result.p50.toFixed(2)} p95 ${result.p95.toFixed(2)} p99 ${result.p99.toFixed(2)} ms`);
      }
    }

    const idle = [];
    for (const n of idleCounts) {
      for (const t of all) {
        const result = await idlePhase(t, n);
        idle.push(result);
        say(`${n} idle ${t.name}: ${result.opened} open (${result.failed} failed), ${result.setupPerSecond.toFixed(0)} connections/s, ${result.rssPerChargePointKiB.toFixed(1)} KiB resident per charge point`);
      }
    }

    csms.postMessage({ type: "stop" });
    await waitFor(csms, "stopped");
    await csms.terminate();

    say("counting billable operations on the counted gateway");
    const counts = await countOperations({
      url: `ws://127.0.0.1:${counted.port}/ocpp`,
      countersUrl: `http://127.0.0.1:${counted.port}/__bench/counters`,
      mqttUrl: mqttTcp,
      chargePoints: opt.smoke ? 5 : 20,
      calls: opt.smoke ? 3 : 10,
      timerSeconds: opt.smoke ? 4 : 12,
      // The shard's watchdog fires once a minute: a smoke run does not wait for it (and prices none).
      minAlarmWaitMs: opt.smoke ? 0 : 150_000,
    });
    const prices = JSON.parse(await readFile(join(root, "bench", "prices.json"), "utf8"));
    const cost = costModel(prices, counts);

    const memoryOf = (name, n) => idle.find((r) => r.target === name && r.requested === n)?.rssPerChargePointKiB ?? NaN;
    const floorNames = all.map((t) => t.name).filter((n) => n.startsWith("floor-"));
    const fastestFloor = floorNames.sort((a, b) => summaries[b].throughput - summaries[a].throughput)[0];
    const g = summaries.gateway ?? summaryOf("gateway");
    const t = summaries.today ?? summaryOf("today");
    const fl = fastestFloor === undefined ? summaryOf("none") : summaries[fastestFloor];
    const n0 = idleCounts[0];
    const targetsMet = {
      throughputVsToday: { value: g.throughput / t.throughput, rounds: roundRatios("gateway", "today", "throughput"), goal: `≥ ${GOALS.throughputVsToday}` },
      p99VsToday: { value: g.p99 / t.p99, rounds: roundRatios("gateway", "today", "p99"), goal: `≤ ${GOALS.p99VsToday}` },
      throughputVsFloor: { value: g.throughput / fl.throughput, rounds: fastestFloor ? roundRatios("gateway", fastestFloor, "throughput") : [], goal: `≥ ${GOALS.throughputVsFloor}`, floor: fastestFloor },
      memoryVsToday: { value: memoryOf("gateway", n0) / memoryOf("today", n0), goal: `≤ ${GOALS.memoryVsToday}` },
      costPerChargerYear: { value: cost.headline.total, goal: `≤ $${GOALS.costPerChargerYear}` },
    };
    const met = {
      throughputVsToday: targetsMet.throughputVsToday.value >= GOALS.throughputVsToday,
      p99VsToday: targetsMet.p99VsToday.value <= GOALS.p99VsToday,
      throughputVsFloor: targetsMet.throughputVsFloor.value >= GOALS.throughputVsFloor,
      memoryVsToday: targetsMet.memoryVsToday.value <= GOALS.memoryVsToday,
      costPerChargerYear: targetsMet.costPerChargerYear.value <= GOALS.costPerChargerYear,
    };
    const result = {
      when: new Date().toISOString(),
      machine: machine(),
      options: { chargePoints: cps, seconds, mix, window: win, rounds, loads, idle: idleCounts, threads, smoke: opt.smoke, ocpp: opt.ocpp, shards: Number(opt.shards), floors, todayCommit: TODAY_COMMIT },
      throughput,
      summaries,
      targets: targetsMet,
      met,
      byLoad,
      idle,
      cost,
    };

    // An absolute --out is used as given (join would put it under the project).
    const outDir = resolvePath(root, opt.out);
    await mkdir(outDir, { recursive: true });
    const jsonFile = join(outDir, `bench-${stamp}.json`);
    await writeFile(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
    const svg = latencyChart(
      [
        ...[
          ["gateway", false],
          ["today", true],
        ].flatMap(([target, dashed]) =>
          ["p50", "p95", "p99"].map((p, i) => ({
            name: `${target} ${p}`,
            color: ["#1b9e77", "#d95f02", "#7570b3"][i],
            dashed,
            points: byLoad.filter((r) => r.target === target).map((r) => ({ x: r.offered, y: r[p] })),
          })),
        ),
      ],
      `Round-trip latency vs offered load: ${cps} charge points, window ${win} (solid: gateway shards, dashed: today's gateway)`,
    );
    await writeFile(join(outDir, "latency.svg"), svg);
    const md = `${markdown(result)}\n\n${costMarkdown(prices, cost)}`;
    await writeFile(join(outDir, "summary.md"), md);
    process.stdout.write(`\n${md}\n`);
    say(`written: ${jsonFile}, ${join(outDir, "summary.md")}, ${join(outDir, "latency.svg")}`);
  } finally {
    await cleanup();
  }
}

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

const NAMES = {
  gateway: "gateway shards (this build)",
  today: "today's gateway (per-charge-point objects)",
  bridge: "Node bridge (ocpp-rpc + MQTT.js, MQTT over TCP)",
  "bridge-ws": "Node bridge (ocpp-rpc + MQTT.js, MQTT over WebSocket)",
};
const FLOOR_WORDS = {
  hib: "Hibernation API sockets",
  std: "standard accept() sockets",
  ws: "MQTT over WebSocket",
  tcp: "MQTT over TCP (connect())",
  co: "writes coalesced per task",
  com: "writes coalesced per 0 ms timer",
};
/** A target's name in the tables. */
function nameOf(target) {
  if (NAMES[target] !== undefined) return NAMES[target];
  if (target.startsWith("floor-")) return `shard floor: ${target.slice(6).split("-").map((w) => FLOOR_WORDS[w] ?? w).join(", ")}`;
  return target;
}

function markdown(r) {
  const rounds = (xs) => (xs && xs.length > 0 ? ` (${xs.map((x) => f(x)).join(", ")})` : "");
  const t = r.targets;
  const yes = (ok) => (ok ? "met" : "NOT met");
  const n0 = r.options.idle[0];
  const memory = (name) => r.idle.find((i) => i.target === name && i.requested === n0)?.rssPerChargePointKiB;
  const bridge = r.summaries.bridge;
  const rel = (name, key) => (bridge === undefined ? "n/a" : `${f(r.summaries[name][key] / bridge[key])}×`);
  const memRel = (name) => (memory("bridge") === undefined ? "n/a" : `${f(memory(name) / memory("bridge"))}×`);
  const lines = [
    `## Benchmark ${r.when}`,
    "",
    `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}. ${r.options.chargePoints} charge points, window ${r.options.window}, ${r.options.seconds} s per phase, ${r.options.rounds} rounds (every target in turn), mix ${JSON.stringify(r.options.mix)}, OCPP ${r.options.ocpp}. Today's gateway: commit ${r.options.todayCommit.slice(0, 7)}.`,
    "",
    "Targets (medians of the rounds; each round's own ratio in brackets):",
    "",
    "| figure | measured | target | |",
    "|---|---:|---|---|",
    `| round trips/s vs today's gateway | ${f(t.throughputVsToday.value)}×${rounds(t.throughputVsToday.rounds)} | ${t.throughputVsToday.goal} | ${yes(r.met.throughputVsToday)} |`,
    `| p99 vs today's gateway | ${f(t.p99VsToday.value)}×${rounds(t.p99VsToday.rounds)} | ${t.p99VsToday.goal} | ${yes(r.met.p99VsToday)} |`,
    `| round trips/s vs the fastest shard floor (${t.throughputVsFloor.floor === undefined ? "none" : nameOf(t.throughputVsFloor.floor)}) | ${f(t.throughputVsFloor.value)}×${rounds(t.throughputVsFloor.rounds)} | ${t.throughputVsFloor.goal} | ${yes(r.met.throughputVsFloor)} |`,
    `| resident memory per idle connected charge point vs today (${n0}) | ${f(t.memoryVsToday.value)}× | ${t.memoryVsToday.goal} | ${yes(r.met.memoryVsToday)} |`,
    `| cost per charger per year, 10k chargers, default profile (counted) | $${f(t.costPerChargerYear.value, 3)} | ${t.costPerChargerYear.goal} | ${yes(r.met.costPerChargerYear)} |`,
    "",
    `Side by side; ratios against the Node bridge (MQTT over TCP):`,
    "",
    `| target | round trips/s | vs bridge | p50 ms | p99 ms | vs bridge | resident KiB per idle charge point (${n0}) | vs bridge | CPU ms per round trip | errors |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...Object.entries(r.summaries).map(
      ([name, s]) =>
        `| ${nameOf(name)} | ${f(s.throughput, 0)} | ${rel(name, "throughput")} | ${f(s.p50)} | ${f(s.p99)} | ${rel(name, "p99")} | ${f(memory(name), 1)} | ${memRel(name)} | ${f(s.cpuMsPerMessage, 3)} | ${s.errors} |`,
    ),
    "",
    "CPU per round trip is the target's own processes (workerd, or the bridge's node); the broker and CSMS are shared.",
    "",
    `| idle charge points | target | opened | failed | connections/s | resident KiB per charge point | open files per charge point (limit ${r.machine.openFileLimit} per process) |`,
    "|---:|---|---:|---:|---:|---:|---:|",
    ...r.idle.map((i) => `| ${i.requested} | ${nameOf(i.target)} | ${i.opened} | ${i.failed} | ${f(i.setupPerSecond, 0)} | ${f(i.rssPerChargePointKiB, 1)} | ${f(i.openFilesPerChargePoint, 1)} |`),
    "",
    "| offered load / s | target | achieved / s | p50 ms | p95 ms | p99 ms |",
    "|---:|---|---:|---:|---:|---:|",
    ...r.byLoad.map((l) => `| ${f(l.offered, 0)} | ${nameOf(l.target)} | ${f(l.throughput, 0)} | ${f(l.p50)} | ${f(l.p95)} | ${f(l.p99)} |`),
  ];
  return lines.join("\n");
}

const run = opt.storm ? runStorm({ n: Number(opt.storm), threads, concurrency: 250 }).then((r) => process.stdout.write(`\n${stormMarkdown(r, 1)}\n`)) : main();
run.catch((error) => {
  process.stderr.write(`[bench] ${error.stack ?? error}\n`);
  process.exit(1);
});
