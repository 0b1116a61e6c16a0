// One charge point of the soak on raw `ws`: it boots on every connection, heartbeats at the interval the CSMS
// gives, reports connector status, charges (a transaction with meter values, then its end) and answers the CSMS's
// RemoteStart/RequestStart, GetConfiguration/GetVariables and Reset. One call of its own in flight at a time
// (OCPP-J §4.1.1). Transaction messages are kept and re-sent after a reconnect until answered (OCPP 1.6 §4.7,
// 2.0.1 E04); other calls lost with a connection are not. It reconnects with a jittered back-off (1 s doubling to
// 30 s). Every attempt and its end goes to the ledger.
import { randomUUID } from "node:crypto";
import WebSocket from "ws";

const CALL_TIMEOUT_MS = 150_000;
const METER_INTERVAL_S = 10;

export class SoakCharger {
  /**
   * @param {object} o
   * @param {string} o.url  ws://host:port/ocpp
   * @param {string} o.cid
   * @param {"1.6" | "2.0.1"} o.version
   * @param {import("./ledger.mjs").Ledger} o.ledger
   * @param {ReturnType<import("./rng.mjs").rng>} o.random
   * @param {number} o.pace  multiplies how often it starts a charging session
   */
  constructor(o) {
    Object.assign(this, { cid: o.cid, version: o.version, ledger: o.ledger, random: o.random, pace: o.pace, url: o.url });
    this.queue = []; // logical messages: { lid, action, tx, payload(), ts }
    this.inflight = undefined; // { uid, item, timer, since }
    this.conn = 0;
    this.sent = 0;
    this.ws = undefined;
    this.open = false;
    this.booted = false;
    this.bootedAt = 0;
    this.silent = false;
    this.stopped = false;
    this.quiet = false; // draining: no new messages of its own
    this.attempt = 0;
    this.tx = undefined;
    this.meter = 0;
    this.lastTs = 0;
    this.heartbeatS = 60;
    this.timers = new Set();
    this.rebooting = false; // closing for a Reset: reconnects after 1 s, boots with reason RemoteReset
    this.closingOwn = false; // the close under way is its own (not the gateway's)
  }

  start() {
    this.#connect();
    this.#later(() => this.#maybeCharge(), this.random.between(5, 60) * 1000);
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    clearInterval(this.heartbeat);
    this.ws?.terminate();
  }

  /** Settled: nothing in flight and nothing queued. */
  idle() {
    return this.inflight === undefined && this.queue.length === 0;
  }

  /** Fault: the socket closes without a closing handshake (a power cut, a dead modem). */
  drop() {
    this.ws?.terminate();
  }

  /** Fault: nothing goes in or out and nothing closes, for `ms`; then it gives up on the socket and reconnects. */
  blackhole(ms) {
    if (!this.open) return;
    this.silent = true;
    this.ws.pause();
    const ws = this.ws;
    this.#later(() => {
      this.silent = false;
      if (this.ws === ws) ws.terminate();
    }, ms);
  }

  #later(fn, ms) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  #connect() {
    if (this.stopped) return;
    const ws = new WebSocket(`${this.url}/${this.cid}`, [`ocpp${this.version}`], { handshakeTimeout: 15_000 });
    this.ws = ws;
    ws.on("open", () => {
      this.open = true;
      this.attempt = 0;
      this.conn++;
      this.booted = false;
      // Boot first on every connection, before anything left in the queue.
      this.queue = this.queue.filter((i) => i.action !== "BootNotification");
      const reason = this.conn === 1 ? "PowerUp" : this.rebooting ? "RemoteReset" : "Unknown";
      this.#enqueue("BootNotification", false, () => (this.version === "1.6" ? { chargePointVendor: "soak", chargePointModel: "soak" } : { chargingStation: { vendorName: "soak", model: "soak" }, reason }), true);
      this.rebooting = false;
      this.#pump();
    });
    ws.on("message", (data) => this.#onFrame(String(data)));
    ws.on("close", (code, reason) => this.#onClose(ws, code, String(reason)));
    ws.on("error", () => undefined);
  }

  #onClose(ws, code, reason) {
    if (this.ws !== ws) return;
    const wasOpen = this.open;
    const wasSilent = this.silent;
    this.open = false;
    this.booted = false;
    this.silent = false;
    clearInterval(this.heartbeat);
    // A charge point that stopped reading (the blackhole fault) may not have seen the answer the gateway sent it.
    if (wasOpen && code !== 1006 && !this.closingOwn) this.ledger.closed(this.cid, code, reason, wasSilent ? 0 : (this.inflight?.since ?? 0));
    this.closingOwn = false;
    const f = this.inflight;
    if (f !== undefined) {
      clearTimeout(f.timer);
      this.inflight = undefined;
      this.ledger.dropped(f.uid);
      if (!f.item.tx) this.#remove(f.item);
    }
    // Calls other than transaction messages are not kept for the next connection.
    this.queue = this.queue.filter((i) => i.tx);
    if (this.stopped) return;
    const delay = this.rebooting ? 1000 : Math.min(30_000, 1000 * 2 ** this.attempt++) * this.random.between(0.75, 1.25);
    this.#later(() => this.#connect(), delay);
  }

  #timestamp() {
    const ms = Math.max(Date.now(), this.lastTs + 1);
    this.lastTs = ms;
    return new Date(ms).toISOString();
  }

  /** A logical message; `payload(ts)` is built at each attempt (a transaction id may be known only by then). */
  #enqueue(action, tx, payload, first = false) {
    const ts = this.#timestamp();
    const key = tx ? `${this.cid}|${action}|${ts}` : undefined;
    const item = { lid: this.ledger.newLogical(this.cid, action, tx, key), action, tx, payload, ts };
    if (first) this.queue.unshift(item);
    else this.queue.push(item);
    this.#pump();
  }

  #pump() {
    if (!this.open || this.silent || this.inflight !== undefined || this.queue.length === 0) return;
    const item = this.queue[0];
    if (!this.booted && item.action !== "BootNotification") return;
    const uid = `${this.cid}.${this.conn}.${++this.sent}`;
    this.ledger.sent(uid, this.cid, item.action, item.lid, this.conn);
    const timer = setTimeout(() => this.#timeout(uid), CALL_TIMEOUT_MS);
    this.inflight = { uid, item, timer, since: Date.now() };
    this.ws.send(JSON.stringify([2, uid, item.action, item.payload(item.ts)]));
  }

  #timeout(uid) {
    if (this.inflight?.uid !== uid) return;
    this.ledger.timedOut(uid);
    const { item } = this.inflight;
    this.inflight = undefined;
    if (!item.tx) this.#remove(item);
    this.#pump();
  }

  #remove(item) {
    this.queue = this.queue.filter((i) => i !== item);
  }

  #onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (!Array.isArray(frame)) return this.ledger.unreadable(`${this.cid}: a frame that is not an OCPP-J array: ${text.slice(0, 100)}`);
    const [type, uid] = frame;
    if (type === 2) return this.#onCommand(uid, frame[2], frame[3]);
    const f = this.inflight;
    if (f === undefined || f.uid !== uid) return this.ledger.unexpectedAnswer(this.cid, uid);
    clearTimeout(f.timer);
    this.inflight = undefined;
    this.#remove(f.item);
    this.ledger.ended(uid, type, type === 4 ? frame[2] : "");
    if (type === 3) this.#answered(f.item, frame[2]);
    else if (f.item.action === "BootNotification") this.#later(() => this.open && this.#enqueue("BootNotification", false, f.item.payload, true), 10_000);
    else if (f.item.onRefused) f.item.onRefused();
    this.#pump();
  }

  #answered(item, payload) {
    if (item.action === "BootNotification") {
      if (payload.status !== "Accepted") return this.#later(() => this.open && this.inflight === undefined && this.#enqueue("BootNotification", false, item.payload, true), (payload.interval || 10) * 1000);
      this.booted = true;
      this.bootedAt = Date.now();
      if (Number.isInteger(payload.interval) && payload.interval > 0) this.heartbeatS = payload.interval;
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => {
        // Heartbeats go on while the run drains: a charge point that stops them is closed for silence.
        if (this.booted && !this.heartbeatsOff && !this.queue.some((i) => i.action === "Heartbeat")) this.#enqueue("Heartbeat", false, () => ({}));
      }, this.heartbeatS * 1000);
      if (!this.quiet) this.#status(this.tx === undefined ? "Available" : "Charging");
    }
    item.onAnswer?.(payload);
  }

  #status(status) {
    const two = this.version !== "1.6";
    const shown = two ? (status === "Available" ? "Available" : "Occupied") : status;
    this.#enqueue("StatusNotification", false, (ts) => (two ? { timestamp: ts, connectorStatus: shown, evseId: 1, connectorId: 1 } : { connectorId: 1, errorCode: "NoError", status: shown, timestamp: ts }));
  }

  #maybeCharge() {
    if (!this.quiet && !this.resetting && this.tx === undefined && this.booted) this.#charge(`TAG-${this.cid}`, undefined);
    this.#later(() => this.#maybeCharge(), (this.random.between(60, 180) * 1000) / this.pace);
  }

  /** A charging session: start, a meter value every METER_INTERVAL_S, end after a few. */
  #charge(idTag, remoteStartId) {
    const tx = { id: this.version === "1.6" ? undefined : randomUUID(), seq: 0, samples: this.random.int(2, 6), idTag, remoteStartId, over: false };
    this.tx = tx;
    const two = this.version !== "1.6";
    const meter = (ts) => [{ timestamp: ts, sampledValue: [two ? { value: this.meter, measurand: "Energy.Active.Import.Register" } : { value: String(this.meter), measurand: "Energy.Active.Import.Register", unit: "Wh", context: "Sample.Periodic" }] }];
    const end = () => {
      if (tx.over) return;
      tx.over = true;
      if (this.tx === tx) this.tx = undefined;
    };
    if (two) {
      const started = { eventType: "Started", triggerReason: remoteStartId === undefined ? "Authorized" : "RemoteStart", seqNo: tx.seq++, transactionInfo: { transactionId: tx.id, chargingState: "Charging", ...(remoteStartId === undefined ? {} : { remoteStartId }) }, idToken: { idToken: idTag, type: "ISO14443" } };
      this.#enqueue("TransactionEvent", true, (ts) => ({ ...started, timestamp: ts, evse: { id: 1, connectorId: 1 }, meterValue: meter(ts) }));
    } else {
      const meterStart = this.meter;
      this.#enqueue("StartTransaction", true, (ts) => ({ connectorId: 1, idTag, meterStart, timestamp: ts }));
      const item = this.queue.at(-1);
      item.onAnswer = (p) => (tx.id = p.transactionId);
      item.onRefused = () => {
        end();
        // Without a transaction id its later messages cannot be sent: they are given up, and say so in the ledger.
        for (const i of this.queue.filter((x) => x.txOf === tx)) this.ledger.abandoned(i.lid);
        this.queue = this.queue.filter((i) => i.txOf !== tx);
      };
    }
    this.#status("Charging");
    const sample = () => {
      if (tx.over || this.tx !== tx) return;
      this.meter += 30;
      if (tx.samples-- > 0 && !tx.stopping) {
        const seqNo = two ? tx.seq++ : 0;
        this.#enqueue(two ? "TransactionEvent" : "MeterValues", true, (ts) =>
          two
            ? { eventType: "Updated", timestamp: ts, triggerReason: "MeterValuePeriodic", seqNo, transactionInfo: { transactionId: tx.id }, meterValue: meter(ts) }
            : { connectorId: 1, transactionId: tx.id, meterValue: meter(ts) },
        );
        this.queue.at(-1).txOf = tx;
        return this.#later(sample, METER_INTERVAL_S * 1000);
      }
      this.#stopCharging(tx, tx.stopping ?? "Local");
    };
    tx.stop = (reason) => {
      tx.stopping = reason;
      this.#stopCharging(tx, reason);
    };
    this.#later(sample, METER_INTERVAL_S * 1000);
  }

  #stopCharging(tx, reason) {
    if (tx.over || tx.ending) return;
    tx.ending = true;
    const two = this.version !== "1.6";
    const meterStop = this.meter;
    const seqNo = two ? tx.seq++ : 0;
    const reasons16 = { Local: "Local", Remote: "Remote", Reset: "SoftReset" };
    const reasons2 = { Local: ["StopAuthorized", "Local"], Remote: ["RemoteStop", "Remote"], Reset: ["ResetCommand", "ImmediateReset"] };
    this.#enqueue(two ? "TransactionEvent" : "StopTransaction", true, (ts) =>
      two
        ? { eventType: "Ended", timestamp: ts, triggerReason: reasons2[reason][0], seqNo, transactionInfo: { transactionId: tx.id, stoppedReason: reasons2[reason][1] }, evse: { id: 1, connectorId: 1 } }
        : { transactionId: tx.id, meterStop, timestamp: ts, reason: reasons16[reason] },
    );
    this.queue.at(-1).txOf = tx;
    tx.over = true;
    if (this.tx === tx) this.tx = undefined;
    if (reason !== "Reset") this.#status("Available");
  }

  #reply(uid, payload) {
    if (this.open && !this.silent) this.ws.send(JSON.stringify([3, uid, payload]));
  }

  #onCommand(uid, action, params) {
    this.ledger.commandReceived(this.cid, uid);
    const two = this.version !== "1.6";
    switch (action) {
      case "RemoteStartTransaction":
      case "RequestStartTransaction": {
        const free = this.tx === undefined && this.booted && !this.quiet;
        this.#reply(uid, { status: free ? "Accepted" : "Rejected" });
        if (free) this.#later(() => this.tx === undefined && !this.quiet && !this.rebooting && this.#charge(two ? params.idToken.idToken : params.idTag, two ? params.remoteStartId : undefined), 20);
        return;
      }
      case "GetConfiguration":
        return this.#reply(uid, { configurationKey: [{ key: "HeartbeatInterval", readonly: false, value: String(this.heartbeatS) }], unknownKey: (params.key ?? []).filter((k) => k !== "HeartbeatInterval") });
      case "GetVariables":
        return this.#reply(uid, { getVariableResult: params.getVariableData.map(({ component, variable }) => ({ attributeStatus: "Accepted", attributeValue: String(this.heartbeatS), component, variable })) });
      case "Reset":
        this.#reply(uid, { status: "Accepted" });
        return this.#later(() => this.#reboot(), 20);
      default:
        if (this.open) this.ws.send(JSON.stringify([4, uid, "NotImplemented", `${action} is not simulated`, {}]));
    }
  }

  /** A reset: the session ends (its end is a transaction message, kept), the connection closes, it boots again. */
  #reboot() {
    if (this.rebooting || this.resetting) return;
    this.resetting = true;
    this.tx?.stop("Reset");
    const close = () => {
      this.resetting = false;
      if (!this.open) return;
      this.rebooting = true;
      this.closingOwn = true;
      this.ws.close(1000, "reset");
    };
    // Closes once what the session sent is answered (or after 10 s: it is kept and re-sent anyway).
    const started = Date.now();
    const wait = () => (this.idle() || Date.now() - started > 10_000 ? close() : this.#later(wait, 200));
    wait();
  }

  /** The end of a run: no more heartbeats. */
  stopHeartbeats() {
    this.heartbeatsOff = true;
    clearInterval(this.heartbeat);
  }

  /** Draining: no new charging sessions (queued calls still go, and heartbeats). */
  drain() {
    this.quiet = true;
    this.tx?.stop("Local");
  }
}
