// `npm start` itself, as a user runs it: through npm, with the embedded broker. npm does not pass SIGTERM on to the
// script it runs, so terminating `npm start` (a service manager, `timeout`, `kill <pid>`) must still stop the broker
// and workerd, not leave them holding the ports.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exited, freePort } from "./support/processes";

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

async function closedWithin(ports: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let open = ports;
  while (Date.now() < deadline) {
    const states = await Promise.all(open.map(listening));
    open = open.filter((_, i) => states[i]);
    if (open.length === 0) return [];
    await new Promise((r) => setTimeout(r, 200));
  }
  return open;
}

let npm: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("stops the broker and the Worker when npm itself is terminated", { timeout: 150_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-start-"));
    const [port, mqttPort, mqttWsPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(mqttWsPort) };
    env.GATEWAY_STATE_DIR = join(dir, "state");
    env.WRANGLER_LOG = "warn";
    delete env.MQTT_URL;
    // Under `npm test`, npm_execpath is the npm that runs us; otherwise the one on PATH.
    const [command, args] = env.npm_execpath ? [process.execPath, [env.npm_execpath, "start"]] : ["npm", ["start"]];
    npm = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes("gateway is ready")) resolve();
      };
      npm?.stdout?.on("data", onData);
      npm?.stderr?.on("data", onData);
      npm?.once("exit", (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
    });
    await ready;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    expect(await Promise.all([listening(mqttPort), listening(mqttWsPort)])).toEqual([true, true]);

    npm.kill("SIGTERM");
    await exited(npm);
    expect(await closedWithin([port, mqttPort, mqttWsPort], 15_000)).toEqual([]);
  });
});
