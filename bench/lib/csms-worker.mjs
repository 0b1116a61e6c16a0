// The benchmark's CSMS: MQTT.js, answers every upstream call through the downstream topic, for the gateway
// (EMQX envelopes under ocpp/), the Node bridge (the same envelopes under bridge/), the relay baseline (raw OCPP-J
// frames under base/), the shard floors (raw frames under shard-<variant>/) and extra bridges (envelopes).
import { parentPort, workerData } from "node:worker_threads";
import mqtt from "mqtt";

const now = "2023-12-01T14:20:39Z";
const RESULTS = {
  BootNotification: `{"currentTime":"${now}","interval":300,"status":"Accepted"}`,
  Heartbeat: `{"currentTime":"${now}"}`,
  StatusNotification: "{}",
  MeterValues: "{}",
  TransactionEvent: "{}",
};

const client = await mqtt.connectAsync(workerData.mqttUrl, { clientId: `bench-csms-${process.pid}`, clean: true });
client.on("message", (topic, payload) => {
  const text = payload.toString();
  const slash = topic.indexOf("/cp/");
  const root = topic.slice(0, slash);
  const cid = topic.slice(slash + 4);
  if (root === "base" || root.startsWith("shard")) {
    // Raw frame: [2,"id","Action",{...}]
    const idStart = text.indexOf('"') + 1;
    const idEnd = text.indexOf('"', idStart);
    const actionStart = text.indexOf('"', idEnd + 1) + 1;
    const action = text.slice(actionStart, text.indexOf('"', actionStart));
    client.publish(`${root}/cs/${cid}`, `[3,"${text.slice(idStart, idEnd)}",${RESULTS[action] ?? "{}"}]`, { qos: 1 });
  } else {
    const m = JSON.parse(text);
    if (m.MessageTypeId !== 2) return;
    client.publish(`${root}/cs/${cid}`, `{"MessageTypeId":3,"UniqueId":${JSON.stringify(m.UniqueId)},"Payload":${RESULTS[m.Action] ?? "{}"}}`, { qos: 1 });
  }
});
await client.subscribeAsync(["ocpp/cp/+", "base/cp/+", "bridge/cp/+", ...(workerData.extraRoots ?? []).map((r) => `${r}/cp/+`)], { qos: 1 });
parentPort.postMessage({ type: "ready" });
parentPort.on("message", async (m) => {
  if (m.type === "stop") {
    await client.endAsync();
    parentPort.postMessage({ type: "stopped" });
  }
});
