/**
 * The broker link's downstream half: a message on the downstream filter is routed by the CURRENT configuration's
 * template only, screened (src/mqtt/downstream-screen.ts), and handed to its charge point's object, in order per
 * charge point. ChargePoint.deliver does not depend on the topic, so charge points that connected under an older
 * configuration get commands published on the new topic.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { errorMessage, log } from "../log";
import { envelopeIds, refusalEnvelope, screenDownstream, type Refusal } from "../mqtt/downstream-screen";
import type { IncomingFlags } from "../mqtt/session";
import { shardOf } from "../mqtt/shard";
import { cidFromDownstreamTopic, renderTopic } from "../mqtt/topics";
import { isChargePointId } from "../ocpp/identity";
import { brokerLinkShards } from "./config-store";

export interface DownstreamStats {
  delivered: number;
  /** Acknowledged, not delivered, reported on the error topic. */
  refused: number;
  /** Neither delivered nor reported. */
  dropped: number;
  published: number;
}

export interface DownstreamPorts {
  readonly env: Env;
  readonly stats: DownstreamStats;
  shard(): number;
  config(): Promise<GatewayConfig>;
  /** QoS 1 on the current connection; rejects when there is none or the broker does not confirm. */
  publish(topic: string, payload: string): Promise<void>;
}

export class DownstreamRouter {
  private readonly perCharger = new Map<string, Promise<void>>();

  constructor(private readonly ports: DownstreamPorts) {}

  /** Settles when the message was handled (delivered, refused or dropped); the session then acknowledges it. */
  async route(topic: string, payload: Uint8Array, flags: IncomingFlags): Promise<void> {
    const { stats } = this.ports;
    const shard = this.ports.shard();
    let config: GatewayConfig;
    try {
      config = await this.ports.config();
    } catch (e) {
      stats.dropped++;
      log("error", "downstream_no_config", { shard, topic, error: errorMessage(e) });
      return;
    }
    const cid = cidFromDownstreamTopic(config.mountpoint, config.dnstream.topic, topic);
    if (cid === undefined || !isChargePointId(cid)) {
      stats.dropped++;
      log("warn", "downstream_unroutable", { shard, topic });
      return;
    }
    if (shardOf(cid, brokerLinkShards(this.ports.env)) !== shard) return;
    if (payload.byteLength === 0) {
      // How MQTT clears a retained message (MQTT 3.1.1 §3.3.1.3): not a command, and nothing to answer.
      log("info", "downstream_empty_ignored", { shard, cid, retain: flags.retain });
      return;
    }
    const refusal = screenDownstream(payload, flags.retain, config.max_frame_size);
    if (refusal !== undefined) return this.refuse(cid, refusal, payload, config);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payload);
    } catch {
      stats.dropped++;
      log("warn", "downstream_not_utf8", { shard, cid });
      return;
    }
    const previous = this.perCharger.get(cid) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(cid, text));
    this.perCharger.set(cid, next);
    void next.finally(() => {
      if (this.perCharger.get(cid) === next) this.perCharger.delete(cid);
    });
    return next;
  }

  /**
   * Reported on the charge point's error topic (the current configuration's). When the report cannot be published
   * the connection is gone, so the message was not acknowledged either: it comes back and is reported then.
   */
  private async refuse(cid: string, refusal: Refusal, payload: Uint8Array, config: GatewayConfig): Promise<void> {
    const { stats } = this.ports;
    const ids = envelopeIds(payload);
    const fields = { shard: this.ports.shard(), cid, reason: refusal, bytes: payload.byteLength, ...ids };
    const envelope = refusalEnvelope(refusal, ids, payload.byteLength, config.max_frame_size);
    if (envelope === undefined) {
      stats.dropped++;
      log("warn", "downstream_refused_unreported", { ...fields, why: "no readable UniqueId" });
      return;
    }
    stats.refused++;
    log("warn", "downstream_refused", fields);
    try {
      const action = ids.action === undefined ? {} : { action: ids.action };
      await this.ports.publish(renderTopic(config.mountpoint, config.upstream.error_topic, { cid, ...action }), envelope);
      stats.published++;
    } catch (e) {
      log("error", "downstream_refusal_report_failed", { ...fields, error: errorMessage(e) });
    }
  }

  private async deliver(cid: string, text: string): Promise<void> {
    const { env, stats } = this.ports;
    try {
      // False: the charge point's object could not handle it (it logged why); counted here like a failed call.
      if (await env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid)).deliver(cid, text)) stats.delivered++;
      else stats.dropped++;
    } catch (e) {
      stats.dropped++;
      log("error", "downstream_delivery_failed", { shard: this.ports.shard(), cid, error: errorMessage(e) });
    }
  }
}
