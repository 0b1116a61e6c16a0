/**
 * Live trace of one charge point (src/shard/trace.ts):
 * - `POST /gateways/ocpp/clients/{clientid}/trace` (HTTP Basic, like every management call): a token for the
 *   trace socket, good for that charge point for TRACE_TOKEN_TTL_MS (trace-token.ts);
 * - `GET /gateways/ocpp/clients/{clientid}/trace` with `Upgrade: websocket`: the trace socket, forwarded to the
 *   shard that holds the charge point. Admitted with HTTP Basic (tools) or with the subprotocols
 *   `ocpp-trace, token.<token>` (browsers, which cannot set Authorization on a WebSocket); a token is checked
 *   under the same failed-login throttle as the API's key and secret.
 * The charge point need not be connected: a watcher sees it connect.
 */
import type { Context, MiddlewareHandler } from "hono";
import { sourceOf } from "../../auth/source";
import { chargePointIdProblem } from "../../ocpp/identity";
import { loadGatewayConfig } from "../../config/store";
import { parseShardName, regionOf, shardAddress, shardName, shardStub } from "../../shard/address";
import { TRACE_HEADER, TRACE_SHARD_HEADER } from "../../shard/trace";
import { holderOf } from "../shards";
import { adminAuth } from "../admin-auth";
import { checkAdminSecret } from "../admin-secret";
import { ApiError } from "../errors";
import { ADMIN_CREDENTIAL, LoginThrottle } from "../login-throttle";
import { issueTraceToken, offeredTrace, TRACE_PROTOCOL, TRACE_TOKEN_TTL_MS, verifyTraceToken } from "../trace-token";

type Ctx = Context<{ Bindings: Env }>;

function checkedCid(c: Ctx): string {
  const cid = c.req.param("clientid") ?? "";
  const problem = chargePointIdProblem(cid);
  if (problem !== undefined) throw new ApiError(400, "BAD_REQUEST", `clientid: ${problem.message}`, { reason: problem.reason });
  return cid;
}

/** HTTP Basic when the request has an Authorization header; otherwise a trace token offered as a subprotocol. */
export const traceAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (c.req.header("Authorization") !== undefined) return adminAuth(c, next);
  const secret = c.env.ADMIN_API_SECRET;
  if (!c.env.ADMIN_API_KEY || !secret) {
    throw new ApiError(503, "SERVICE_UNAVAILABLE", "the management API is disabled: ADMIN_API_KEY and ADMIN_API_SECRET are not set");
  }
  checkAdminSecret(secret);
  const { token } = offeredTrace(c.req.header("Sec-WebSocket-Protocol"));
  const refused = new ApiError(401, "UNAUTHORIZED", "API key and secret (HTTP Basic) or a trace token required");
  if (token === undefined) throw refused;
  const cid = checkedCid(c);
  const attempt = await new LoginThrottle(c.env.LOGIN_GUARD).admit(ADMIN_CREDENTIAL, sourceOf(c.req.header("CF-Connecting-IP")));
  const ok = await verifyTraceToken(secret, cid, token, Date.now());
  await attempt.finish(ok);
  if (!ok) throw refused;
  await next();
};

export async function traceUpgrade(c: Ctx): Promise<Response> {
  const cid = checkedCid(c);
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "UPGRADE_REQUIRED", "the trace is a WebSocket", {}, { Upgrade: "websocket" });
  }
  // The shard that holds the charge point; one that holds none watches it connect in the `*` region.
  const config = await loadGatewayConfig(c.env);
  const holder = await holderOf(c.env, config, cid, async (stub, name) => ((await stub.holds(name, cid)) ? name : undefined));
  const address = (holder === undefined ? undefined : parseShardName(holder.name, config)) ?? shardAddress(cid, regionOf({}, config), config);
  // A fresh request: nothing the caller sent reaches the shard but the upgrade itself.
  const res = await shardStub(c.env, address).fetch("https://shard/trace", { headers: { Upgrade: "websocket", [TRACE_HEADER]: cid, [TRACE_SHARD_HEADER]: shardName(address) } });
  if (res.status !== 101 || res.webSocket === null) return res;
  // The subprotocol is echoed only when offered (a client that offered none must not get one, RFC 6455 §4.1).
  const echo = offeredTrace(c.req.header("Sec-WebSocket-Protocol")).trace;
  return new Response(null, { status: 101, webSocket: res.webSocket, ...(echo ? { headers: { "Sec-WebSocket-Protocol": TRACE_PROTOCOL } } : {}) });
}

export async function traceToken(c: Ctx): Promise<Response> {
  const cid = checkedCid(c);
  const { token, expiresAt } = await issueTraceToken(c.env.ADMIN_API_SECRET, cid, Date.now());
  return c.json(
    { clientid: cid, token, expires_at: new Date(expiresAt).toISOString(), expires_in: TRACE_TOKEN_TTL_MS / 1000, protocols: [TRACE_PROTOCOL, `token.${token}`] },
    201,
    { "Cache-Control": "no-store" },
  );
}
