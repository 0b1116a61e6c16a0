#!/usr/bin/env node
// `npm run csms`: a minimal back office (CSMS) on MQTT, and the reference of how one uses the gateway's envelope.
// It subscribes to everything under the mountpoint, prints every envelope, answers the charge points' calls with
// valid payloads for their OCPP version, and sends commands typed on the terminal (`help` lists them).
// Topics are the gateway's defaults: calls on ocpp/cp/<cid>, their answers and errors on ocpp/cp/<cid>/Reply,
// commands to ocpp/cs/<cid>, lifecycle events (retained) on ocpp/events/<cid>, validation reports on
// ocpp/diagnostics/<cid>.
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { connect } from "mqtt";
import { describe, say } from "./sim/print.mjs";

const { values: o } = parseArgs({
  options: {
    url: { type: "string", default: `mqtt://127.0.0.1:${process.env.MQTT_PORT || 1883}` },
    username: { type: "string", default: process.env.MQTT_USERNAME },
    password: { type: "string", default: process.env.MQTT_PASSWORD },
    mountpoint: { type: "string", default: "ocpp/" },
    interval: { type: "string", default: "60" }, // heartbeat interval given in BootNotification answers (s)
  },
});
const interval = Number(o.interval);
const now = () => new Date().toISOString();
const accepted = { status: "Accepted" };

const versions = new Map(); // cid → proto_ver, from the lifecycle events ("1.6" until one says otherwise)
const transactions = new Map(); // cid → the transaction last started there, for remote-stop
let nextTransactionId = 1; // 1.6: the CSMS numbers transactions
let nextRemoteStartId = 1; // 2.x: the CSMS numbers its start requests
const is16 = (cid) => (versions.get(cid) ?? "1.6") === "1.6";

/** Answers to the charge points' calls, by Action. An Action not here is answered with CALLERROR NotImplemented. */
const ANSWERS = {
  BootNotification: () => ({ currentTime: now(), interval, status: "Accepted" }),
  Heartbeat: () => ({ currentTime: now() }),
  Authorize: (cid) => (is16(cid) ? { idTagInfo: accepted } : { idTokenInfo: accepted }),
  StartTransaction: (cid) => {
    transactions.set(cid, nextTransactionId);
    return { transactionId: nextTransactionId++, idTagInfo: accepted };
  },
  StopTransaction: (cid) => (transactions.delete(cid), { idTagInfo: accepted }),
  TransactionEvent: (cid, p) => {
    if (p.eventType === "Started") transactions.set(cid, p.transactionInfo.transactionId);
    if (p.eventType === "Ended") transactions.delete(cid);
    return p.idToken ? { idTokenInfo: accepted } : {};
  },
  DataTransfer: () => ({ status: "UnknownVendorId" }),
  ...Object.fromEntries(
    ["StatusNotification", "MeterValues", "FirmwareStatusNotification", "DiagnosticsStatusNotification", "SecurityEventNotification", "LogStatusNotification", "NotifyEvent", "NotifyReport"].map((a) => [a, () => ({})]),
  ),
};

/** Commands from the terminal: name → [arguments, (cid, ...args) → [Action, Payload]] for the charge point's version. */
const COMMANDS = {
  reset: ["<cid> [Soft|Hard]", (cid, type = "Soft") => (is16(cid) ? ["Reset", { type }] : ["Reset", { type: type === "Hard" ? "Immediate" : type === "Soft" ? "OnIdle" : type }])],
  "remote-start": [
    "<cid> <idTag> [connector]",
    (cid, idTag, n) =>
      is16(cid)
        ? ["RemoteStartTransaction", { idTag, ...(n ? { connectorId: Number(n) } : {}) }]
        : ["RequestStartTransaction", { idToken: { idToken: idTag, type: "Central" }, remoteStartId: nextRemoteStartId++, ...(n ? { evseId: Number(n) } : {}) }],
  ],
  "remote-stop": [
    "<cid> [transactionId]",
    (cid, id = transactions.get(cid)) => {
      if (id === undefined) throw new Error(`no transaction of ${cid} is known here; give its id`);
      return is16(cid) ? ["RemoteStopTransaction", { transactionId: Number(id) }] : ["RequestStopTransaction", { transactionId: String(id) }];
    },
  ],
  "get-config": [
    "<cid> [key …]  (2.x: Component.Variable)",
    (cid, ...keys) => (is16(cid) ? ["GetConfiguration", keys.length ? { key: keys } : {}] : ["GetVariables", { getVariableData: (keys.length ? keys : ["OCPPCommCtrlr.HeartbeatInterval"]).map(variable) }]),
  ],
  "set-config": [
    "<cid> <key> <value>",
    (cid, key, value) => (is16(cid) ? ["ChangeConfiguration", { key, value }] : ["SetVariables", { setVariableData: [{ ...variable(key), attributeValue: value }] }]),
  ],
  trigger: ["<cid> <message> [connector]", (cid, requestedMessage, n) => ["TriggerMessage", { requestedMessage, ...(n ? (is16(cid) ? { connectorId: Number(n) } : { evse: { id: Number(n) } }) : {}) }]],
  unlock: ["<cid> [connector]", (cid, n = "1") => ["UnlockConnector", is16(cid) ? { connectorId: Number(n) } : { evseId: Number(n), connectorId: 1 }]],
  call: ["<cid> <Action> [payload JSON]", (cid, action, ...json) => [action, JSON.parse(json.join(" ") || "{}")]],
};

function variable(key) {
  const [component, name] = key.split(".");
  return { component: { name: component }, variable: { name } };
}

const client = connect(o.url, {
  clientId: `demo-csms-${randomBytes(4).toString("hex")}`,
  ...(o.username ? { username: o.username, password: o.password } : {}),
  reconnectPeriod: 2000,
});
const idPrefix = randomBytes(3).toString("hex");
let callCount = 0;

function publish(cid, envelope) {
  const { MessageTypeId: type, UniqueId: id, Action: action, Payload: payload, ErrorCode: errorCode, ErrorDescription: errorDescription } = envelope;
  say(cid, `→ ${describe({ type, id, action, payload, errorCode, errorDescription })}`);
  client.publish(`${o.mountpoint}cs/${cid}`, JSON.stringify(envelope), { qos: 1 });
}

function onCall(cid, { UniqueId, Action, Payload }) {
  const answer = ANSWERS[Action];
  if (answer === undefined) {
    publish(cid, { MessageTypeId: 4, UniqueId, ErrorCode: "NotImplemented", ErrorDescription: `the demo back office does not handle ${Action}`, ErrorDetails: {} });
  } else {
    publish(cid, { MessageTypeId: 3, UniqueId, Action, Payload: answer(cid, Payload) });
  }
}

client.on("message", (topic, buffer, packet) => {
  const [kind, cid, sub] = topic.slice(o.mountpoint.length).split("/");
  if (kind === "cs") return; // our own commands (and any other back office's), echoed by the subscription
  let m;
  try {
    m = JSON.parse(buffer.toString());
  } catch {
    return say(cid ?? topic, `(not JSON on ${topic}) ${buffer.toString().slice(0, 200)}`);
  }
  if (kind === "events") {
    versions.set(cid, m.proto_ver);
    const why = m.reason ? ` (${m.reason})` : "";
    return say(cid, `${m.event}${why} · OCPP ${m.proto_ver}${packet.retain ? " · retained" : ""}`);
  }
  if (kind === "diagnostics") return say(cid, `${m.event}: ${m.direction} ${m.Action ?? ""} ${m.ErrorCode}: ${m.ErrorDescription}`);
  if (kind !== "cp") return say(cid ?? topic, `${topic} ${buffer.toString().slice(0, 200)}`);
  const origin = m.Origin === "gateway" ? ` (from the gateway${m.Reason ? `: ${m.Reason}` : ""})` : "";
  const line = describe({ type: m.MessageTypeId, id: m.UniqueId, action: m.Action, payload: m.Payload, errorCode: m.ErrorCode, errorDescription: m.ErrorDescription });
  say(cid, `← ${line}${m.Late ? " (late)" : ""}${origin}`);
  if (sub === undefined && m.MessageTypeId === 2) onCall(cid, m);
});

let online = false;
client.on("connect", () => {
  online = true;
  client.subscribe(`${o.mountpoint}#`, { qos: 1 }, (error) => {
    if (error) return say("csms", `cannot subscribe: ${error.message}`);
    say("csms", `connected to ${o.url}, subscribed to ${o.mountpoint}#`);
    say("csms", "type a command, e.g. `reset CP1 Soft` or `remote-start CP1 TAG1` (`help` lists them)");
  });
});
client.on("error", (error) => say("csms", `broker: ${error.message}`));
client.on("offline", () => {
  if (online) say("csms", `lost ${o.url}; reconnecting`);
  online = false;
});

function help() {
  for (const [name, [args]] of Object.entries(COMMANDS)) say("csms", `  ${name} ${args}`);
}

createInterface({ input: process.stdin }).on("line", (text) => {
  const [name, cid, ...args] = text.trim().split(/\s+/);
  if (!name) return;
  const command = COMMANDS[name];
  if (name === "help" || command === undefined || cid === undefined) return help();
  try {
    const [Action, Payload] = command[1](cid, ...args);
    publish(cid, { MessageTypeId: 2, UniqueId: `${idPrefix}-${++callCount}`, Action, Payload });
  } catch (error) {
    say("csms", `${name}: ${error.message}`);
  }
});

function stop() {
  client.end(false, {}, () => process.exit());
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
