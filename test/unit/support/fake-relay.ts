// A ChargePointRelay on fake ports: what it sends to the charge point, publishes, and closes is recorded.
import { resolveConfig, type GatewayConfig } from "../../../src/config/gateway-config";
import { OCPP16 } from "../../../src/ocpp/protocol";
import { ChargePointRelay, newConnectionState, type PendingCalls } from "../../../src/session/relay";

export function config(layer: Record<string, unknown> = {}): GatewayConfig {
  const r = resolveConfig(layer);
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.config;
}

export interface FakeRelayOptions {
  readonly config?: GatewayConfig;
  readonly connected?: boolean;
  readonly publishFails?: boolean;
}

export function fakeRelay(options: FakeRelayOptions = {}) {
  const sent: unknown[] = [];
  const published: { topic: string; message: Record<string, unknown> }[] = [];
  const closed: { code: number; reason: string }[] = [];
  const pendingMap = new Map<string, string>();
  const pending: PendingCalls = {
    get: async (id) => pendingMap.get(id),
    put: async (id, action) => void pendingMap.set(id, action),
    delete: async (id) => void pendingMap.delete(id),
  };
  const state = newConnectionState();
  const relay = new ChargePointRelay(
    { cid: "CP1", protocol: OCPP16, config: options.config ?? config() },
    {
      sendToChargePoint: (text) => {
        if (options.connected === false) return false;
        sent.push(JSON.parse(text));
        return true;
      },
      publish: async (topic, payload) => {
        if (options.publishFails) throw new Error("link down");
        published.push({ topic, message: JSON.parse(payload) as Record<string, unknown> });
      },
      closeChargePoint: (code, reason) => void closed.push({ code, reason }),
      now: () => 1_700_000_000_000,
    },
    state,
    pending,
  );
  const topics = () => published.map((p) => p.topic);
  const on = (topic: string) => published.filter((p) => p.topic === topic).map((p) => p.message);
  return { relay, sent, published, closed, pendingMap, state, topics, on };
}
