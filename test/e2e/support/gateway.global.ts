// Starts the gateway exactly as `npm start` does (node scripts/start.mjs), on free ports with its own state
// directory, against the embedded broker or Debian's mosquitto; stops it with SIGTERM afterwards and fails the run
// if it does not stop cleanly.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startGateway, startMosquitto, type Mosquitto } from "./processes";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayHttp: string;
    gatewayWs: string;
    adminAuth: string;
    mqttUrl: string;
    broker: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = process.env.E2E_BROKER ?? "embedded";
  const dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-e2e-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_STATE_DIR: join(dir, "state"),
    MQTT_CLIENT_ID_PREFIX: `e2e-${process.pid}`,
    WRANGLER_LOG: "warn",
    ADMIN_API_KEY: "e2e-admin",
    ADMIN_API_SECRET: `e2e-secret-${process.pid}-0123456789abcdefghijklmnopqrstuv`,
    // Deploy-time configuration, as an operator would give it: a short call timeout for the timeout test.
    GATEWAY_CONFIG: JSON.stringify({ dnstream: { awaiting_timeout: "3s" } }),
  };
  let mosquitto: Mosquitto | undefined;
  let mqttUrl: string;
  if (broker === "mosquitto") {
    mosquitto = await startMosquitto(dir);
    env.MQTT_URL = `ws://127.0.0.1:${mosquitto.wsPort}`;
    mqttUrl = `mqtt://127.0.0.1:${mosquitto.tcpPort}`;
  } else if (broker === "embedded") {
    delete env.MQTT_URL;
    const tcpPort = await freePort();
    env.MQTT_PORT = String(tcpPort);
    env.MQTT_WS_PORT = String(await freePort());
    mqttUrl = `mqtt://127.0.0.1:${tcpPort}`;
  } else {
    throw new Error(`E2E_BROKER must be 'embedded' or 'mosquitto', not '${broker}'`);
  }

  const gateway = await startGateway(env, await freePort()).catch(async (error: unknown) => {
    await mosquitto?.stop();
    throw error;
  });
  project.provide("gatewayHttp", `http://127.0.0.1:${gateway.port}`);
  project.provide("gatewayWs", `ws://127.0.0.1:${gateway.port}/ocpp`);
  project.provide("adminAuth", `Basic ${Buffer.from(`${env.ADMIN_API_KEY}:${env.ADMIN_API_SECRET}`).toString("base64")}`);
  project.provide("mqttUrl", mqttUrl);
  project.provide("broker", broker);

  return async () => {
    const code = await gateway.stop();
    const logFile = join(dir, "gateway.log");
    await writeFile(logFile, gateway.output());
    await mosquitto?.stop();
    if (code === "hung") throw new Error(`npm start did not stop within 15 s of SIGTERM; log: ${logFile}`);
    if (code !== 0 || !gateway.output().includes("[start] stopped")) {
      throw new Error(`npm start stopped badly (exit ${code}); log: ${logFile}\n${gateway.output().slice(-2000)}`);
    }
    await rm(dir, { recursive: true, force: true });
  };
}
