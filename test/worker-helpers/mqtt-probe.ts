/**
 * A test-side MQTT client for tests running inside workerd: the CSMS's view of the broker. Built directly on
 * mqtt-packet (the codec), not on the gateway's own session code, so the two can disagree and a test can fail.
 */
import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import type { Packet } from "mqtt-packet";
import { brokerWsUrl } from "./broker-urls";

export interface Received {
  readonly topic: string;
  readonly text: string;
  json(): Record<string, unknown>;
}

export class MqttProbe {
  private readonly received: Received[] = [];
  private readonly waiting = new Set<() => void>();
  private readonly acks = new Map<number, () => void>();
  private nextId = 1;

  private constructor(private readonly ws: WebSocket) {}

  /** A clean session (MQTT 3.1.1 §3.1.2.4); connecting with a shard's client id discards that shard's session. */
  static async connect(url: string = brokerWsUrl, clientId = `probe-${crypto.randomUUID()}`): Promise<MqttProbe> {
    const ws = new WebSocket(url, "mqtt");
    ws.binaryType = "arraybuffer";
    const probe = new MqttProbe(ws);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("probe: no CONNACK")), 5000);
      parser.on("packet", (p: Packet) => {
        if (p.cmd === "connack") {
          clearTimeout(timer);
          if (p.returnCode === 0) resolve();
          else reject(new Error(`probe: CONNACK ${p.returnCode}`));
        } else probe.onPacket(p);
      });
      ws.addEventListener("error", () => reject(new Error("probe: socket error")));
    });
    ws.addEventListener("open", () => {
      ws.send(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId, clean: true, keepalive: 60 }));
    });
    // Braces: parse() returns a number, and workerd warns about event handlers that return a value.
    ws.addEventListener("message", (e) => {
      parser.parse(Buffer.from(e.data as ArrayBuffer));
    });
    await connected;
    return probe;
  }

  private onPacket(p: Packet): void {
    if (p.cmd === "publish") {
      const text = Buffer.from(p.payload).toString("utf8");
      this.received.push({ topic: p.topic, text, json: () => JSON.parse(text) as Record<string, unknown> });
      if (p.qos === 1 && p.messageId !== undefined) this.sendQuietly(mqttPacket.generate({ cmd: "puback", messageId: p.messageId }));
      for (const w of this.waiting) w();
    } else if ((p.cmd === "suback" || p.cmd === "puback") && p.messageId !== undefined) {
      this.acks.get(p.messageId)?.();
      this.acks.delete(p.messageId);
    }
  }

  /** A message that arrives while the probe closes is not acknowledged (its socket is gone). */
  private sendQuietly(bytes: Uint8Array): void {
    try {
      this.ws.send(bytes);
    } catch {
      // closed
    }
  }

  private request(packet: Packet & { messageId: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`probe: no ack for ${packet.cmd}`)), 5000);
      this.acks.set(packet.messageId, () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.send(mqttPacket.generate(packet));
    });
  }

  subscribe(filter: string): Promise<void> {
    return this.request({ cmd: "subscribe", messageId: this.nextId++, subscriptions: [{ topic: filter, qos: 1 }] });
  }

  publish(topic: string, payload: string | object, options: { retain?: boolean } = {}): Promise<void> {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    return this.request({
      cmd: "publish",
      messageId: this.nextId++,
      topic,
      payload: Buffer.from(text),
      qos: 1,
      retain: options.retain ?? false,
      dup: false,
    });
  }

  /** Resolves with the first message (already received or arriving) that matches; rejects after `timeoutMs`. */
  next(match: (m: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.received.findIndex(match);
        if (index < 0) return false;
        const [m] = this.received.splice(index, 1);
        this.waiting.delete(onMessage);
        clearTimeout(timer);
        resolve(m as Received);
        return true;
      };
      const onMessage = (): void => void check();
      const timer = setTimeout(() => {
        this.waiting.delete(onMessage);
        reject(new Error(`probe: no matching message within ${timeoutMs} ms; saw ${JSON.stringify(this.received.map((m) => m.topic))}`));
      }, timeoutMs);
      if (!check()) this.waiting.add(onMessage);
    });
  }

  /** Messages received so far on `topic` that no `next` has taken. */
  pending(topic: string): Received[] {
    return this.received.filter((m) => m.topic === topic);
  }

  close(): void {
    try {
      this.ws.send(mqttPacket.generate({ cmd: "disconnect" }));
      this.ws.close(1000);
    } catch {
      // already closed
    }
  }
}
