#!/usr/bin/env node
// `npm run bench:validate`: the per-frame cost of the gateway's staged parse + schema validation, against
// JSON.parse alone, for typical upstream frames. Variants are measured alternately (A B C A B C …) in the same
// process; the figures are medians over rounds and the verdict is a ratio, so a noisy machine affects all alike.
// Target: validating a parsed payload costs less than JSON.parse of the frame (validate / JSON.parse < 1).
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib/median.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const roundMs = Number(process.env.BENCH_ROUND_MS ?? 150);

execFileSync(process.execPath, [join(root, "schemas", "build.mjs")], { stdio: "ignore" });
const outDir = await mkdtemp(join(tmpdir(), "ocpp-bench-"));
const bundle = join(outDir, "validate.mjs");
execFileSync(
  join(root, "node_modules", ".bin", "esbuild"),
  [join(root, "bench", "validate-entry.ts"), "--bundle", "--platform=node", "--format=esm", `--outfile=${bundle}`],
  { stdio: "ignore" },
);
const { parseFrame, validatePayload, OCPP16, OCPP201_VALIDATORS } = await import(bundle);
// The staged parse needs only the version's UniqueId bound (36 in 2.0.1 as in 1.6); validation takes the 2.0.1 set.
const OCPP201 = { ...OCPP16, subprotocol: "ocpp2.0.1", version: "2.0.1", schemas: OCPP201_VALIDATORS };
await rm(outDir, { recursive: true, force: true });

const ts = "2023-12-01T14:20:39Z";
const measurands = [
  ["Energy.Active.Import.Register", "Wh", undefined],
  ["Power.Active.Import", "W", undefined],
  ["Current.Import", "A", "L1"],
  ["Current.Import", "A", "L2"],
  ["Current.Import", "A", "L3"],
  ["Voltage", "V", "L1-N"],
  ["Voltage", "V", "L2-N"],
  ["Voltage", "V", "L3-N"],
  ["SoC", "Percent", undefined],
  ["Temperature", "Celsius", undefined],
];
const sampledValue = Array.from({ length: 20 }, (_, i) => {
  const [measurand, unit, phase] = measurands[i % measurands.length];
  return {
    value: String(1000 + i * 7.5),
    context: "Sample.Periodic",
    format: "Raw",
    measurand,
    ...(phase ? { phase } : {}),
    location: i % 2 ? "Outlet" : "EV",
    unit,
  };
});
// OCPP 2.0.1: the same twenty periodic readings as a TransactionEvent (E02, trigger MeterValuePeriodic); values are
// numbers and units carry a multiplier (SampledValueType, UnitOfMeasureType). 2.0.1 has no Temperature measurand.
const measurands201 = measurands.map((m) => (m[0] === "Temperature" ? ["Frequency", "Hz", undefined] : m));
const sampledValue201 = Array.from({ length: 20 }, (_, i) => {
  const [measurand, unit, phase] = measurands201[i % measurands201.length];
  return {
    value: 1000 + i * 7.5,
    context: "Sample.Periodic",
    measurand,
    ...(phase ? { phase } : {}),
    location: i % 2 ? "Outlet" : "EV",
    unitOfMeasure: { unit, multiplier: 0 },
  };
});
const transactionEvent = {
  eventType: "Updated",
  timestamp: ts,
  triggerReason: "MeterValuePeriodic",
  seqNo: 7,
  transactionInfo: { transactionId: "c4f2a1e0-5b7d-4e3a-9f61-2d8b0c9e7a15", chargingState: "Charging" },
  evse: { id: 1, connectorId: 1 },
  meterValue: [{ timestamp: ts, sampledValue: sampledValue201 }],
};
const frames = {
  Heartbeat: { protocol: OCPP16, text: '[2,"19223201","Heartbeat",{}]' },
  StatusNotification: {
    protocol: OCPP16,
    text: JSON.stringify([2, "19223202", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging", timestamp: ts }]),
  },
  "MeterValues (20 sampled values)": {
    protocol: OCPP16,
    text: JSON.stringify([2, "19223203", "MeterValues", { connectorId: 1, transactionId: 42, meterValue: [{ timestamp: ts, sampledValue }] }]),
  },
  "2.0.1 TransactionEvent (20 sampled values)": {
    protocol: OCPP201,
    text: JSON.stringify([2, "19223204", "TransactionEvent", transactionEvent]),
  },
};

let sink = 0;
const parsedPayload = new Map(
  Object.values(frames).map(({ text, protocol }) => {
    const r = parseFrame(text, protocol);
    if (!r.ok) throw new Error(r.error.message);
    const v = validatePayload(protocol.schemas, r.frame.action, "request", r.frame.payload);
    if (!v.ok) throw new Error(JSON.stringify(v));
    return [text, r.frame];
  }),
);
const variants = {
  "JSON.parse": (text) => {
    sink ^= JSON.parse(text).length;
  },
  "parse (staged)": (text, protocol) => {
    const r = parseFrame(text, protocol);
    sink ^= r.ok ? 1 : 0;
  },
  "validate (parsed payload)": (text, protocol) => {
    const frame = parsedPayload.get(text);
    const v = validatePayload(protocol.schemas, frame.action, "request", frame.payload);
    sink ^= v.ok ? 1 : 0;
  },
  "parse + validate": (text, protocol) => {
    const r = parseFrame(text, protocol);
    if (!r.ok) throw new Error(r.error.message);
    const v = validatePayload(protocol.schemas, r.frame.action, "request", r.frame.payload);
    if (!v.ok) throw new Error(JSON.stringify(v));
    sink ^= 1;
  },
};

function timeOnce(fn, frame, iterations) {
  const { text, protocol } = frame;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(text, protocol);
  return Number(process.hrtime.bigint() - start) / iterations;
}

function calibrate(fn, frame) {
  let n = 1000;
  for (;;) {
    const ns = timeOnce(fn, frame, n) * n;
    if (ns > roundMs * 1e6 / 4) return Math.max(1000, Math.round((n * roundMs * 1e6) / ns));
    n *= 4;
  }
}

const results = [];
for (const [name, frame] of Object.entries(frames)) {
  for (const fn of Object.values(variants)) timeOnce(fn, frame, 20_000); // warm up
  const iterations = Object.fromEntries(Object.entries(variants).map(([k, fn]) => [k, calibrate(fn, frame)]));
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of Object.entries(variants)) samples[k].push(timeOnce(fn, frame, iterations[k]));
  }
  const ns = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
  results.push({
    frame: name,
    bytes: frame.text.length,
    nsPerFrame: ns,
    ratioParseValidateToJsonParse: ns["parse + validate"] / ns["JSON.parse"],
    ratioValidateToJsonParse: ns["validate (parsed payload)"] / ns["JSON.parse"],
  });
}

const fmt = (n) => n.toFixed(0).padStart(7);
console.log(`\nper-frame cost, median of ${rounds} alternating rounds (Node ${process.version})\n`);
console.log("| frame | bytes | JSON.parse ns | staged parse ns | validate ns | parse + validate ns | validate / JSON.parse | (parse + validate) / JSON.parse |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  const n = r.nsPerFrame;
  console.log(
    `| ${r.frame} | ${r.bytes} | ${fmt(n["JSON.parse"])} | ${fmt(n["parse (staged)"])} | ${fmt(n["validate (parsed payload)"])} | ${fmt(n["parse + validate"])} | ${r.ratioValidateToJsonParse.toFixed(2)}× | ${r.ratioParseValidateToJsonParse.toFixed(2)}× |`,
  );
}
const worst = Math.max(...results.map((r) => r.ratioValidateToJsonParse));
console.log(`\ntarget: validation adds less than JSON.parse costs (validate / JSON.parse < 1): worst ${worst.toFixed(2)} → ${worst < 1 ? "met" : "NOT met"}`);
await mkdir(join(root, "bench-results"), { recursive: true });
await writeFile(join(root, "bench-results", "validate.json"), `${JSON.stringify({ node: process.version, rounds, results, sink }, null, 2)}\n`);
console.log("written: bench-results/validate.json");
