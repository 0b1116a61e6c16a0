#!/usr/bin/env node
// The benchmark's second baseline: what a user would self-host instead of the gateway. One Node process, an
// ocpp-rpc RPCServer for the charge points and an MQTT.js client for the broker, with the gateway's topics and
// EMQX envelope: a charge point's call goes to <mountpoint>cp/<cid> as {"MessageTypeId":2,"UniqueId","Action",
// "Payload"} and is answered by the CSMS's CALLRESULT (or CALLERROR) envelope on <mountpoint>cs/<cid>; a CSMS call
// on <mountpoint>cs/<cid> goes to the charge point and its answer to <mountpoint>cp/<cid>/Reply.
// ocpp-rpc validates calls and results against the OCPP 1.6 and 2.0.1 schemas (strict mode), as the gateway does.
// Options (env): PORT, MQTT_URL, MOUNTPOINT (default "ocpp/"), STRICT ("0" turns validation off).
// Prints {"port":…} on stdout once it listens.
import mqtt from "mqtt";
import { createRPCError, RPCServer } from "ocpp-rpc";

const mountpoint = process.env.MOUNTPOINT ?? "ocpp/";
const strict = process.env.STRICT !== "0";
const CALL_TIMEOUT_MS = 30_000;

const broker = await mqtt.connectAsync(process.env.MQTT_URL, {
  clientId: `ocpp-bridge-${process.pid}`,
  clean: false,
  reconnectPeriod: 1_000,
});
// Nagle's algorithm off, as the embedded broker has it (scripts/broker.mjs): with delayed ACKs every small MQTT
// packet would otherwise wait up to 40 ms. MQTT.js does not set it on TCP connections.
const noDelay = () => broker.stream?.setNoDelay?.(true);
noDelay();
broker.on("connect", noDelay);
await broker.subscribeAsync(`${mountpoint}cs/+`, { qos: 1 });

/** Charge points by id, and their calls waiting for the CSMS by UniqueId. */
const clients = new Map();

const server = new RPCServer({ protocols: ["ocpp1.6", "ocpp2.0.1"], strictMode: strict, callTimeoutMs: CALL_TIMEOUT_MS });
server.on("client", (client) => {
  const cid = client.identity;
  const waiting = new Map();
  clients.get(cid)?.client.close({ code: 1000, reason: "replaced" });
  const entry = { client, waiting };
  clients.set(cid, entry);
  client.on("close", () => {
    if (clients.get(cid) === entry) clients.delete(cid);
    for (const w of waiting.values()) w.reject(createRPCError("GenericError", "charge point disconnected"));
  });
  client.handle(({ messageId, method, params }) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(messageId);
        reject(createRPCError("InternalError", "no answer from the CSMS"));
      }, CALL_TIMEOUT_MS);
      waiting.set(messageId, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const envelope = `{"MessageTypeId":2,"UniqueId":${JSON.stringify(messageId)},"Action":${JSON.stringify(method)},"Payload":${JSON.stringify(params)}}`;
      broker.publish(`${mountpoint}cp/${cid}`, envelope, { qos: 1 }, (error) => {
        if (error) waiting.get(messageId)?.reject(createRPCError("InternalError", "broker unavailable"));
      });
    }),
  );
});

broker.on("message", (topic, payload) => {
  const cid = topic.slice(`${mountpoint}cs/`.length);
  const entry = clients.get(cid);
  let m;
  try {
    m = JSON.parse(payload.toString());
  } catch {
    return;
  }
  if (m.MessageTypeId === 3 || m.MessageTypeId === 4) {
    const w = entry?.waiting.get(m.UniqueId);
    if (w === undefined) return;
    entry.waiting.delete(m.UniqueId);
    if (m.MessageTypeId === 3) w.resolve(m.Payload);
    else w.reject(createRPCError(m.ErrorCode, m.ErrorDescription, m.ErrorDetails));
  } else if (m.MessageTypeId === 2 && entry !== undefined) {
    const reply = (fields) =>
      broker.publish(`${mountpoint}cp/${cid}/Reply`, JSON.stringify({ UniqueId: m.UniqueId, Action: m.Action, ...fields }), { qos: 1 });
    entry.client
      .call(m.Action, m.Payload)
      .then((result) => reply({ MessageTypeId: 3, Payload: result }))
      .catch((e) => reply({ MessageTypeId: 4, ErrorCode: e.rpcErrorCode ?? "InternalError", ErrorDescription: e.message ?? "", ErrorDetails: e.details ?? {} }));
  }
});

const httpServer = await server.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
process.stdout.write(`${JSON.stringify({ port: httpServer.address().port })}\n`);
const stop = async () => {
  await server.close({ code: 1001, awaitPending: false }).catch(() => undefined);
  await broker.endAsync().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
