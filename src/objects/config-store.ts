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

/** The configuration written through the management API ({} when none). */
export async function readConfigOverride(env: Env): Promise<Record<string, unknown>> {
  const stored = await env.GATEWAY_KV.get<Record<string, unknown>>(CONFIG_KV_KEY, { type: "json" });
  return stored ?? {};
}

export async function writeConfigOverride(env: Env, override: Record<string, unknown>): Promise<void> {
  await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify(override));
}

/** The configuration that results from an override, or the problems with it (field path and reason). */
export function resolveWithOverride(env: Env, override: unknown): ReturnType<typeof resolveConfig> {
  return resolveConfig(deployConfig(env), override);
}

export async function loadGatewayConfig(env: Env): Promise<GatewayConfig> {
  const result = resolveWithOverride(env, await readConfigOverride(env));
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export function brokerLinkShards(env: Env): number {
  const n = Number.parseInt(env.BROKER_LINK_SHARDS ?? "1", 10);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}
