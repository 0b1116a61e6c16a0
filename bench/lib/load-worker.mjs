// A load-generator thread: simulated charge points on raw `ws`, pre-encoded frames, `window` calls in flight
// per charge point (1 by OCPP rules). Round-trip latencies are collected in microseconds.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const { url, cids, mix, window: win, ratePerCp, ocpp } = workerData;

const ts = "2023-12-01T14:20:39Z";
const sampled = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({ value: String(1000 + i), context: "Sample.Periodic", measurand: "Energy.Active.Import.Register", unit: "Wh" })),
);
const sampled201 = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({
    value: 1000 + i,
    context: "Sample.Periodic",
    measurand: "Energy.Active.Import.Register",
    location: "Outlet",
    unitOfMeasure: { unit: "Wh" },
  })),
);
/** Everything but the UniqueId, encoded once; in 2.0.1 the meter values travel in a TransactionEvent. */
const TEMPLATES_BY_VERSION = {
  "1.6": {
    Heartbeat: ['[2,"', '","Heartbeat",{}]'],
    StatusNotification: ['[2,"', `","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"${ts}"}]`],
    MeterValues: ['[2,"', `","MeterValues",{"connectorId":1,"transactionId":42,"meterValue":[{"timestamp":"${ts}","sampledValue":${sampled}}]}]`],
  },
  "2.0.1": {
    Heartbeat: ['[2,"', '","Heartbeat",{}]'],
    StatusNotification: ['[2,"', `","StatusNotification",{"timestamp":"${ts}","connectorStatus":"Occupied","evseId":1,"connectorId":1}]`],
    MeterValues: [
      '[2,"',
      `","TransactionEvent",{"eventType":"Updated","timestamp":"${ts}","triggerReason":"MeterValuePeriodic","seqNo":1,"transactionInfo":{"transactionId":"tx-42"},"meterValue":[{"timestamp":"${ts}","sampledValue":${sampled201}}]}]`,
    ],
  },
};
const TEMPLATES = TEMPLATES_BY_VERSION[ocpp];
const SUBPROTOCOL = `ocpp${ocpp}`;
const weights = Object.entries(mix).filter(([, w]) => w > 0);
const totalWeight = weights.reduce((s, [, w]) => s + w, 0);
function pick(n) {
  let x = (n * 7919) % totalWeight;
  for (const [name, w] of weights) {
    if (x < w) return TEMPLATES[name];
    x -= w;
  }
  return TEMPLATES.Heartbeat;
}

const latencies = [];
let completed = 0;
let errors = 0;
let callErrors = 0;

function connect(cid) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}/${encodeURIComponent(cid)}`, [SUBPROTOCOL], { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", () => {
      errors++;
      resolve(undefined);
    });
  });
}

async function runChargePoint(ws, cid, deadline) {
  const pending = new Map();
  let n = 0;
  let stopped = false;
  const interval = ratePerCp > 0 ? 1000 / ratePerCp : 0;
  let nextAt = performance.now();
  await new Promise((done) => {
    const sendOne = () => {
      if (stopped || pending.size >= win) return;
      if (Date.now() >= deadline) {
        stopped = true;
        if (pending.size === 0) done();
        return;
      }
      const wait = nextAt - performance.now();
      if (interval > 0 && wait > 0) {
        setTimeout(sendOne, wait);
        return;
      }
      nextAt = Math.max(nextAt, performance.now()) + interval;
      const id = `${cid}-${n++}`;
      const [a, b] = pick(n);
      pending.set(id, performance.now());
      ws.send(a + id + b);
      if (pending.size < win) setImmediate(sendOne);
    };
    ws.on("message", (data) => {
      const text = data.toString();
      const idStart = text.indexOf('"') + 1;
      const id = text.slice(idStart, text.indexOf('"', idStart));
      const started = pending.get(id);
      if (started === undefined) return;
      pending.delete(id);
      if (text.charCodeAt(1) === 52) callErrors++;
      else {
        completed++;
        latencies.push(Math.round((performance.now() - started) * 1000));
      }
      if (stopped && pending.size === 0) done();
      else sendOne();
    });
    ws.on("close", () => {
      if (!stopped) errors++;
      stopped = true;
      done();
    });
    sendOne();
  });
  // Calls still unanswered when time ran out count as errors.
  errors += pending.size;
}

const sockets = [];
for (let i = 0; i < cids.length; i += 50) {
  const batch = await Promise.all(cids.slice(i, i + 50).map((cid) => connect(cid)));
  sockets.push(...batch.map((ws, k) => [ws, cids[i + k]]));
}
parentPort.postMessage({ type: "connected" });
const start = await new Promise((resolve) => parentPort.once("message", resolve));
const deadline = start.deadline;
await Promise.all(sockets.filter(([ws]) => ws).map(([ws, cid]) => runChargePoint(ws, cid, deadline)));
for (const [ws] of sockets) ws?.close(1000);
parentPort.postMessage({ type: "done", latencies, completed, errors, callErrors });
