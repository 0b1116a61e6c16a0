/**
 * `/gateways/ocpp/clients[/{clientid}]` (EMQX shapes): the connected charge points, asked of every shard and merged
 * in id order (each shard returns at most page × limit rows and its count); DELETE kicks.
 */
import { Hono } from "hono";
import { loadGatewayConfig } from "../../config/store";
import type { ClientView } from "../../shard/clients";
import { ApiError } from "../errors";
import { everyShard, holderOf } from "../shards";
import { meta, paging } from "./request";

function notFound(cid: string): ApiError {
  return new ApiError(404, "RESOURCE_NOT_FOUND", `client '${cid}' not found`);
}

export const clientsApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const page = paging(c);
    const config = await loadGatewayConfig(c.env);
    const like_clientid = c.req.query("like_clientid");
    const like_username = c.req.query("like_username");
    const proto_ver = c.req.query("proto_ver");
    const query = {
      take: page.page * page.limit,
      ...(like_clientid ? { like_clientid } : {}),
      ...(like_username ? { like_username } : {}),
      ...(proto_ver ? { proto_ver } : {}),
    };
    const answers = await everyShard(c.env, config, (stub, name) => stub.clients(name, query));
    const failed = answers.filter((a) => a.error !== undefined);
    if (failed.length > 0) {
      throw new ApiError(503, "SERVICE_UNAVAILABLE", `shard(s) ${failed.map((f) => f.shard).join(", ")} could not be asked: ${failed[0]?.error}`);
    }
    const rows: ClientView[] = answers.flatMap((a) => a.result?.rows ?? []).sort((a, b) => (a.clientid < b.clientid ? -1 : a.clientid > b.clientid ? 1 : 0));
    const count = answers.reduce((n, a) => n + (a.result?.count ?? 0), 0);
    const data = rows.slice((page.page - 1) * page.limit, page.page * page.limit);
    return c.json({ data, meta: meta(page, count) });
  })
  .get("/:clientid", async (c) => {
    const cid = c.req.param("clientid");
    const config = await loadGatewayConfig(c.env);
    const found = await holderOf(c.env, config, cid, (stub, name) => stub.client(name, cid));
    if (found === undefined) throw notFound(cid);
    return c.json(found.value);
  })
  .delete("/:clientid", async (c) => {
    const cid = c.req.param("clientid");
    const config = await loadGatewayConfig(c.env);
    const kicked = await holderOf(c.env, config, cid, async (stub, name) => ((await stub.kick(name, cid)) ? true : undefined));
    if (kicked === undefined) throw notFound(cid);
    return c.body(null, 204);
  });
