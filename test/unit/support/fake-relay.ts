// A ChargePointSession on fake ports: what it sends to the charge point, publishes, and closes is recorded.
import { resolveConfig, type GatewayConfig } from "../../../src/config/gateway-config";
import { OCPP16, type OcppProtocol } from "../../../src/ocpp/protocol";
import type { CallStore, InflightCall, QueuedCall } from "../../../src/session/downstream-calls";
import type { Outbox } from "../../../src/session/outbox";
import { newConnectionState } from "../../../src/session/connection";
import { ChargePointSession } from "../../../src/session/session";

/** The call store in memory, as the ChargePoint object keeps it in storage. */
class MemoryCallStore implements CallStore {
  inflight: InflightCall | undefined;
  queue: QueuedCall[] = [];
  timedOut: [string, string][] = [];
  async getInflight() {
    return this.inflight;
  }
  async setInflight(call: InflightCall | undefined) {
    this.inflight = call;
  }
  async queueLength() {
    return this.queue.length;
  }
  async queuedFrame(uniqueId: string) {
    return this.queue.find((c) => c.uniqueId === uniqueId)?.frame;
  }
  async enqueue(call: QueuedCall) {
    this.queue.push(call);
  }
  async pushFront(call: QueuedCall) {
    this.queue.unshift(call);
  }
  async dequeue() {
    return this.queue.shift();
  }
  async rememberTimedOut(uniqueId: string, action: string) {
    this.timedOut = [...this.timedOut.filter(([id]) => id !== uniqueId), [uniqueId, action] as [string, string]].slice(-16);
  }
  async takeTimedOut(uniqueId: string) {
    const found = this.timedOut.find(([id]) => id === uniqueId);
    this.timedOut = this.timedOut.filter(([id]) => id !== uniqueId);
    return found?.[1];
  }
}

export function config(layer: Record<string, unknown> = {}): GatewayConfig {
  const r = resolveConfig(layer);
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.config;
}

export interface FakeRelayOptions {
  readonly config?: GatewayConfig;
  readonly protocol?: OcppProtocol;
  readonly connected?: boolean;
  readonly publishFails?: boolean;
  /** Publishes through this outbox instead of straight to the recorder. */
  readonly outbox?: Outbox;
}

export function fakeRelay(options: FakeRelayOptions = {}) {
  const sent: unknown[] = [];
  /** When each frame in `sent` reaches the charge point: now, or later when the session paces it (notBefore). */
  const sentAt: number[] = [];
  const published: { topic: string; message: Record<string, unknown> }[] = [];
  const closed: { code: number; reason: string; text: string }[] = [];
  const store = new MemoryCallStore();
  const clock = { now: 1_700_000_000_000 };
  let connected = options.connected ?? true;
  const state = newConnectionState(clock.now, 60);
  const relay = new ChargePointSession(
    { cid: "CP1", protocol: options.protocol ?? OCPP16, config: options.config ?? config() },
    {
      sendToChargePoint: (text, notBefore?: number) => {
        if (!connected) return false;
        sent.push(JSON.parse(text));
        sentAt.push(Math.max(clock.now, notBefore ?? clock.now));
        return true;
      },
      publish: async (topic, payload, kind) => {
        if (options.outbox !== undefined) return options.outbox.publish(topic, payload, false, kind);
        if (options.publishFails) return "refused";
        published.push({ topic, message: JSON.parse(payload) as Record<string, unknown> });
        return "sent";
      },
      closeChargePoint: async (code, reason, text) => {
        closed.push({ code, reason, text });
        connected = false;
      },
      isConnected: () => connected,
      now: () => clock.now,
    },
    state,
    store,
  );
  const topics = () => published.map((p) => p.topic);
  const on = (topic: string) => published.filter((p) => p.topic === topic).map((p) => p.message);
  const setConnected = (value: boolean) => (connected = value);
  return { relay, sent, sentAt, published, closed, store, state, clock, topics, on, setConnected };
}
