/**
 * `/gateways/ocpp/clients[/{clientid}]` (EMQX shapes): the connected charge points from the ClientRegistry
 * object, with live figures from each one's ChargePoint object; DELETE kicks.
 */
import { Hono } from "hono";
import { durationMs } from "../../config/gateway-config";
import type { ClientStats } from "../../objects/charge-point";
import { clientRegistry, type RegisteredClient } from "../../objects/client-registry";
import { loadGatewayConfig } from "../../objects/config-store";
import { ApiError } from "../errors";
import { meta, paging } from "./request";

function chargePoint(env: Env, cid: string) {
  return env.CHARGE_POINT.get(env.CHARGE_POINT.idFromName(cid));
}

/**
 * The client as EMQX shows it, or undefined when its object says the registered connection is not open (it ended
 * in a restart that delivered no close event: asking the object ends it there and removes it from the registry).
 */
async function describe(env: Env, client: RegisteredClient) {
  const [stats, config] = await Promise.all([chargePoint(env, client.clientid).clientStats() as Promise<ClientStats>, loadGatewayConfig(env)]);
  if (!stats.connected || stats.conn_id !== client.conn_id) return undefined;
  return {
    node: "cloudflare",
    clientid: client.clientid,
    username: client.username,
    proto_name: "OCPP",
    proto_ver: client.proto_ver,
    ip_address: client.ip_address,
    client_certificate: certificateOf(client),
    port: null,
    mountpoint: config.mountpoint,
    is_bridge: false,
    connected: true,
    connected_at: new Date(client.connected_at).toISOString(),
    created_at: new Date(client.connected_at).toISOString(),
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
  };
}

/** The certificate the client authenticated with (ours; security profile 3), or null. */
function certificateOf(client: RegisteredClient): unknown {
  if (client.client_certificate === null || client.client_certificate === undefined) return null;
  try {
    return JSON.parse(client.client_certificate) as unknown;
  } catch {
    return null;
  }
}

function notFound(cid: string): ApiError {
  return new ApiError(404, "RESOURCE_NOT_FOUND", `client '${cid}' not found`);
}

async function registered(env: Env, cid: string): Promise<RegisteredClient> {
  const client = await clientRegistry(env).get(cid);
  if (client === undefined) throw notFound(cid);
  return client;
}

export const clientsApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const page = paging(c);
    const like_clientid = c.req.query("like_clientid");
    const like_username = c.req.query("like_username");
    const proto_ver = c.req.query("proto_ver");
    const result = await clientRegistry(c.env).list({
      ...page,
      ...(like_clientid ? { like_clientid } : {}),
      ...(like_username ? { like_username } : {}),
      ...(proto_ver ? { proto_ver } : {}),
    });
    const described = await Promise.all(result.rows.map((row) => describe(c.env, row)));
    const data = described.filter((d) => d !== undefined);
    return c.json({ data, meta: meta(page, result.count - (described.length - data.length)) });
  })
  .get("/:clientid", async (c) => {
    const cid = c.req.param("clientid");
    const client = await describe(c.env, await registered(c.env, cid));
    if (client === undefined) throw notFound(cid);
    return c.json(client);
  })
  .delete("/:clientid", async (c) => {
    const cid = c.req.param("clientid");
    await registered(c.env, cid);
    if (!(await chargePoint(c.env, cid).kick())) throw notFound(cid);
    return c.body(null, 204);
  });
