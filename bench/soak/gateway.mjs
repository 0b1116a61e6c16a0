// The gateway as a user runs it: `npm start` (scripts/start.mjs: the front and `wrangler dev`), here with the
// broker given by MQTT_URL, a fixed port and a fixed state directory, so a restart is what a deploy is: every
// socket drops, and the new process finds the shards' SQLite state (sessions, queues, outboxes) where it was.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE, waitForHttp } from "../../scripts/processes.mjs";
import { ROOT, spawnGroup, usage, workerdPids } from "../lib/processes.mjs";

export class Gateway {
  #group;
  #earlier = "";

  /** @param {{ port: number, stateDir: string, mqttUrl: string, clientIdPrefix: string, adminKey: string, adminSecret: string }} o */
  constructor(o) {
    this.o = o;
    this.url = `http://127.0.0.1:${o.port}`;
  }

  async start() {
    const o = this.o;
    const env = {
      ...process.env,
      ...OFFLINE,
      PORT: String(o.port),
      MQTT_URL: o.mqttUrl,
      MQTT_CLIENT_ID_PREFIX: o.clientIdPrefix,
      GATEWAY_STATE_DIR: o.stateDir,
      ADMIN_API_KEY: o.adminKey,
      ADMIN_API_SECRET: o.adminSecret,
      WRANGLER_LOG: process.env.SOAK_GATEWAY_LOG ? "info" : "warn",
    };
    delete env.GATEWAY_CONFIG;
    this.#group = spawnGroup(process.execPath, [join(ROOT, "scripts", "start.mjs")], { cwd: ROOT, env });
    await waitForHttp(`${this.url}/`, this.#group.child, 180_000);
  }

  /** As Ctrl-C does: SIGTERM to the group (SIGKILL after 10 s). */
  async stop() {
    await this.#group?.stop();
    this.#earlier += this.#group?.output() ?? "";
    this.#group = undefined;
  }

  /** What the gateway printed, across restarts. */
  output() {
    return this.#earlier + (this.#group?.output() ?? "");
  }

  /** Resident memory of the gateway's workerd processes, in bytes. */
  rss() {
    if (this.#group === undefined) return 0;
    return usage(workerdPids(this.#group.child.pid)).rss;
  }

  /** Durable Objects with storage: the SQLite files under the state directory. */
  objects() {
    let n = 0;
    const walk = (dir) => {
      for (const name of safeList(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith(".sqlite")) n++;
      }
    };
    walk(this.o.stateDir);
    return n;
  }

  /** Connected clients as the management API counts them (every shard asked). */
  async clients() {
    const auth = Buffer.from(`${this.o.adminKey}:${this.o.adminSecret}`).toString("base64");
    const res = await fetch(`${this.url}/api/v5/gateways/ocpp/clients?limit=1`, { headers: { authorization: `Basic ${auth}` }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /api/v5/gateways/ocpp/clients: ${res.status} ${await res.text()}`);
    return (await res.json()).meta.count;
  }
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
