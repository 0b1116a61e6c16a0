/**
 * `GET|PUT /gateways/ocpp` and `PUT /gateways/ocpp/enable/{true|false}` (EMQX shapes). PUT merges top-level keys
 * into the configuration stored in KV (a key set to null is removed), validates the result against
 * schemas/gateway-config.schema.json (compiled ahead of time) and the rules of config-checks.ts, and answers 204, or
 * 400 with the field path and the reason.
 */
import { Hono } from "hono";
import { READ_ONLY_FIELDS, type GatewayConfig } from "../../config/gateway-config";
import { log, errorMessage } from "../../log";
import { loadEffectiveConfig, readConfigOverride, resolveWithOverride, writeConfigOverride } from "../../config/store";
import { allShards, shardName, shardStub } from "../../shard/address";
import { ApiError } from "../errors";
import { jsonBody } from "./request";

/** Keys EMQX accepts in the body but does not take as configuration. */
const IGNORED_ON_PUT = new Set<string>([...READ_ONLY_FIELDS, "authentication"]);

export function gatewayView(config: GatewayConfig, storedProblems?: readonly string[]) {
  return {
    ...config,
    name: "ocpp",
    status: config.enable ? "running" : "stopped",
    ...(storedProblems === undefined ? {} : { stored_config_problems: storedProblems }),
  };
}

async function store(env: Env, override: Record<string, unknown>): Promise<void> {
  const result = resolveWithOverride(env, override);
  if (!result.ok) throw new ApiError(400, "BAD_REQUEST", result.problems.join("; "));
  const before = (await loadEffectiveConfig(env)).config;
  await writeConfigOverride(env, override);
  // Every shard of the old and the new layout follows now rather than at its next configuration read: a changed
  // downstream topic, and charge points the new layout places elsewhere (they reconnect to their new shard).
  const names = new Map([...allShards(before), ...allShards(result.config)].map((a) => [shardName(a), a]));
  await Promise.all(
    [...names].map(async ([name, address]) => {
      try {
        await shardStub(env, address).reconfigure(name, result.config);
      } catch (e) {
        log("warn", "shard_reconfigure_failed", { shard: name, error: errorMessage(e) });
      }
    }),
  );
}

export const gatewayApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const { config, storedProblems } = await loadEffectiveConfig(c.env);
    return c.json(gatewayView(config, storedProblems));
  })
  .put("/", async (c) => {
    const body = await jsonBody(c);
    const override = await readConfigOverride(c.env);
    for (const [key, value] of Object.entries(body)) {
      if (IGNORED_ON_PUT.has(key)) continue;
      // No field takes null: it resets the key to the deploy-time value, which also removes a stored key that a
      // newer version no longer knows (it would otherwise fail every later PUT).
      if (value === null) delete override[key];
      else override[key] = value;
    }
    await store(c.env, override);
    return c.body(null, 204);
  })
  .put("/enable/:flag", async (c) => {
    const flag = c.req.param("flag");
    if (flag !== "true" && flag !== "false") throw new ApiError(400, "BAD_REQUEST", "enable: must be true or false");
    await store(c.env, { ...(await readConfigOverride(c.env)), enable: flag === "true" });
    return c.body(null, 204);
  });
