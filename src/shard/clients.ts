/**
 * The management API's view of the charge points a shard holds (EMQX's client fields, plus the gateway's own), and
 * the query a list is filtered by. Built in the shard, so a list costs one request per shard, not one per charge
 * point.
 */
import { durationMs, type GatewayConfig } from "../config/gateway-config";
import type { Member } from "./member";

export interface ClientQuery {
  /** Rows wanted from each shard: the first `take` in id order (page × limit of the merged list). */
  readonly take: number;
  readonly like_clientid?: string;
  readonly like_username?: string;
  /** Exact OCPP version ("1.6", "2.0.1", "2.1"), as EMQX's `proto_ver` filter. */
  readonly proto_ver?: string;
}

export interface ClientPage {
  readonly rows: ClientView[];
  readonly count: number;
}

export type ClientView = ReturnType<typeof clientView>;

/** The client as EMQX shows it, for a connected member. */
export function clientView(member: Member, config: GatewayConfig, version: string) {
  const stats = member.stats();
  const record = member.session;
  const connectedAt = new Date(record?.connectedAt ?? 0).toISOString();
  return {
    node: "cloudflare",
    clientid: member.cid,
    username: record?.username ?? null,
    proto_name: "OCPP",
    proto_ver: version,
    ip_address: record?.ip ?? null,
    client_certificate: member.certificate() ?? null,
    port: null,
    mountpoint: config.mountpoint,
    is_bridge: false,
    connected: true,
    connected_at: connectedAt,
    created_at: connectedAt,
    keepalive: stats.keepalive,
    clean_start: true,
    expiry_interval: durationMs(config.dnstream.session_expiry_interval) / 1000,
    subscriptions_cnt: 1,
    inflight_cnt: stats.inflight_cnt,
    inflight_max: 1,
    mqueue_len: stats.mqueue_len,
    mqueue_max: config.dnstream.max_mqueue_len,
    outbox_len: stats.outbox_len,
    outbox_max: config.upstream.outbox_max_len,
    recv_msg: stats.recv_msg,
    send_msg: stats.send_msg,
    malformed_msg: stats.malformed,
    invalid_msg: stats.invalid,
    dropped_msg: stats.dropped,
    /** Ours: the shard serving it (`<region>/<index>`). */
    shard: "",
  };
}

/** Whether a connected member matches the query (substring matches, as EMQX's like_*; exact version). */
export function matches(member: Member, version: string, query: ClientQuery): boolean {
  if (query.like_clientid && !member.cid.includes(query.like_clientid)) return false;
  if (query.like_username && !(member.session?.username ?? "").includes(query.like_username)) return false;
  if (query.proto_ver && version !== query.proto_ver) return false;
  return true;
}
