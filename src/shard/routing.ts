/**
 * What a shard does with each message its broker session delivers: a claim by another shard for one of its charge
 * points (handover.ts), or a downstream message on a charge point's topic, routed by the shard's current
 * configuration, screened (src/mqtt/downstream-screen.ts) and handed to the charge point's member in arrival order.
 * The broker sends the shard only the topics of charge points it holds (one filter each), so nothing here drops
 * other shards' traffic: a message for a charge point the shard does not hold is one that raced a move.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { envelopeIds, refusalEnvelope, screenDownstream, type Refusal } from "../mqtt/downstream-screen";
import type { IncomingFlags } from "../mqtt/session";
import { cidFromDownstreamTopic, renderTopic } from "../mqtt/topics";
import { isChargePointId } from "../ocpp/identity";
import type { LinkCounters } from "../link/status";
import { parseClaim, type ClaimTopics } from "./handover";
import type { Member } from "./member";

export interface RoutingPorts {
  readonly name: string;
  readonly counters: LinkCounters;
  readonly topics: ClaimTopics;
  /** The shard's current configuration (the downstream template routes by it). */
  config(): Promise<GatewayConfig>;
  member(cid: string): Member | undefined;
  /** Another shard claimed `cid`. */
  claimed(cid: string, by: string): Promise<void>;
  /** QoS 1 on the live connection; rejects when there is none. */
  publish(topic: string, payload: string): Promise<void>;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Settles when the message was handled (delivered, refused or dropped); the session then acknowledges it. */
export async function route(ports: RoutingPorts, topic: string, payload: Uint8Array, flags: IncomingFlags): Promise<void> {
  const { counters, name } = ports;
  const claimed = ports.topics.cidOfClaim(topic);
  if (claimed !== undefined) {
    const claim = parseClaim(payload);
    if (claim === undefined || !isChargePointId(claimed)) return log("warn", "claim_unreadable", { shard: name, topic });
    if (claim.shard !== name) await ports.claimed(claimed, claim.shard);
    return;
  }
  if (ports.topics.isControl(topic)) return;
  let config: GatewayConfig;
  try {
    config = await ports.config();
  } catch (e) {
    counters.dropped++;
    return log("error", "downstream_no_config", { shard: name, topic, error: errorMessage(e) });
  }
  const cid = cidFromDownstreamTopic(config.mountpoint, config.dnstream.topic, topic);
  // A charge point this shard holds had its id checked when it connected; only others need the check here.
  const member = cid === undefined ? undefined : ports.member(cid);
  if (cid === undefined || (member === undefined && !isChargePointId(cid))) {
    counters.dropped++;
    return log("warn", "downstream_unroutable", { shard: name, topic });
  }
  if (member?.session === undefined) {
    // Delivered to the shard that holds it now (this one took its filter away when it moved or was forgotten).
    counters.dropped++;
    return log("info", "downstream_not_held", { shard: name, cid });
  }
  if (payload.byteLength === 0) {
    // How MQTT clears a retained message (MQTT 3.1.1 §3.3.1.3): not a command, and nothing to answer.
    return log("info", "downstream_empty_ignored", { shard: name, cid, retain: flags.retain });
  }
  const refusal = screenDownstream(payload, flags.retain, config.max_frame_size);
  if (refusal !== undefined) return refuse(ports, cid, refusal, payload, config);
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    counters.dropped++;
    return log("warn", "downstream_not_utf8", { shard: name, cid });
  }
  const uniqueId = member.watchingForHandover() ? envelopeIds(payload).uniqueId : undefined;
  await member.run("downstream_handler", () => member.deliver(text, uniqueId), undefined);
  counters.delivered++;
}

/**
 * Reported on the charge point's error topic (the current configuration's). When the report cannot be published
 * the connection is gone, so the message was not acknowledged either: it comes back and is reported then.
 */
async function refuse(ports: RoutingPorts, cid: string, refusal: Refusal, payload: Uint8Array, config: GatewayConfig): Promise<void> {
  const { counters, name } = ports;
  const ids = envelopeIds(payload);
  const fields = { shard: name, cid, reason: refusal, bytes: payload.byteLength, ...ids };
  const envelope = refusalEnvelope(refusal, ids, payload.byteLength, config.max_frame_size);
  if (envelope === undefined) {
    counters.dropped++;
    return log("warn", "downstream_refused_unreported", { ...fields, why: "no readable UniqueId" });
  }
  counters.refused++;
  log("warn", "downstream_refused", fields);
  try {
    const action = ids.action === undefined ? {} : { action: ids.action };
    await ports.publish(renderTopic(config.mountpoint, config.upstream.error_topic, { cid, ...action }), envelope);
    counters.published++;
  } catch (e) {
    log("error", "downstream_refusal_report_failed", { ...fields, error: errorMessage(e) });
  }
}
