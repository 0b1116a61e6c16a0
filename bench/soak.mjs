#!/usr/bin/env node
// `npm run soak`: N charge points (OCPP 1.6 and 2.0.1, half each) against the gateway as `npm start` runs it, with
// Debian's mosquitto (persistence on) behind a TCP proxy that can cut or blackhole the link, and a CSMS on MQTT.js,
// while faults come on a seeded schedule: broker restart and hard kill, network cut and blackhole, gateway restart,
// charge points dropping or going silent. Every message is accounted for (bench/soak/ledger.mjs); the run prints a
// table and exits 1 when anything was lost or went to the wrong charge point, a charge point was closed for
// silence while the gateway held its call, the fleet was not relaying within 5 s of a broker or network return
// (reported but not checked in a --smoke run: a time on a shared machine), or another check failed
// (bench/soak/report.mjs).
// Options: --chargers 1000 --minutes 10 (or --seconds) --each 2 (faults of each kind) --seed N --pace 1
//          --heartbeat 60 (s, the CSMS's interval) --commands 0.5 (per charge point per minute)
//          --faults kind,kind (default: all) --outages broker=2-20,net=3-60,silent=5-40 (s)
//          --smoke (100 charge points, 60 s, one fault of each kind, short outages) --out bench-results
// Debugging: SOAK_GATEWAY_LOG, SOAK_BROKER_LOG, SOAK_MONITOR (files; docs/reliability.md).
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../scripts/ports.mjs";
import { Mosquitto } from "./soak/broker.mjs";
import { SoakCharger } from "./soak/charger.mjs";
import { SoakCsms } from "./soak/csms.mjs";
import { Gateway } from "./soak/gateway.mjs";
import { Ledger } from "./soak/ledger.mjs";
import { FaultProxy } from "./soak/proxy.mjs";
import { report } from "./soak/report.mjs";
import { rng } from "./soak/rng.mjs";

const { values: opt } = parseArgs({
  options: {
    chargers: { type: "string", default: "1000" },
    minutes: { type: "string", default: "10" },
    seconds: { type: "string", default: "" },
    each: { type: "string", default: "2" },
    seed: { type: "string", default: "" },
    pace: { type: "string", default: "1" },
    heartbeat: { type: "string", default: "60" },
    commands: { type: "string", default: "0.5" }, // per charge point per minute
    faults: { type: "string", default: "" }, // kinds to inject (comma-separated); default: every kind
    outages: { type: "string", default: "" }, // e.g. net=30-40,broker=2-5,silent=5-10 (seconds)
    smoke: { type: "boolean", default: false },
    out: { type: "string", default: "bench-results" },
  },
});
if (opt.smoke) {
  const given = new Set(process.argv.slice(2).filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]));
  const smoke = { chargers: "100", seconds: "60", each: "1", pace: "3", heartbeat: "20", commands: "2" };
  for (const [k, v] of Object.entries(smoke)) if (!given.has(k)) opt[k] = v;
}
const seed = opt.seed === "" ? randomBytes(4).readUInt32BE() : Number(opt.seed);
// Separate streams, so that what depends on timing (how many commands go out) does not shift the rest.
const random = rng(seed); // versions and each charge point's own stream
const faultRandom = rng(seed ^ 0x5eed); // the schedule, outages and which charge points a fault hits
const commandRandom = rng(seed ^ 0xc0de); // commands: when, to whom, which
const N = Number(opt.chargers);
const durationMs = (opt.seconds ? Number(opt.seconds) : Number(opt.minutes) * 60) * 1000;
const short = opt.smoke;
const say = (line) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Between one fault's return and the next fault: the recovery target (5 s) and a second more. */
const GAP_MS = 6000;
const KINDS = ["broker-restart", "broker-kill", "net-cut", "net-blackhole", "gateway-restart", "charger-drop", "charger-blackhole"];
/** Outages in seconds: the broker down, the network broken, charge points silent. */
const OUTAGE = short ? { broker: [2, 5], net: [2, 6], silent: [3, 8] } : { broker: [2, 20], net: [3, 60], silent: [5, 40] };
for (const part of opt.outages.split(",").filter(Boolean)) {
  const [kind, range] = part.split("=");
  if (!(kind in OUTAGE) || !/^\d+(\.\d+)?-\d+(\.\d+)?$/.test(range ?? "")) throw new Error(`--outages: '${part}' is not broker|net|silent=min-max`);
  OUTAGE[kind] = range.split("-").map(Number);
}

say(`seed ${seed} (repeat with --seed ${seed}); ${N} charge points, ${durationMs / 1000} s, ${opt.each} fault(s) of each kind`);
const dir = await mkdtemp(join(tmpdir(), "gateway-soak-"));
// Interrupted (Ctrl-C, a CI timeout) or crashed: stop the gateway, the broker and the rest before leaving.
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
process.once("uncaughtException", (e) => {
  say(`crashed: ${e.stack ?? e}`);
  void cleanUp().finally(() => process.exit(1));
});
const ledger = new Ledger();
const faults = [];
let broker;
let proxy;
let gateway;
let csms;
let chargers = [];
let exitCode = 1;
try {
  const brokerPort = await freePort();
  await mkdir(join(dir, "broker"));
  // mosquitto started as root runs as the user `mosquitto`: it must be able to write its database here.
  await chmod(dir, 0o755);
  await chmod(join(dir, "broker"), 0o777);
  broker = new Mosquitto(join(dir, "broker"), brokerPort);
  await broker.start();
  proxy = new FaultProxy(brokerPort);
  await proxy.start();
  const adminSecret = randomBytes(24).toString("hex");
  gateway = new Gateway({ port: await freePort(), stateDir: join(dir, "state"), mqttUrl: `mqtt://127.0.0.1:${proxy.port}`, clientIdPrefix: `soak-${seed}`, adminKey: "soak", adminSecret });
  say("starting the gateway (npm start, broker through the proxy)");
  await gateway.start();

  // The schedule, drawn before anything runs: every kind `each` times, shuffled.
  const plan = [];
  const kinds = opt.faults === "" ? KINDS : opt.faults.split(",").filter(Boolean);
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`--faults: no fault kind '${k}' (${KINDS.join(", ")})`);
  for (let i = 0; i < Number(opt.each); i++) plan.push(...kinds);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = faultRandom.int(0, i);
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  const versions = new Map();
  const ids = Array.from({ length: N }, (_, i) => `soak-${String(i).padStart(5, "0")}`);
  for (const cid of ids) versions.set(cid, random.next() < 0.5 ? "1.6" : "2.0.1");
  csms = new SoakCsms({ url: `mqtt://127.0.0.1:${brokerPort}`, ledger, versions, heartbeatS: Number(opt.heartbeat), clientId: `soak-csms-${seed}` });
  await csms.start();
  if (process.env.SOAK_MONITOR) monitor(`mqtt://127.0.0.1:${brokerPort}`, process.env.SOAK_MONITOR);

  const wsUrl = `ws://127.0.0.1:${gateway.o.port}/ocpp`;
  chargers = ids.map((cid) => new SoakCharger({ url: wsUrl, cid, version: versions.get(cid), ledger, random: rng(random.int(1, 2 ** 31)), pace: Number(opt.pace) }));
  const byId = new Map(chargers.map((c) => [c.cid, c]));
  // Connections spread over a few seconds (50 per 100 ms), as a fleet comes online.
  for (let i = 0; i < chargers.length; i++) {
    chargers[i].start();
    if (i % 50 === 49) await sleep(100);
  }
  const booted = async (list, timeoutMs) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !list.every((c) => c.booted)) await sleep(250);
    return list.filter((c) => c.booted).length;
  };
  const warm = Date.now();
  say(`booted: ${await booted(chargers, 120_000)} of ${N} in ${((Date.now() - warm) / 1000).toFixed(1)} s`);
  const start = { booted: chargers.filter((c) => c.booted).length, rss: gateway.rss(), objects: gateway.objects(), clients: await gateway.clients() };
  say(`gateway: ${(start.rss / 2 ** 20).toFixed(0)} MiB resident, ${start.objects} objects with storage, ${start.clients} clients connected`);

  // Commands from the CSMS at a steady rate, to random charge points (connected or not).
  const perSecond = (N * Number(opt.commands)) / 60;
  let commanding = true;
  const commander = (async () => {
    while (commanding) {
      await sleep(-Math.log(1 - commandRandom.next()) * (1000 / perSecond));
      if (commanding) csms.command(commandRandom.pick(ids), commandRandom.next());
    }
  })();

  // Spread over the run, one fault at a time (a fault that runs long pushes the next one back).
  const began = Date.now();
  const slot = (durationMs * 0.85) / plan.length;
  for (let i = 0; i < plan.length; i++) {
    // A fault starts at least GAP_MS after the previous one's return: recovery is measured against a return that
    // lasts (one fault right after another is one longer outage, and the run gets longer instead).
    const planned = began + durationMs * 0.05 + i * slot + faultRandom.between(0, slot * 0.2);
    const at = Math.max(planned, (faults.at(-1)?.returnAt ?? 0) + GAP_MS);
    if (at > Date.now()) await sleep(at - Date.now());
    faults.push(await inject(plan[i], byId));
    const f = faults.at(-1);
    say(`${f.kind}: ${f.detail}; back after ${((f.returnAt - f.startAt) / 1000).toFixed(1)} s`);
  }
  if (began + durationMs > Date.now()) await sleep(began + durationMs - Date.now());

  say("load over: draining (no new calls or commands; waiting for everything open to settle)");
  commanding = false;
  await commander;
  for (const c of chargers) c.drain();
  const drainUntil = Date.now() + 200_000;
  while (Date.now() < drainUntil && (ledger.open() > 0 || !chargers.every((c) => c.idle()))) await sleep(500);
  // Heartbeats went on while draining (a charge point that stops them is closed for silence); now they stop, and
  // the last ones settle, so none is caught in flight by the count.
  for (const c of chargers) c.stopHeartbeats();
  const settleUntil = Date.now() + 30_000;
  while (Date.now() < settleUntil && (ledger.open() > 0 || !chargers.every((c) => c.idle()))) await sleep(200);
  const end = { rss: gateway.rss(), objects: gateway.objects(), clients: await gateway.clients().catch(() => NaN) };
  const repeat = [
    `--chargers ${N} --seconds ${durationMs / 1000} --each ${opt.each} --pace ${opt.pace} --heartbeat ${opt.heartbeat} --commands ${opt.commands}`,
    `--outages broker=${OUTAGE.broker.join("-")},net=${OUTAGE.net.join("-")},silent=${OUTAGE.silent.join("-")}`,
    ...(opt.faults ? [`--faults ${opt.faults}`] : []),
    `--seed ${seed}`,
  ].join(" ");
  const result = report({ ledger, faults, start, end, seed, repeat, options: { chargers: N, durationS: durationMs / 1000, each: Number(opt.each), pace: Number(opt.pace) }, chargers, gateTiming: !opt.smoke });
  await mkdir(opt.out, { recursive: true });
  await writeFile(join(opt.out, "soak-summary.md"), result.markdown);
  await writeFile(join(opt.out, `soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify(result.data, null, 2));
  process.stdout.write(`\n${result.markdown}\n`);
  exitCode = result.passed ? 0 : 1;
  if (process.env.SOAK_GATEWAY_LOG) await writeFile(process.env.SOAK_GATEWAY_LOG, gateway.output());
} catch (e) {
  say(`failed: ${e.stack ?? e}`);
  if (gateway) say(`gateway output (last 3,000 characters): ${gateway.output().slice(-3000)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);

/** Stops everything this run started, each part on its own (one failing does not leave the others running). */
async function cleanUp() {
  for (const c of chargers) c.stop();
  for (const step of [() => csms?.stop(), () => gateway?.stop(), () => proxy?.close(), () => broker?.stop(), () => rm(dir, { recursive: true, force: true })]) {
    try {
      await step();
    } catch (e) {
      say(`clean-up: ${e.message ?? e}`);
    }
  }
}

/** Runs one fault to its end: `returnAt` is when what failed is back (broker listening, link healed, gateway serving). */
async function inject(kind, byId) {
  const startAt = Date.now();
  const f = { kind, startAt, returnAt: 0, detail: "" };
  const secs = (range) => faultRandom.between(range[0], range[1]);
  switch (kind) {
    case "broker-restart":
    case "broker-kill": {
      const down = secs(OUTAGE.broker);
      await broker.stop(kind === "broker-kill" ? "SIGKILL" : "SIGTERM");
      await sleep(down * 1000);
      await broker.start();
      f.detail = `${kind === "broker-kill" ? "SIGKILL" : "SIGTERM"}, down ${down.toFixed(1)} s`;
      break;
    }
    case "net-cut":
    case "net-blackhole": {
      const down = secs(OUTAGE.net);
      if (kind === "net-cut") proxy.cut();
      else proxy.blackhole();
      await sleep(down * 1000);
      proxy.heal();
      f.detail = `${down.toFixed(1)} s`;
      break;
    }
    case "gateway-restart": {
      await gateway.stop();
      f.stoppedAt = Date.now();
      await gateway.start();
      f.detail = `stopped and started (npm start, same state)`;
      break;
    }
    case "charger-drop":
    case "charger-blackhole": {
      const list = [...byId.values()].filter((c) => c.open && faultRandom.next() < 0.1);
      f.cids = list.map((c) => c.cid);
      if (kind === "charger-drop") {
        for (const c of list) c.drop();
        f.detail = `${list.length} charge points' sockets closed without a close frame`;
      } else {
        const silent = secs(OUTAGE.silent);
        for (const c of list) c.blackhole(silent * 1000);
        await sleep(silent * 1000);
        f.detail = `${list.length} charge points silent for ${silent.toFixed(1)} s, then reconnecting`;
      }
      break;
    }
  }
  f.returnAt = Date.now();
  // Recovery of the charge points that had to reconnect: until each booted again (at most 120 s).
  if (kind === "gateway-restart" || kind.startsWith("charger-")) {
    const list = kind === "gateway-restart" ? [...byId.values()] : f.cids.map((cid) => byId.get(cid));
    const until = Date.now() + 120_000;
    while (Date.now() < until && !list.every((c) => c.booted && c.bootedAt >= f.startAt)) await sleep(200);
    f.rebootedAfterMs = Math.max(0, ...list.map((c) => c.bootedAt - f.returnAt));
    f.notBack = list.filter((c) => !(c.booted && c.bootedAt >= f.startAt)).length;
  }
  return f;
}

/** Debugging aid (SOAK_MONITOR=file): every message under ocpp/ as the broker delivers it, with the time. */
async function monitor(url, file) {
  const { default: mqtt } = await import("mqtt");
  const { createWriteStream } = await import("node:fs");
  const out = createWriteStream(file);
  const m = mqtt.connect(url, { clientId: `soak-monitor-${process.pid}`, clean: true, reconnectPeriod: 300 });
  m.on("connect", () => m.subscribe("ocpp/#", { qos: 1 }));
  m.on("error", () => undefined);
  m.on("message", (topic, payload) => out.write(`${new Date().toISOString()} ${topic} ${payload.toString().slice(0, 120)}\n`));
}
