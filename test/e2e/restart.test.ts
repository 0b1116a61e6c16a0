// A gateway restarted with charge points connected (as a deploy or a crash does it): the runtime drops their
// sockets without telling their objects. The clients API and the retained lifecycle events must converge to the
// truth: by the object's own alarm within its heartbeat bound, and at once for anything the API is asked about.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { startBroker, type StartedBroker } from "../../scripts/broker.mjs";
import { freePort, startGateway, startMosquitto, type GatewayProcess, type Mosquitto } from "./support/processes";

const ADMIN = { key: "restart-admin", secret: `restart-${process.pid}-0123456789abcdefghijklmnopqrstuv` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let broker: StartedBroker | undefined;
let mosquitto: Mosquitto | undefined;
let mqttTcp: string;
let gatewayEnv: NodeJS.ProcessEnv;
let gateway: GatewayProcess;

async function api(method: string, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${gateway.port}/api/v5/gateways/ocpp${path}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.key}:${ADMIN.secret}`).toString("base64")}` },
  });
}

/** The retained lifecycle event a subscriber arriving now is given for `cid`. */
async function retainedEvent(cid: string): Promise<Record<string, unknown> | undefined> {
  const client = await mqtt.connectAsync(mqttTcp, { clientId: `late-${crypto.randomUUID()}`, reconnectPeriod: 0 });
  try {
    const got = new Promise<Record<string, unknown> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 2_000);
      client.on("message", (_topic, payload, packet) => {
        if (!packet.retain) return;
        clearTimeout(timer);
        resolve(JSON.parse(payload.toString()) as Record<string, unknown>);
      });
    });
    await client.subscribeAsync(`ocpp/events/${cid}`, { qos: 1 });
    return await got;
  } finally {
    await client.endAsync();
  }
}

async function waitForRetained(cid: string, event: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    last = await retainedEvent(cid);
    if (last?.event === event) return last;
    await sleep(500);
  }
  throw new Error(`retained event of ${cid} is still ${JSON.stringify(last)} after ${timeoutMs} ms, not ${event}`);
}

/** A charge point that keeps talking (one Heartbeat a second) until its socket ends; it never reconnects. */
async function talkingChargePoint(cid: string): Promise<{ closed: Promise<void> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ocpp/${cid}`, ["ocpp1.6"]);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.on("error", () => undefined);
  let n = 0;
  const timer = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify([2, `${cid}-${n++}`, "Heartbeat", {}]));
  }, 1_000);
  ws.send(JSON.stringify([2, `${cid}-${n++}`, "Heartbeat", {}]));
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  void closed.then(() => clearInterval(timer));
  return { closed };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-restart-"));
  let mqttWs: string;
  if (inject("broker") === "mosquitto") {
    mosquitto = await startMosquitto(dir);
    mqttWs = `ws://127.0.0.1:${mosquitto.wsPort}`;
    mqttTcp = `mqtt://127.0.0.1:${mosquitto.tcpPort}`;
  } else {
    broker = await startBroker({ tcpPort: 0, wsPort: 0 });
    mqttWs = `ws://127.0.0.1:${broker.wsPort}/mqtt`;
    mqttTcp = `mqtt://127.0.0.1:${broker.tcpPort}`;
  }
  gatewayEnv = {
    ...process.env,
    MQTT_URL: mqttWs,
    GATEWAY_STATE_DIR: join(dir, "state"),
    MQTT_CLIENT_ID_PREFIX: `restart-${process.pid}`,
    WRANGLER_LOG: "warn",
    ADMIN_API_KEY: ADMIN.key,
    ADMIN_API_SECRET: ADMIN.secret,
    // A short heartbeat interval keeps the alarm's bound (two intervals after the last frame) short for the test.
    GATEWAY_CONFIG: JSON.stringify({ default_heartbeat_interval: "3s" }),
  };
  gateway = await startGateway(gatewayEnv, await freePort());
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await broker?.close();
  await mosquitto?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("restart with charge points connected", () => {
  it("no ghosts: retained events and the clients API converge to disconnected; kicking a lost one is 404", { timeout: 180_000 }, async () => {
    const ids = ["restart-alarm", "restart-api-1", "restart-api-2"];
    const sockets = [];
    for (const cid of ids) sockets.push(await talkingChargePoint(cid));
    for (const cid of ids) expect((await waitForRetained(cid, "client.connected", 10_000)).clientid).toBe(cid);
    const listed = (await (await api("GET", "/clients")).json()) as { data: { clientid: string }[] };
    expect(listed.data.map((c) => c.clientid).sort()).toEqual([...ids].sort());

    const port = gateway.port;
    await gateway.stop();
    await Promise.all(sockets.map((s) => s.closed));
    gateway = await startGateway(gatewayEnv, port);

    // Nothing asks about this one: its shard's safety-net alarm (once a minute, src/objects/gateway-shard.ts
    // WATCHDOG_MS) finds the socket gone after the restart — timers are in memory, so nothing else is stored to wake
    // it sooner.
    const byAlarm = await waitForRetained("restart-alarm", "client.disconnected", 90_000);
    expect(byAlarm).toMatchObject({ clientid: "restart-alarm", reason: "sock_closed" });

    // The API answers with the truth at once, and settles what it looked at.
    expect((await api("DELETE", "/clients/restart-api-1")).status).toBe(404);
    expect((await api("GET", "/clients/restart-api-2")).status).toBe(404);
    const after = (await (await api("GET", "/clients")).json()) as { data: unknown[]; meta: { count: number } };
    expect(after).toMatchObject({ data: [], meta: { count: 0 } });
    for (const cid of ["restart-api-1", "restart-api-2"]) {
      expect(await waitForRetained(cid, "client.disconnected", 10_000)).toMatchObject({ clientid: cid, reason: "sock_closed" });
    }
  });
});
