// Counts, from the running gateway (the counted build in bench/counted), the billable operations per connect,
// per upstream call (each action), per downstream call, per disconnect and per heartbeat interval of timer work.
// Everything here uses its own mountpoint (count/) and a CSMS of its own, so it never meets the other targets.
import mqtt from "mqtt";
import WebSocket from "ws";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ts = "2023-12-01T14:20:39Z";
const sampled = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({ value: String(1000 + i), context: "Sample.Periodic", measurand: "Energy.Active.Import.Register", unit: "Wh" })),
);
export const UPSTREAM_ACTIONS = {
  Heartbeat: {},
  StatusNotification: { connectorId: 1, errorCode: "NoError", status: "Charging", timestamp: ts },
  MeterValues: { connectorId: 1, transactionId: 42, meterValue: [{ timestamp: ts, sampledValue: JSON.parse(sampled) }] },
};

/** The counters as one flat vector of billable quantities. */
function flatten(c) {
  const sum = (o, pred = () => true) => Object.entries(o).reduce((s, [k, v]) => s + (pred(k) ? v : 0), 0);
  return {
    // The shard's watchdog alarm runs on its own clock: counted apart (a fixed cost per shard).
    doRequests: sum(c.doRequests, (k) => k !== "GatewayShard.alarm"),
    shardAlarms: c.doRequests["GatewayShard.alarm"] ?? 0,
    rpcs: sum(c.doRequests, (k) => !k.endsWith(".alarm") && !k.endsWith(".fetch")),
    wsMessages: sum(c.wsMessages),
    workerRequests: c.workerRequests,
    rowsRead: c.sqlRowsRead + c.kvRowsRead,
    rowsWritten: c.sqlRowsWritten + c.kvRowsWritten + c.setAlarms,
    setAlarms: c.setAlarms,
    kvReads: c.kvReads,
  };
}

const minus = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k] - b[k]]));
const scale = (a, f) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k] * f]));

/** A charge point on raw ws that sends calls one at a time and answers the CSMS's calls. */
async function chargePoint(url, cid) {
  const ws = new WebSocket(`${url}/${encodeURIComponent(cid)}`, ["ocpp1.6"], { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const pending = new Map();
  let n = 0;
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame[0] === 2) ws.send(JSON.stringify([3, frame[1], {}]));
    else pending.get(frame[1])?.(frame);
  });
  return {
    ws,
    call(action, payload) {
      const id = `${cid}-${n++}`;
      return new Promise((resolve) => {
        pending.set(id, (frame) => {
          pending.delete(id);
          resolve(frame);
        });
        ws.send(JSON.stringify([2, id, action, payload]));
      });
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", resolve);
        ws.close(1000);
      });
    },
  };
}

/**
 * Runs the counting phases against `url` (charge points) and `countersUrl`; `chargePoints` per phase, `calls` per
 * charge point and action, `timerSeconds` of timer work at a 2 s heartbeat interval.
 */
export async function countOperations({ url, countersUrl, mqttUrl, chargePoints = 10, calls = 5, timerSeconds = 8, minAlarmWaitMs = 150_000 }) {
  const counters = async () => flatten(await (await fetch(countersUrl)).json());
  /** Waits until the counters stop moving (the gateway finished the phase's work), then reads them. */
  const settled = async () => {
    let last = JSON.stringify({ ...(await counters()), shardAlarms: 0 });
    for (let i = 0; i < 20; i++) {
      await sleep(300);
      const now = await counters();
      const text = JSON.stringify({ ...now, shardAlarms: 0 });
      if (text === last) return now;
      last = text;
    }
    return counters();
  };
  const BOOT_INTERVAL_S = 2;
  const csms = await mqtt.connectAsync(mqttUrl, { clientId: `bench-count-csms-${process.pid}`, clean: true });
  const replies = new Set();
  let onReply = () => undefined;
  csms.on("message", (topic, payload) => {
    const m = JSON.parse(payload.toString());
    if (topic.endsWith("/Reply")) {
      replies.add(m.UniqueId);
      onReply();
      return;
    }
    if (m.MessageTypeId !== 2) return;
    const cid = topic.slice("count/cp/".length);
    const result =
      m.Action === "BootNotification"
        ? { status: "Accepted", currentTime: new Date().toISOString(), interval: BOOT_INTERVAL_S }
        : m.Action === "Heartbeat"
          ? { currentTime: new Date().toISOString() }
          : {};
    csms.publish(`count/cs/${cid}`, JSON.stringify({ MessageTypeId: 3, UniqueId: m.UniqueId, Payload: result }), { qos: 1 });
  });
  await csms.subscribeAsync(["count/cp/+", "count/cp/+/Reply"], { qos: 1 });

  const cids = Array.from({ length: chargePoints }, (_, i) => `count-cp-${i}`);
  const per = {};
  const first = await counters();
  const firstAt = Date.now();
  try {
    // Connect (the first ever connect also starts the broker link: warm it up outside the count).
    const warm = await chargePoint(url, "count-warm-up");
    await warm.call("Heartbeat", {});
    await warm.close();
    let before = await settled();
    const cps = [];
    for (const cid of cids) cps.push(await chargePoint(url, cid));
    let after = await settled();
    per.connect = scale(minus(after, before), 1 / chargePoints);

    for (const [action, payload] of Object.entries(UPSTREAM_ACTIONS)) {
      before = after;
      await Promise.all(cps.map(async (cp) => {
        for (let i = 0; i < calls; i++) await cp.call(action, payload);
      }));
      after = await settled();
      per[action] = scale(minus(after, before), 1 / (chargePoints * calls));
    }

    // Downstream: the CSMS's calls, one outstanding per charge point, each answered and replied on MQTT.
    before = after;
    for (let i = 0; i < calls; i++) {
      const ids = cids.map((cid) => `down-${cid}-${i}`);
      const done = new Promise((resolve) => {
        onReply = () => ids.every((id) => replies.has(id)) && resolve();
      });
      cids.forEach((cid, k) =>
        csms.publish(`count/cs/${cid}`, JSON.stringify({ MessageTypeId: 2, UniqueId: ids[k], Action: "GetConfiguration", Payload: {} }), { qos: 1 }),
      );
      await Promise.race([done, sleep(10_000)]);
    }
    after = await settled();
    per.downstream = scale(minus(after, before), 1 / (chargePoints * calls));

    before = after;
    await Promise.all(cps.map((cp) => cp.close()));
    after = await settled();
    per.disconnect = scale(minus(after, before), 1 / chargePoints);

    // Timer work: fresh charge points booted with a 2 s heartbeat interval, sending a Heartbeat every second;
    // what the window costs beyond those heartbeats is the heartbeat check's work, per charge point per interval.
    const timed = [];
    for (const cid of cids) timed.push(await chargePoint(url, `${cid}-timed`));
    await Promise.all(timed.map((cp) => cp.call("BootNotification", { chargePointVendor: "bench", chargePointModel: "count" })));
    await sleep(500);
    before = await counters();
    const started = Date.now();
    let heartbeats = 0;
    await Promise.all(
      timed.map(async (cp) => {
        while (Date.now() - started < timerSeconds * 1000) {
          await cp.call("Heartbeat", {});
          heartbeats++;
          await sleep(1000);
        }
      }),
    );
    after = await counters();
    const windowS = (Date.now() - started) / 1000;
    const intervals = (chargePoints * windowS) / BOOT_INTERVAL_S;
    const timer = minus(minus(after, before), scale(per.Heartbeat, heartbeats));
    per.timerInterval = scale({ ...timer, shardAlarms: 0 }, 1 / intervals);
    await Promise.all(timed.map((cp) => cp.close()));
    // The shard's watchdog, over the whole counting run (a fixed cost per shard, not per charge point): observed
    // for at least two of its periods, so a short run does not count none.
    for (let waited = 0; (await counters()).shardAlarms - first.shardAlarms < 2 && waited < minAlarmWaitMs; waited += 1000) await sleep(1000);
    per.shardAlarmsPerHour = (((await counters()).shardAlarms - first.shardAlarms) / ((Date.now() - firstAt) / 1000)) * 3600;
  } finally {
    await csms.endAsync();
  }
  return per;
}
