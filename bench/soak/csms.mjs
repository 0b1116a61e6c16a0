// The soak's back office on MQTT.js: a persistent session (fixed client id, clean: false, QoS 1), so a broker
// restart costs it nothing; it answers every call of every charge point with a valid payload for its OCPP version,
// and sends commands (RemoteStart/RequestStart, GetConfiguration/GetVariables, Reset) to random charge points.
// What it receives and sends goes to the ledger. Topics are the gateway's defaults under ocpp/.
import mqtt from "mqtt";

const ANSWERS = {
  "1.6": {
    BootNotification: (interval) => ({ currentTime: new Date().toISOString(), interval, status: "Accepted" }),
    Heartbeat: () => ({ currentTime: new Date().toISOString() }),
    StartTransaction: (_, next) => ({ transactionId: next(), idTagInfo: { status: "Accepted" } }),
    StopTransaction: () => ({ idTagInfo: { status: "Accepted" } }),
  },
  "2.0.1": {
    BootNotification: (interval) => ({ currentTime: new Date().toISOString(), interval, status: "Accepted" }),
    Heartbeat: () => ({ currentTime: new Date().toISOString() }),
    TransactionEvent: (_, __, p) => (p.idToken ? { idTokenInfo: { status: "Accepted" } } : {}),
  },
};

export class SoakCsms {
  /** @param {{ url: string, ledger: import("./ledger.mjs").Ledger, versions: Map<string, string>, heartbeatS: number, clientId: string }} o */
  constructor(o) {
    this.o = o;
    this.ledger = o.ledger;
    this.nextTx = 1;
    this.nextCommand = 0;
    this.nextRemoteStart = 1;
    this.received = 0;
    this.published = 0;
  }

  async start() {
    this.client = await mqtt.connectAsync(this.o.url, { clientId: this.o.clientId, clean: false, reconnectPeriod: 500, connectTimeout: 5000 });
    // MQTT.js leaves Nagle's algorithm on: a back office that answers at once turns it off.
    const noDelay = () => this.client.stream?.setNoDelay?.(true);
    noDelay();
    this.client.on("connect", noDelay);
    this.client.on("message", (topic, payload) => this.#onMessage(topic, payload));
    this.client.on("error", () => undefined);
    await this.client.subscribeAsync(["ocpp/cp/+", "ocpp/cp/+/Reply"], { qos: 1 });
  }

  async stop() {
    await this.client.endAsync(true);
  }

  #publish(cid, envelope) {
    this.published++;
    this.client.publish(`ocpp/cs/${cid}`, JSON.stringify(envelope), { qos: 1 });
  }

  #onMessage(topic, payload) {
    const [, , cid, sub] = topic.split("/");
    let m;
    try {
      m = JSON.parse(payload.toString());
    } catch {
      m = undefined;
    }
    if (typeof m !== "object" || m === null) return this.ledger.unreadable(`CSMS: not an envelope on ${topic}`);
    this.received++;
    if (sub === "Reply") return this.ledger.commandEnded(cid, m.UniqueId, m.MessageTypeId, m.MessageTypeId === 4 ? `${m.Origin === "gateway" ? "gateway" : "charger"}: ${m.Reason ?? m.ErrorCode}` : "");
    if (m.MessageTypeId !== 2) return this.ledger.unreadable(`CSMS: a message of type ${m.MessageTypeId} on the calls topic ${topic}`);
    // The soak's charge points number their calls `<cid>.<connection>.<n>`: another's call here is a wrong delivery.
    if (typeof m.UniqueId !== "string" || !m.UniqueId.startsWith(`${cid}.`)) return this.ledger.wrong.push(`CSMS: call ${m.UniqueId} on ${cid}'s topic`);
    const p = m.Payload ?? {};
    // A transaction message's logical key: the timestamp it was made with (the same in every re-send; 1.6
    // MeterValues carry it in their first sample).
    const tx = ["StartTransaction", "StopTransaction", "MeterValues", "TransactionEvent"].includes(m.Action);
    this.ledger.csmsReceived(cid, m.UniqueId, tx ? `${cid}|${m.Action}|${p.timestamp ?? p.meterValue?.[0]?.timestamp}` : undefined);
    const version = this.o.versions.get(cid) ?? "1.6";
    const answer = ANSWERS[version][m.Action];
    this.ledger.csmsAnswered(cid, m.UniqueId);
    this.#publish(cid, { MessageTypeId: 3, UniqueId: m.UniqueId, Payload: answer ? answer(this.o.heartbeatS, () => this.nextTx++, p) : {} });
  }

  /** A command to `cid`, of a kind picked by `random` in [0, 1). */
  command(cid, random) {
    const two = (this.o.versions.get(cid) ?? "1.6") !== "1.6";
    const uid = `csms-${++this.nextCommand}`;
    let action;
    let payload;
    if (random < 0.5) {
      action = two ? "GetVariables" : "GetConfiguration";
      payload = two ? { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] } : { key: ["HeartbeatInterval"] };
    } else if (random < 0.9) {
      action = two ? "RequestStartTransaction" : "RemoteStartTransaction";
      payload = two ? { idToken: { idToken: `R-${cid}`, type: "Central" }, remoteStartId: this.nextRemoteStart++ } : { idTag: `R-${cid}`, connectorId: 1 };
    } else {
      action = "Reset";
      payload = { type: two ? "OnIdle" : "Soft" };
    }
    this.ledger.commandSent(uid, cid, action);
    this.#publish(cid, { MessageTypeId: 2, UniqueId: uid, Action: action, Payload: payload });
  }
}
