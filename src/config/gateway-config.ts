/**
 * Gateway configuration: EMQX's field names and defaults (reference §2), durations as "60s" strings, plus the
 * gateway's own fields. One typed object, one resolve function that validates the merged result with the
 * ahead-of-time compiled schema (schemas/gateway-config.schema.json) and reports field paths.
 *
 * Layers, later wins key by key at the top level (as EMQX's `PUT /gateways/ocpp` merges): defaults ← deploy-time
 * config (`GATEWAY_CONFIG` in wrangler.toml) ← management API overrides (KV). Nested objects are completed from
 * the defaults, so `{"upstream":{"topic":"x"}}` keeps the default reply and error topics.
 */
import { validateGatewayConfig } from "../generated/gateway-validators.gen.js";
import { describeErrors } from "../validation/compiled";
import { configProblems } from "./config-checks";
import { parseDuration } from "./duration";

export type MessageFormatChecking = "all" | "upstream_only" | "dnstream_only" | "disable";
export type MessageFormatPolicy = "enforce" | "report";
export type MessageFormatOverride = MessageFormatPolicy | "disable";

export interface ListenerConfig {
  type: "ws" | "wss";
  name: string;
  bind?: string;
  enable?: boolean;
  websocket: { path: string };
}

export interface GatewayConfig {
  name: "ocpp";
  enable: boolean;
  mountpoint: string;
  default_heartbeat_interval: string;
  heartbeat_checking_times_backoff: number;
  idle_timeout: string;
  message_format_checking: MessageFormatChecking;
  message_format_policy: MessageFormatPolicy;
  message_format_overrides: Record<string, MessageFormatOverride>;
  diagnostics_topic: string;
  events_topic: string;
  upstream: {
    topic: string;
    reply_topic: string;
    error_topic: string;
    topic_override_mapping: Record<string, string>;
    outbox_max_len: number;
  };
  dnstream: {
    topic: string;
    max_mqueue_len: number;
    awaiting_timeout: string;
    session_expiry_interval: string;
  };
  listeners: ListenerConfig[];
  max_bad_frames: number;
  max_frame_size: number;
  max_frames_per_second: number;
  supported_protocols: SupportedProtocol[];
  client_certificate: ClientCertificateConfig;
  shards: ShardsConfig;
}

/** Durable Object location hints (https://developers.cloudflare.com/durable-objects/reference/data-location/). */
export type LocationHint = "wnam" | "enam" | "sam" | "weur" | "eeur" | "apac" | "oc" | "afr" | "me";

/** Where charge points are served (src/shard/address.ts; README "Shards and regions"). */
export interface ShardsConfig {
  /** Shards in each region. */
  per_region: number;
  /** request.cf.colo or request.cf.continent (or `*`) → the region, a location hint. */
  regions: Record<string, LocationHint>;
}

/** Charge points' TLS client certificates (OCPP security profile 3; README "Client certificates"). */
export interface ClientCertificateConfig {
  mode: "off" | "optional" | "required";
  source: "cloudflare" | "header";
  header: string;
  verify_header: string;
  identity_attribute: "CN" | "UID" | "serialNumber" | "OU";
  organization?: string;
  password_too: boolean;
}

/** The subprotocol tokens the gateway speaks (src/ocpp/protocol.ts has a descriptor for each). */
export type SupportedProtocol = "ocpp2.1" | "ocpp2.0.1" | "ocpp1.6";

export const DEFAULT_CONFIG: GatewayConfig = {
  name: "ocpp",
  enable: true,
  mountpoint: "ocpp/",
  default_heartbeat_interval: "60s",
  heartbeat_checking_times_backoff: 1,
  idle_timeout: "30s",
  message_format_checking: "all",
  message_format_policy: "enforce",
  message_format_overrides: {},
  diagnostics_topic: "diagnostics/${cid}",
  events_topic: "events/${cid}",
  upstream: {
    topic: "cp/${cid}",
    reply_topic: "cp/${cid}/Reply",
    error_topic: "cp/${cid}/Reply",
    topic_override_mapping: {},
    outbox_max_len: 1000,
  },
  dnstream: {
    topic: "cs/${cid}",
    max_mqueue_len: 100,
    awaiting_timeout: "30s",
    session_expiry_interval: "120s",
  },
  listeners: [{ type: "ws", name: "default", bind: "33033", enable: true, websocket: { path: "/ocpp" } }],
  max_bad_frames: 10,
  max_frame_size: 65536,
  max_frames_per_second: 20,
  supported_protocols: ["ocpp2.1", "ocpp2.0.1", "ocpp1.6"],
  client_certificate: {
    mode: "off",
    source: "cloudflare",
    header: "Client-Cert",
    verify_header: "Client-Cert-Verify",
    identity_attribute: "CN",
    password_too: false,
  },
  // One region per continent, near where Cloudflare sees the charger (request.cf.continent); shards are created
  // only where chargers connect, so an unused region costs nothing.
  shards: {
    per_region: 1,
    regions: { NA: "enam", SA: "sam", EU: "weur", AF: "afr", AS: "apac", OC: "oc", AN: "oc", "*": "enam" },
  },
};

/** Fields shown by the API that are not configuration and are ignored when written back. */
export const READ_ONLY_FIELDS = [
  "name",
  "status",
  "created_at",
  "started_at",
  "stopped_at",
  "current_connections",
  "stored_config_problems",
] as const;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid gateway configuration: ${problems.join("; ")}`);
  }
}

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; problems: string[] };

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Maps the user owns whole: a layer replaces them instead of adding to them. */
const USER_MAPS = new Set([".upstream.topic_override_mapping", ".message_format_overrides", ".shards.regions"]);

/** Completes `value` from `defaults`: objects recursively, except maps the user owns whole. */
function withDefaults(defaults: unknown, value: unknown, path: string): unknown {
  if (!isPlain(defaults) || !isPlain(value) || USER_MAPS.has(path)) return value;
  const out: Plain = { ...defaults };
  for (const [k, v] of Object.entries(value)) out[k] = withDefaults(defaults[k], v, `${path}.${k}`);
  return out;
}

function shallowMerge(layers: readonly unknown[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    if (!isPlain(layer)) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (!(READ_ONLY_FIELDS as readonly string[]).includes(k)) out[k] = v;
    }
  }
  return out;
}

/** Merges the layers over the defaults and validates the result. */
export function resolveConfig(...layers: unknown[]): ConfigResult {
  for (const [i, layer] of layers.entries()) {
    if (layer !== undefined && layer !== null && !isPlain(layer)) {
      return { ok: false, problems: [`configuration layer ${i + 1} is not a JSON object`] };
    }
  }
  const merged = withDefaults(DEFAULT_CONFIG, shallowMerge(layers), "");
  if (!validateGatewayConfig(merged)) {
    return { ok: false, problems: describeErrors(validateGatewayConfig.errors) };
  }
  const config = merged as GatewayConfig;
  const problems = configProblems(config);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Parses a validated duration string ("500ms", "60s", "5m", "1h") into milliseconds. */
export function durationMs(duration: string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new ConfigError([`'${duration}' is not a duration`]);
  return ms;
}

/** The WebSocket path charge points connect under (EMQX `listeners[].websocket.path`). */
export function websocketPath(config: GatewayConfig): string {
  return config.listeners[0]?.websocket.path ?? "/ocpp";
}
