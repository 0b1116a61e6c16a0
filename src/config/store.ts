/** Loads the effective gateway configuration: deploy-time `GATEWAY_CONFIG` overridden by the API's copy in KV. */
import { ConfigError, resolveConfig, type GatewayConfig } from "../config/gateway-config";
import { log } from "../log";

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

/**
 * The configuration written through the management API ({} when none, and when what is stored is not a JSON
 * object: a PUT then writes a fresh one instead of failing on it forever).
 */
export async function readConfigOverride(env: Env): Promise<Record<string, unknown>> {
  const stored = await env.GATEWAY_KV.get(CONFIG_KV_KEY);
  if (stored === null) return {};
  try {
    const value: unknown = JSON.parse(stored);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below like any other unusable override
  }
  log("error", "stored_config_unreadable", { key: CONFIG_KV_KEY });
  return {};
}

export async function writeConfigOverride(env: Env, override: Record<string, unknown>): Promise<void> {
  await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify(override));
}

/** The configuration that results from an override, or the problems with it (field path and reason). */
export function resolveWithOverride(env: Env, override: unknown): ReturnType<typeof resolveConfig> {
  return resolveConfig(deployConfig(env), override);
}

export interface EffectiveConfig {
  readonly config: GatewayConfig;
  /**
   * Why the stored override is not in force, when it is not: an override that was valid when written can fail a
   * rule added later. It is then ignored (the deploy-time configuration applies) rather than failing every request,
   * management calls included, so that GET still shows the problems and a PUT can fix them.
   */
  readonly storedProblems?: readonly string[];
}

/** The configuration in force. Throws ConfigError only when the deploy-time configuration itself is invalid. */
export async function loadEffectiveConfig(env: Env): Promise<EffectiveConfig> {
  const result = resolveWithOverride(env, await readConfigOverride(env));
  if (result.ok) return { config: result.config };
  const deployed = resolveConfig(deployConfig(env));
  if (!deployed.ok) throw new ConfigError(deployed.problems);
  log("error", "stored_config_ignored", { problems: result.problems });
  return { config: deployed.config, storedProblems: result.problems };
}

export async function loadGatewayConfig(env: Env): Promise<GatewayConfig> {
  return (await loadEffectiveConfig(env)).config;
}
