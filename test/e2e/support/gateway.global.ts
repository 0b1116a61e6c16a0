// Starts the gateway exactly as `npm start` does (node scripts/start.mjs), on free ports with its own state
// directory, against the embedded broker or Debian's mosquitto; stops it with SIGTERM afterwards and fails the run
// if it does not stop cleanly.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayHttp: string;
    gatewayWs: string;
    adminAuth: string;
    mqttUrl: string;
    broker: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function startMosquitto(dir: string): Promise<{ tcpPort: number; wsPort: number; child: ChildProcess }> {
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(
    conf,
    [
      "persistence false",
      "allow_anonymous true",
      `listener ${tcpPort} 127.0.0.1`,
      "socket_domain ipv4",
      `listener ${wsPort} 127.0.0.1`,
      "socket_domain ipv4",
      "protocol websockets",
      "",
    ].join("\n"),
  );
  const child = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  child.on("error", (e) => console.error(`mosquitto: ${e.message} (install it: apt-get install mosquitto)`));
  await waitForPort(tcpPort, 10_000);
  await waitForPort(wsPort, 10_000);
  return { tcpPort, wsPort, child };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = process.env.E2E_BROKER ?? "embedded";
  const dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-e2e-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    GATEWAY_STATE_DIR: join(dir, "state"),
    MQTT_CLIENT_ID_PREFIX: `e2e-${process.pid}`,
    WRANGLER_LOG: "warn",
    ADMIN_API_KEY: "e2e-admin",
    ADMIN_API_SECRET: `e2e-secret-${process.pid}`,
    // Deploy-time configuration, as an operator would give it: a short call timeout for the timeout test.
    GATEWAY_CONFIG: JSON.stringify({ dnstream: { awaiting_timeout: "3s" } }),
  };
  let mosquitto: ChildProcess | undefined;
  let mqttUrl: string;
  if (broker === "mosquitto") {
    const m = await startMosquitto(dir);
    mosquitto = m.child;
    env.MQTT_URL = `ws://127.0.0.1:${m.wsPort}`;
    mqttUrl = `mqtt://127.0.0.1:${m.tcpPort}`;
  } else if (broker === "embedded") {
    delete env.MQTT_URL;
    const tcpPort = await freePort();
    env.MQTT_PORT = String(tcpPort);
    env.MQTT_WS_PORT = String(await freePort());
    mqttUrl = `mqtt://127.0.0.1:${tcpPort}`;
  } else {
    throw new Error(`E2E_BROKER must be 'embedded' or 'mosquitto', not '${broker}'`);
  }

  const logFile = join(dir, "gateway.log");
  const gateway = spawn(process.execPath, ["scripts/start.mjs"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("gateway is ready")) resolve();
    };
    gateway.stdout?.on("data", onData);
    gateway.stderr?.on("data", onData);
    gateway.once("exit", (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
    timer = setTimeout(() => reject(new Error(`npm start not ready after 120 s:\n${output}`)), 120_000);
  });
  try {
    await ready;
  } catch (error) {
    gateway.kill("SIGTERM");
    mosquitto?.kill("SIGTERM");
    throw error;
  } finally {
    clearTimeout(timer);
  }

  project.provide("gatewayHttp", `http://127.0.0.1:${port}`);
  project.provide("gatewayWs", `ws://127.0.0.1:${port}/ocpp`);
  project.provide("adminAuth", `Basic ${Buffer.from(`${env.ADMIN_API_KEY}:${env.ADMIN_API_SECRET}`).toString("base64")}`);
  project.provide("mqttUrl", mqttUrl);
  project.provide("broker", broker);

  return async () => {
    gateway.kill("SIGTERM");
    let hangTimer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      exited(gateway),
      new Promise<"hung">((r) => (hangTimer = setTimeout(() => r("hung"), 15_000))),
    ]);
    clearTimeout(hangTimer);
    await writeFile(logFile, output);
    if (mosquitto !== undefined) {
      mosquitto.kill("SIGTERM");
      await exited(mosquitto);
    }
    if (code === "hung") {
      gateway.kill("SIGKILL");
      throw new Error(`npm start did not stop within 15 s of SIGTERM; log: ${logFile}`);
    }
    if (code !== 0 || !output.includes("[start] stopped")) {
      throw new Error(`npm start stopped badly (exit ${code}); log: ${logFile}\n${(await readFile(logFile, "utf8")).slice(-2000)}`);
    }
    await rm(dir, { recursive: true, force: true });
  };
}
