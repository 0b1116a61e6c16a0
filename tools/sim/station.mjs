// One simulated charge point on ocpp-rpc's RPCClient: connection and reconnection, the frames it prints, boot,
// heartbeat and connector status, and a charging session in the abstract. What the messages look like in each
// OCPP version is in ./ocpp16.mjs and ./ocpp2.mjs.
import { RPCClient } from "ocpp-rpc";
import { describe, say } from "./print.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Refusals that trying again cannot fix (bad id, path or subprotocol, wrong password): the simulator stops. */
const PERMANENT = new Set([400, 401, 403, 404, 426]);
/** Power drawn while charging, for the meter (W). */
const POWER_W = 11_000;

export class Station {
  #booted;

  /**
   * @param {object} o
   * @param {string} o.endpoint  gateway URL without the id, e.g. ws://127.0.0.1:33033/ocpp
   * @param {string} o.id
   * @param {object} o.dialect   ./ocpp16.mjs or ./ocpp2.mjs
   * @param {string} o.protocol  ocpp1.6, ocpp2.0.1 or ocpp2.1
   * @param {string} [o.password]
   * @param {Buffer} [o.ca]      CA certificate(s) for wss://
   * @param {number} o.connectors
   * @param {number} o.meterInterval seconds between meter values
   * @param {boolean} o.quiet    print no frames (connection events still)
   * @param {object} [o.stats]   counters shared by the stations of one run
   */
  constructor(o) {
    this.o = o;
    this.id = o.id;
    this.dialect = o.dialect;
    this.config = { HeartbeatInterval: 60, MeterValueSampleInterval: o.meterInterval };
    this.connectors = Array.from({ length: o.connectors }, (_, i) => ({ id: i + 1, status: "Available", meter: 0, tx: undefined }));
    this.stopped = false;
    this.connection = 0; // counts connections, so work started for an old one stops
    /** Resolves once the first BootNotification was accepted and the connectors reported. */
    this.booted = new Promise((r) => (this.#booted = r));
    this.client = new RPCClient({
      endpoint: o.endpoint,
      identity: o.id,
      protocols: [o.protocol],
      // The library checks every message against its copy of the OCPP schemas, both ways. Not for 2.1: ocpp-rpc
      // 2.2.1 looks its 2.1 schemas up under ids they do not have ('urn:BootNotification.req' for
      // 'urn:BootNotificationRequest') and would refuse every message; the gateway checks them anyway.
      strictMode: o.protocol !== "ocpp2.1",
      ...(o.password ? { password: o.password } : {}),
      // closeTimeout: after the closing handshake, wait at most 2 s for the server to end the TCP connection (ws's
      // default is 30 s), so that Ctrl-C and a reset do not hang.
      wsOpts: { closeTimeout: 2000, ...(o.ca ? { ca: o.ca, minVersion: "TLSv1.2" } : {}) },
      backoff: { initialDelay: 1000, maxDelay: 30_000, factor: 2, randomisationFactor: 0.25 },
      callTimeoutMs: 35_000,
    });
    this.#watch();
    this.dialect.handle(this);
  }

  log(line) {
    say(this.id, line);
  }

  /** Connects, trying again with back-off until it works; after that ocpp-rpc reconnects by itself. */
  async start() {
    let delay = 1000;
    while (!this.stopped) {
      try {
        if (!this.o.quiet) this.log(`connecting to ${this.o.endpoint}/${encodeURIComponent(this.id)} (${this.o.protocol})`);
        await this.client.connect();
        return;
      } catch (error) {
        const status = typeof error.code === "number" ? error.code : undefined;
        const body = error.response ? await readBody(error.response) : "";
        const why = status ? `HTTP ${status} ${body}`.trim() : error.message;
        if (status && PERMANENT.has(status)) {
          this.log(`refused: ${why}`);
          process.exitCode = 1;
          this.stopped = true;
          return;
        }
        this.log(`cannot connect (${why}); trying again in ${Math.round(delay / 1000)} s`);
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  async stop() {
    this.stopped = true;
    this.#idle();
    await this.client.close({ code: 1000, reason: "" }).catch(() => undefined);
  }

  /** Sends a call; failures (a CALLERROR, a timeout, a lost connection) are printed and give undefined. */
  async call(action, payload) {
    try {
      return await this.client.call(action, payload);
    } catch (error) {
      if (!this.stopped) this.log(`${action} failed: ${error.message}`);
      return undefined;
    }
  }

  /** Runs `fn` once the current message has been answered (a charger answers a command, then acts on it). */
  later(fn) {
    setTimeout(() => void fn().catch((e) => this.log(`error: ${e.message}`)), 10);
  }

  /** BootNotification until Accepted (retried after the interval it names), then heartbeats and connector status. */
  async boot(reason) {
    const connection = this.connection;
    for (;;) {
      const answer = await this.call("BootNotification", this.dialect.boot(reason));
      if (connection !== this.connection || this.stopped) return;
      if (answer?.status === "Accepted") {
        this.setHeartbeat(answer.interval);
        break;
      }
      // Pending or Rejected: OCPP 1.6 §4.2 and 2.0.1 B02/B03 say to try again after `interval`; after an error or
      // no answer, a charger tries again too.
      await sleep((answer?.interval > 0 ? answer.interval : 10) * 1000);
      if (connection !== this.connection) return;
    }
    for (const c of this.connectors) await this.setStatus(c, c.status, true);
    this.#booted();
  }

  setHeartbeat(seconds) {
    if (Number.isInteger(seconds) && seconds > 0) this.config.HeartbeatInterval = seconds;
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.call("Heartbeat", {}), this.config.HeartbeatInterval * 1000);
  }

  /** Sends StatusNotification when the status the version can express changes, or always with `force`. */
  async setStatus(connector, status, force = false) {
    const changed = this.dialect.shownStatus(connector.status) !== this.dialect.shownStatus(status);
    connector.status = status;
    if (changed || force) await this.call("StatusNotification", this.dialect.status(connector));
  }

  freeConnector(id) {
    return this.connectors.find((c) => (id === undefined || c.id === id) && c.tx === undefined);
  }

  /**
   * A charging session on `connector`: started by the dialect, a meter value every MeterValueSampleInterval,
   * stopped after `samples` values or when `endCharging` is called. `start` tells the dialect how it began.
   */
  async charge(connector, idTag, { samples = Infinity, start = {} } = {}) {
    const tx = { idTag, stopReason: undefined, wake: () => undefined, seq: 0 };
    connector.tx = tx;
    try {
      await this.setStatus(connector, "Preparing");
      if (!(await this.dialect.startTransaction(this, connector, start))) return;
      await this.setStatus(connector, "Charging");
      for (let n = 0; n < samples && tx.stopReason === undefined; n++) {
        const seconds = this.config.MeterValueSampleInterval;
        await new Promise((r) => ((tx.wake = r), setTimeout(r, seconds * 1000)));
        if (tx.stopReason !== undefined) break;
        connector.meter += Math.round((POWER_W * seconds) / 3600);
        await this.dialect.meterValues(this, connector);
      }
      await this.dialect.stopTransaction(this, connector, tx.stopReason ?? "Local");
      await this.setStatus(connector, "Finishing");
    } finally {
      connector.tx = undefined;
      if (tx.stopReason !== "Reset") await this.setStatus(connector, "Available");
      tx.done?.();
    }
  }

  /** Ends the session on `connector` (reason: Local, Remote, Reset or Unlock); resolves once it ended. */
  endCharging(connector, reason) {
    const tx = connector.tx;
    if (tx === undefined) return Promise.resolve();
    tx.stopReason = reason;
    const done = new Promise((r) => (tx.done = r));
    tx.wake();
    return done;
  }

  /** A reset: sessions end, the connection closes, and the charger boots again on a new one. */
  async reboot() {
    await Promise.all(this.connectors.map((c) => this.endCharging(c, "Reset")));
    this.#idle();
    this.resetting = true;
    await this.client.close({ code: 1000, reason: "reset" });
    await sleep(1000);
    await this.start();
  }

  #idle() {
    clearInterval(this.heartbeat);
  }

  #watch() {
    const calls = { in: new Map(), out: new Map() }; // UniqueId → [Action, sent at], per direction of the call
    const stats = this.o.stats;
    this.client.on("open", () => {
      this.connection += 1;
      if (!this.o.quiet) this.log(`connected (${this.client.protocol})`);
      if (stats) stats.connected += 1;
      // Every connection starts with a BootNotification: the gateway learns the heartbeat interval from its
      // answer, and a new connection starts with the default interval again.
      void this.boot(this.connection === 1 ? "PowerUp" : this.resetting ? "RemoteReset" : "Unknown");
      this.resetting = false;
    });
    this.client.on("disconnect", ({ code, reason }) => {
      this.#idle();
      if (stats) stats.connected -= 1;
      if (this.stopped) return;
      if (reason === "replaced") {
        this.log("disconnected: a newer connection with the same id replaced this one; stopping");
        void this.stop();
        return;
      }
      this.log(`disconnected (${code}${reason ? ` ${reason}` : ""}); reconnecting`);
    });
    this.client.on("message", ({ message, outbound }) => {
      let frame;
      try {
        frame = JSON.parse(message.toString());
      } catch {
        this.log(`${outbound ? "→" : "←"} (not JSON) ${message.toString().slice(0, 200)}`);
        return;
      }
      const [type, id] = frame;
      // A CALL is remembered in the direction it travels; its answer travels the other way.
      const own = type === 2 || type === 6 ? (outbound ? calls.out : calls.in) : outbound ? calls.in : calls.out;
      let action;
      if (type === 2) {
        action = frame[2];
        own.set(id, [action, Date.now()]);
      } else {
        const call = own.get(id);
        own.delete(id);
        action = type === 6 ? frame[2] : call?.[0];
        if (stats && call && !outbound) {
          stats.answered += 1;
          if (type !== 3) stats.errors += 1;
          stats.latencies.push(Date.now() - call[1]);
        }
      }
      if (stats && outbound && type === 2) stats.calls += 1;
      if (this.o.quiet) return;
      const payload = type === 2 || type === 6 ? frame[3] : frame[2];
      this.log(`${outbound ? "→" : "←"} ${describe({ type, id, action, payload, errorCode: frame[2], errorDescription: frame[3] })}`);
    });
  }
}

async function readBody(response) {
  let text = "";
  try {
    for await (const chunk of response) {
      text += chunk;
      if (text.length > 1000) break;
    }
  } catch {
    // the body is only a detail for the message
  }
  return text.trim();
}
