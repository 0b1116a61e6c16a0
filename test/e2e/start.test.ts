// `npm start` itself, as a user runs it: through npm, with the embedded broker. npm does not pass SIGTERM on to the
// script it runs, so terminating `npm start` (a service manager, `timeout`, `kill <pid>`) must still stop the broker
// and workerd, not leave them holding the ports. It runs next to the suite's gateway, from the same checkout, as a
// second `npm start` would. And a start whose internal ports are taken from under it still comes back.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { lastCallId } from "./support/charge-point";
import { useGateway } from "./support/context";
import { exited, freePort, isListening, spawnUntilReady, startGateway } from "./support/processes";

const gw = useGateway();

/** The ports of `ports` still open after `ms`. */
async function stillOpenAfter(ports: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let open = ports;
  while (Date.now() < deadline) {
    const states = await Promise.all(open.map(isListening));
    open = open.filter((_, i) => states[i]);
    if (open.length === 0) return [];
    await new Promise((r) => setTimeout(r, 200));
  }
  return open;
}

function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): boolean {
  if (child?.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

let npm: ChildProcess | undefined;
let ports: number[] = [];
let dir: string | undefined;

afterAll(async () => {
  // Left running only when the test failed: npm, start.mjs and the broker share npm's process group, and
  // start.mjs stops wrangler's own group on SIGTERM.
  if (signalGroup(npm, "SIGTERM")) {
    await stillOpenAfter(ports, 15_000);
    signalGroup(npm, "SIGKILL");
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Modification times of the generated files `npm start` builds. */
async function generatedTimes(): Promise<Record<string, number>> {
  const folder = join("src", "generated");
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await stat(join(folder, n))).mtimeMs] as const)));
}

describe("npm start", () => {
  it("stops the broker and the Worker when npm itself is terminated, and a second start leaves the first one's charge points connected", { timeout: 150_000 }, async () => {
    // The suite's gateway runs from this checkout and watches its sources; a charge point of it stays connected.
    const cp = await gw.chargePoint("e2e-start-neighbour");
    let closed = false;
    cp.client.on("close", () => (closed = true));
    // Booted with a long heartbeat interval, so that the gateway's idle and heartbeat checks leave it open meanwhile.
    const booted = cp.client.call("BootNotification", { chargePointVendor: "v", chargePointModel: "m" });
    const boot = await gw.csms.on("ocpp/cp/e2e-start-neighbour", lastCallId(cp, "BootNotification"));
    const accepted = { status: "Accepted", currentTime: new Date().toISOString(), interval: 600 };
    await gw.csms.publish("ocpp/cs/e2e-start-neighbour", { MessageTypeId: 3, UniqueId: boot.body.UniqueId, Action: "BootNotification", Payload: accepted });
    expect(await booted).toEqual(accepted);
    const generated = await generatedTimes();

    dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-start-"));
    const [port, mqttPort, mqttWsPort] = [await freePort(), await freePort(), await freePort()];
    ports = [port, mqttPort, mqttWsPort];
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(mqttWsPort) };
    env.GATEWAY_STATE_DIR = join(dir, "state");
    env.WRANGLER_LOG = "warn";
    delete env.MQTT_URL;
    // Under `npm test`, npm_execpath is the npm that runs us; otherwise the one on PATH.
    const [command, args] = env.npm_execpath ? [process.execPath, [env.npm_execpath, "start"]] : ["npm", ["start"]];
    const started = await spawnUntilReady(command, args, { env, detached: true });
    npm = started.child;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    expect(await Promise.all([isListening(mqttPort), isListening(mqttWsPort)])).toEqual([true, true]);

    // The second start compiled the same schemas and dashboard: no file was rewritten, so the first gateway did not
    // reload, and its charge point is still connected and relaying.
    expect(await generatedTimes()).toEqual(generated);
    expect(closed).toBe(false);
    const answer = cp.client.call("Heartbeat", {});
    const call = await gw.csms.on("ocpp/cp/e2e-start-neighbour", lastCallId(cp, "Heartbeat"));
    await gw.csms.publish("ocpp/cs/e2e-start-neighbour", { MessageTypeId: 3, UniqueId: call.body.UniqueId, Action: "Heartbeat", Payload: { currentTime: new Date().toISOString() } });
    expect(await answer).toMatchObject({ currentTime: expect.any(String) });

    npm.kill("SIGTERM");
    await exited(npm);
    expect(await stillOpenAfter(ports, 15_000)).toEqual([]);
  });

  it("comes back when the ports it picks for itself are taken before they are bound", { timeout: 180_000 }, async () => {
    const hookDir = await mkdtemp(join(tmpdir(), "ocpp-gateway-ports-"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MQTT_PORT: "0",
      MQTT_WS_PORT: "0",
      GATEWAY_STATE_DIR: join(hookDir, "state"),
      WRANGLER_LOG: "warn",
      // The first two ports the start script probes for itself are taken at once (support/take-probed-ports.mjs).
      TAKE_PROBED_PORTS: "2",
    };
    delete env.MQTT_URL;
    const hook = pathToFileURL(join("test", "e2e", "support", "take-probed-ports.mjs")).href;
    const gateway = await startGateway(env, 0, ["--import", hook]);
    try {
      expect(gateway.output().match(/\[take-probed-ports\] took port \d+/g)).toHaveLength(2);
      const ok = await fetch(`http://127.0.0.1:${gateway.port}/`);
      expect(ok.status).toBe(200);
    } finally {
      expect(await gateway.stop()).toBe(0);
      await rm(hookDir, { recursive: true, force: true });
    }
  });
});
