// Processes the end-to-end tests run: the gateway exactly as `npm start` starts it, and Debian's mosquitto.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";

import { freePort } from "../../../scripts/ports.mjs";

export { freePort };

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isListening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

export interface Mosquitto {
  readonly tcpPort: number;
  readonly wsPort: number;
  stop(): Promise<void>;
}

export async function startMosquitto(dir: string): Promise<Mosquitto> {
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const conf = join(dir, `mosquitto-${tcpPort}.conf`);
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
  return {
    tcpPort,
    wsPort,
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}

export interface GatewayProcess {
  readonly port: number;
  output(): string;
  /** SIGTERM; resolves with the exit code, or "hung" if it did not stop within 15 s. */
  stop(): Promise<number | null | "hung">;
}

/**
 * Spawns `command` (the gateway's start script, or npm running it) and waits until it says the gateway is ready and
 * has printed where it listens; on failure it is terminated and the error carries its output.
 */
export async function spawnUntilReady(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; detached?: boolean },
): Promise<{ child: ChildProcess; output(): string }> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("gateway is ready") && /\[start\]\s+MQTT broker: .*\n/.test(output)) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
    timer = setTimeout(() => reject(new Error(`npm start not ready after 120 s:\n${output}`)), 120_000);
  });
  try {
    await ready;
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { child, output: () => output };
}

/** The port of the URL the start banner prints after `label` (e.g. "charge points:", "MQTT broker:"). */
export function bannerPort(output: string, label: string): number {
  const match = new RegExp(`\\[start\\]\\s+${label}\\s+\\w+://127\\.0\\.0\\.1:(\\d+)`).exec(output);
  if (match === null) throw new Error(`the start banner has no ${label} URL:\n${output}`);
  return Number(match[1]);
}

/**
 * Runs `node scripts/start.mjs` (what `npm start` runs; `nodeArgs` go before the script) and waits until it is
 * ready. Port 0 lets the gateway's front take a port the system picks; `port` is then the one the banner names.
 */
export async function startGateway(env: NodeJS.ProcessEnv, port: number, nodeArgs: string[] = []): Promise<GatewayProcess> {
  const { child: gateway, output } = await spawnUntilReady(process.execPath, [...nodeArgs, "scripts/start.mjs"], { env: { ...env, PORT: String(port) } });
  return {
    port: port === 0 ? bannerPort(output(), "charge points:") : port,
    output,
    async stop() {
      gateway.kill("SIGTERM");
      let hangTimer: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([exited(gateway), new Promise<"hung">((r) => (hangTimer = setTimeout(() => r("hung"), 15_000)))]);
      clearTimeout(hangTimer);
      if (code === "hung") gateway.kill("SIGKILL");
      return code;
    },
  };
}
