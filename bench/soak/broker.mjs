// Debian's mosquitto for the soak, with persistence on: sessions, subscriptions and queued QoS 1 messages are
// written to disk every second and when it stops, so a restart keeps them. What a hard kill (SIGKILL) loses is what
// arrived after the last save (up to a second's worth): mosquitto does not write each message before its PUBACK.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";

const MOSQUITTO = process.env.MOSQUITTO ?? "mosquitto";

export class Mosquitto {
  #child;
  #log = "";

  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.conf = join(dir, "mosquitto.conf");
  }

  async start() {
    await writeFile(
      this.conf,
      [
        `listener ${this.port} 127.0.0.1`,
        "allow_anonymous true",
        "persistence true",
        `persistence_location ${this.dir}/`,
        // Seconds between saves (autosave_on_changes is off): what a hard kill can lose.
        "autosave_interval 1",
        // A shard's session holds the commands for every charge point it serves while its link is down: mosquitto's
        // default (1,000 per client) would drop the rest without telling anyone.
        "max_queued_messages 1000000",
        "max_inflight_messages 100",
        // mosquitto 2.0 leaves Nagle's algorithm on unless told otherwise.
        "set_tcp_nodelay true",
        "log_dest stderr",
        ...(process.env.SOAK_BROKER_LOG ? [`log_dest file ${process.env.SOAK_BROKER_LOG}`, "log_type all", "log_timestamp_format %H:%M:%S"] : ["log_type error", "log_type warning"]),
        "",
      ].join("\n"),
    );
    this.#child = spawn(MOSQUITTO, ["-c", this.conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.#child.stderr.on("data", (c) => (this.#log = (this.#log + c).slice(-20_000)));
    const child = this.#child;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (let i = 0; i < 100; i++) {
      if (await listening(this.port)) return;
      if (child.exitCode !== null) break;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    throw new Error(`mosquitto did not start on port ${this.port}: ${this.#log}`);
  }

  /** SIGTERM (mosquitto saves and exits) or SIGKILL (nothing saved since the last autosave). */
  async stop(signal = "SIGTERM") {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    this.#child = undefined;
  }

  get log() {
    return this.#log;
  }
}

function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}
