/** Loads the effective gateway configuration: deploy-time `GATEWAY_CONFIG` overridden by the API's copy in KV. */
import { ConfigError, resolveConfig, type GatewayConfig } from "../config/gateway-config";

/** KV key of the configuration written through the management API. */
export const CONFIG_KV_KEY = "gateway/config";

function deployConfig(env: Env): unknown {
  const raw: unknown = env.GATEWAY_CONFIG;
  if (typeof raw !== "string") return raw;
  if (raw.trim() === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(["GATEWAY_CONFIG is not valid JSON"]);
  }
}

export async function loadGatewayConfig(env: Env): Promise<GatewayConfig> {
  const override = await env.GATEWAY_KV.get(CONFIG_KV_KEY, { type: "json" });
  const result = resolveConfig(deployConfig(env), override);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export function brokerLinkShards(env: Env): number {
  const n = Number.parseInt(env.BROKER_LINK_SHARDS ?? "1", 10);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}
