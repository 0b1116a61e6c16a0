#!/usr/bin/env node
// `npm run simulate -- <id> [options]`: OCPP charge points for trying the gateway, on ocpp-rpc (an independent
// OCPP-J client library). Each one boots, heartbeats at the interval the back office gives, reports its
// connectors, answers the usual commands and prints every frame in and out, one line each.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ocpp16 from "./sim/ocpp16.mjs";
import * as ocpp2 from "./sim/ocpp2.mjs";
import { say } from "./sim/print.mjs";
import { Station } from "./sim/station.mjs";

const USAGE = `usage: npm run simulate -- <id> [options]
  --url <url>            gateway endpoint without the id (default ws://127.0.0.1:$PORT/ocpp, PORT 33033);
                         wss://… for TLS
  --ocpp <version>       1.6 (default), 2.0.1 or 2.1
  --password <secret>    HTTP Basic password, the id being the user name (or SIMULATOR_PASSWORD)
  --ca <file>            PEM CA certificate(s) to trust for wss://
  --connectors <n>       connectors, one per EVSE in 2.x (default 1)
  --transaction          after booting, charge once on connector 1: Authorize, start, meter values, stop
  --id-tag <tag>         id tag of that session (default TAG1)
  --samples <n>          meter values in that session (default 3)
  --meter-interval <s>   seconds between meter values (default 5)
  --count <n>            start n charge points <id>-1 … <id>-n; prints a summary every 5 s instead of frames`;

const VERSIONS = { "1.6": ["ocpp1.6", ocpp16], "2.0.1": ["ocpp2.0.1", ocpp2], "2.1": ["ocpp2.1", ocpp2] };

function fail(message) {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number ≥ 1, got '${text}'`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: "string", default: `ws://127.0.0.1:${process.env.PORT || 33033}/ocpp` },
      ocpp: { type: "string", default: "1.6" },
      password: { type: "string", default: process.env.SIMULATOR_PASSWORD },
      ca: { type: "string" },
      connectors: { type: "string", default: "1" },
      transaction: { type: "boolean", default: false },
      "id-tag": { type: "string", default: "TAG1" },
      samples: { type: "string", default: "3" },
      "meter-interval": { type: "string", default: "5" },
      count: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values: o, positionals } = parsed;
if (o.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (positionals.length !== 1) fail("give one charge point id");
const version = VERSIONS[o.ocpp];
if (version === undefined) fail(`--ocpp must be 1.6, 2.0.1 or 2.1, got '${o.ocpp}'`);
const [protocol, dialect] = version;
const count = positive("count", o.count);
const samples = positive("samples", o.samples);
const stats = count > 1 ? { connected: 0, calls: 0, answered: 0, errors: 0, latencies: [] } : undefined;

const ids = count === 1 ? positionals : Array.from({ length: count }, (_, i) => `${positionals[0]}-${i + 1}`);
const stations = ids.map(
  (id) =>
    new Station({
      endpoint: o.url.replace(/\/+$/, ""),
      id,
      dialect,
      protocol,
      password: o.password,
      ca: o.ca ? readFileSync(o.ca) : undefined,
      connectors: positive("connectors", o.connectors),
      meterInterval: positive("meter-interval", o["meter-interval"]),
      quiet: stats !== undefined,
      stats,
    }),
);

async function run(station) {
  await station.start();
  if (!o.transaction || station.stopped) return;
  await station.booted;
  const [connector] = station.connectors;
  if (!(await dialect.authorize(station, o["id-tag"]))) return station.log(`id tag ${o["id-tag"]} was not accepted`);
  await station.charge(connector, o["id-tag"], { samples });
}

// Many charge points connect a few at a time rather than all in the same instant.
for (const [i, station] of stations.entries()) setTimeout(() => void run(station).catch((e) => station.log(`error: ${e.message}`)), i * 20);

if (stats) {
  const started = Date.now();
  setInterval(() => {
    const l = stats.latencies.sort((a, b) => a - b);
    const pct = (p) => (l.length ? `${l[Math.min(l.length - 1, Math.floor(p * l.length))]} ms` : "–");
    say("load", `${Math.round((Date.now() - started) / 1000)} s: ${stats.connected}/${count} connected · ${stats.calls} calls, ${stats.answered} answered (${stats.errors} errors) · round trip p50 ${pct(0.5)}, p95 ${pct(0.95)}`);
  }, 5000).unref();
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all(stations.map((s) => s.stop()));
  process.exit();
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
