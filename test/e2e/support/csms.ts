// The CSMS side of end-to-end tests: MQTT.js subscribed to the gateway's topics, with waits that time out.
import mqtt, { type MqttClient } from "mqtt";

export interface Envelope {
  readonly topic: string;
  readonly raw: string;
  readonly body: Record<string, unknown>;
}

export class Csms {
  private readonly inbox: Envelope[] = [];
  private readonly waiting = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload) => {
      const raw = payload.toString("utf8");
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { unparsable: raw };
      }
      this.inbox.push({ topic, raw, body });
      for (const w of this.waiting) w();
    });
  }

  static async connect(url: string, filter = "ocpp/#"): Promise<Csms> {
    const client = await mqtt.connectAsync(url, { clientId: `csms-${crypto.randomUUID()}`, reconnectPeriod: 0 });
    await client.subscribeAsync(filter, { qos: 1 });
    return new Csms(client);
  }

  /** The first envelope (already received or arriving) that matches, removed from the inbox. */
  next(match: (e: Envelope) => boolean, timeoutMs = 10_000): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const i = this.inbox.findIndex(match);
        if (i < 0) return false;
        const [e] = this.inbox.splice(i, 1);
        this.waiting.delete(listener);
        clearTimeout(timer);
        resolve(e as Envelope);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.waiting.delete(listener);
        reject(new Error(`CSMS: nothing matching within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox.map((e) => [e.topic, e.body.UniqueId]))}`));
      }, timeoutMs);
      if (!check()) this.waiting.add(listener);
    });
  }

  on(topic: string, uniqueId?: string, timeoutMs?: number): Promise<Envelope> {
    return this.next((e) => e.topic === topic && (uniqueId === undefined || e.body.UniqueId === uniqueId), timeoutMs);
  }

  all(topicPrefix: string): Envelope[] {
    return this.inbox.filter((e) => e.topic.startsWith(topicPrefix));
  }

  async publish(topic: string, body: unknown): Promise<void> {
    await this.client.publishAsync(topic, typeof body === "string" ? body : JSON.stringify(body), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
