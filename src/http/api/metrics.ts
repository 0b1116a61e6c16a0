/**
 * `GET /gateways/ocpp/metrics`: the gateway's figures in the Prometheus text format (version 0.0.4), for the
 * monitoring operators already run. Behind the admin check like every management call (Prometheus sends the key
 * and secret with `basic_auth`).
 *
 * Sources, and what a scrape costs: every shard of the configuration is asked once (one Durable Object request per
 * shard), and answers with its connected charge points by version, the per-connection figures summed over them
 * (frames in and out, malformed and invalid messages, the gateway's CALLERRORs, dropped messages, queued calls,
 * outbox depth) and its broker link's state and counters. Nothing is counted on the message path for this: a scrape
 * reads what the shards keep anyway, so the cost per message is zero and the cost per scrape is one request per
 * shard. The per-connection figures start at 0 when a charge point (re)connects, so they are gauges over the
 * connections open now, not counters.
 */
import { Hono } from "hono";
import { loadGatewayConfig } from "../../config/store";
import type { LinkStatus } from "../../link/status";
import type { ShardFigures } from "../../objects/gateway-shard";
import { everyShard } from "../shards";

const LINK_STATES = ["idle", "connecting", "connected", "waiting", "unknown"] as const;

/** Label values escaped as the text format asks (backslash, double quote, newline). */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: "gauge" | "counter", help: string, samples: readonly (readonly [Record<string, string>, number])[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
      this.lines.push(`${name}${text ? `{${text}}` : ""} ${value}`);
    }
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

type LinkView = Omit<Partial<LinkStatus>, "state" | "shard"> & { readonly shard: string; readonly state: string };

export const metricsApi = new Hono<{ Bindings: Env }>().get("/", async (c) => {
  const config = await loadGatewayConfig(c.env);
  const answers = await everyShard(c.env, config, (stub, name) => stub.figures(name));
  const figures: ShardFigures[] = [];
  for (const a of answers) if (a.result !== undefined) figures.push(a.result as ShardFigures);
  const links: LinkView[] = answers.map((a) => a.result?.link ?? { shard: a.shard, state: "unknown" });
  const byVersion: Record<string, number> = {};
  for (const f of figures) for (const [v, n] of Object.entries(f.byVersion)) byVersion[v] = (byVersion[v] ?? 0) + n;
  const sum = (pick: (s: ShardFigures["sums"]) => number) => figures.reduce((t, f) => t + pick(f.sums), 0);
  const out = new Exposition();
  out.metric("ocpp_gateway_enabled", "gauge", "1 when new charge point connections are accepted", [[{}, config.enable ? 1 : 0]]);
  const versions = new Set(["1.6", "2.0.1", "2.1", ...Object.keys(byVersion)]);
  out.metric("ocpp_gateway_connections", "gauge", "Connected charge points by OCPP version", [...versions].map((v) => [{ version: v }, byVersion[v] ?? 0] as const));
  const connected = Object.values(byVersion).reduce((a, b) => a + b, 0);
  out.metric("ocpp_gateway_connections_sampled", "gauge", "Connected charge points whose figures are summed below (those of shards that answered)", [[{}, connected]]);
  out.metric("ocpp_gateway_shards_unanswered", "gauge", "Shards that could not be asked (their figures are missing)", [[{}, answers.length - figures.length]]);
  const perConnection: [string, string, (s: ShardFigures["sums"]) => number][] = [
    ["ocpp_gateway_frames_received", "Frames received from charge points, over the connections open now", (s) => s.recv_msg],
    ["ocpp_gateway_frames_sent", "Frames sent to charge points, over the connections open now", (s) => s.send_msg],
    ["ocpp_gateway_frames_malformed", "Frames that could not be parsed, over the connections open now", (s) => s.malformed],
    ["ocpp_gateway_validation_failures", "Messages, either direction, that failed a schema check, over the connections open now", (s) => s.invalid],
    ["ocpp_gateway_callerrors_sent", "CALLERRORs the gateway itself sent to charge points, over the connections open now", (s) => s.call_errors],
    ["ocpp_gateway_messages_dropped", "Messages neither published nor kept (outbox full), over the connections open now", (s) => s.dropped],
    ["ocpp_gateway_downstream_queue", "CSMS calls queued for connected charge points", (s) => s.mqueue_len],
    ["ocpp_gateway_outbox_depth", "Upstream messages waiting for the broker, at connected charge points", (s) => s.outbox_len],
  ];
  for (const [name, help, pick] of perConnection) out.metric(name, "gauge", help, [[{}, sum(pick)]]);
  out.metric("ocpp_gateway_broker_link_up", "gauge", "1 when the broker link's MQTT connection is up", links.map((l) => [{ shard: String(l.shard) }, l.state === "connected" ? 1 : 0] as const));
  out.metric(
    "ocpp_gateway_broker_link_state",
    "gauge",
    "The broker link's state (1 for the current one)",
    links.flatMap((l) => LINK_STATES.map((s) => [{ shard: String(l.shard), state: s }, l.state === s ? 1 : 0] as const)),
  );
  const linkCounters: [string, string, keyof LinkStatus][] = [
    ["ocpp_gateway_broker_link_connects", "MQTT connections the link made since its object started", "connects"],
    ["ocpp_gateway_broker_link_published", "Upstream messages the broker confirmed, since the link's object started", "published"],
    ["ocpp_gateway_broker_link_delivered", "Downstream messages delivered to charge point objects, since the link's object started", "delivered"],
    ["ocpp_gateway_broker_link_refused", "Downstream messages refused and reported on the error topic, since the link's object started", "refused"],
    ["ocpp_gateway_broker_link_dropped", "Downstream messages neither delivered nor reported, since the link's object started", "dropped"],
  ];
  for (const [name, help, key] of linkCounters) {
    out.metric(name, "counter", help, links.map((l) => [{ shard: String(l.shard) }, typeof l[key] === "number" ? (l[key] as number) : 0] as const));
  }
  return c.body(out.text(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" });
});
