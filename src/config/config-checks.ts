/**
 * Rules a gateway configuration must follow beyond what its JSON schema can say: configuration that cannot work is
 * refused with the field paths concerned, never accepted and left to fail at run time.
 *
 * - Topics: every template publishes per charge point (the id a whole level), none has wildcards, empty levels or a
 *   leading `$`, and the downstream subscription never matches a topic the gateway publishes itself — otherwise
 *   each gateway-made error envelope would come back as a downstream message and loop through the broker.
 * - The WebSocket path is a clean absolute path that does not shadow a route the Worker serves (the management
 *   API, `/`): otherwise every management call, including the one to undo it, becomes a charge point upgrade.
 * - Durations and sizes are bounded, so that no deadline can pass what a Durable Object alarm accepts and no
 *   charge point's stored backlog can outgrow its object's storage.
 */
import {
  downstreamFilter,
  downstreamTemplateProblem,
  filterCanMatchTemplate,
  publishTemplateProblem,
  topicShapeProblem,
} from "../mqtt/topics";
import { DAY_MS, HOUR_MS, parseDuration, SECOND_MS } from "./duration";
import type { GatewayConfig } from "./gateway-config";

/** Path prefixes the Worker serves itself (src/http/app.ts): the management API and the service description. */
export const WORKER_ROUTES = { info: "/", api: "/api", dashboard: "/dashboard" } as const;

/**
 * Whether a request path is one of the Worker's own routes: `/`, or at or under `/api` or `/dashboard`. The path
 * checks below keep every charge point path off these, so such a request is never a charge point's.
 */
export function isWorkerRoute(pathname: string): boolean {
  const under = (route: string) => pathname === route || pathname.startsWith(`${route}/`);
  return pathname === WORKER_ROUTES.info || under(WORKER_ROUTES.api) || under(WORKER_ROUTES.dashboard);
}

/**
 * Longest value of each duration. A heartbeat deadline is at most (backoff + 1) intervals away: 1001 × 24 h is
 * under three years, far inside what `setAlarm` takes (workerd refuses dates after 2189 with a TypeError).
 */
export const DURATION_LIMITS_MS = {
  default_heartbeat_interval: DAY_MS,
  idle_timeout: HOUR_MS,
  "dnstream.awaiting_timeout": HOUR_MS,
  "dnstream.session_expiry_interval": 7 * DAY_MS,
} as const;

/**
 * What one charge point may keep in its object's storage while the broker is away (outbox length × largest frame);
 * a SQLite-backed Durable Object holds at most 10 GB, shared with the downstream queue and the session.
 */
export const MAX_OUTBOX_BYTES = 1024 * 1024 * 1024;

function formatMs(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / HOUR_MS}h (${ms / DAY_MS} days)`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return `${ms / SECOND_MS}s`;
}

function durationValues(config: GatewayConfig): Record<keyof typeof DURATION_LIMITS_MS, string> {
  return {
    default_heartbeat_interval: config.default_heartbeat_interval,
    idle_timeout: config.idle_timeout,
    "dnstream.awaiting_timeout": config.dnstream.awaiting_timeout,
    "dnstream.session_expiry_interval": config.dnstream.session_expiry_interval,
  };
}

function durationProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  for (const [field, value] of Object.entries(durationValues(config))) {
    const limit = DURATION_LIMITS_MS[field as keyof typeof DURATION_LIMITS_MS];
    const ms = parseDuration(value);
    if (ms !== undefined && ms > limit) problems.push(`${field}: must be at most ${formatMs(limit)}`);
  }
  return problems;
}

/** Every topic template the gateway publishes on, by field path; `action` when the field fixes the Action. */
function publishTemplates(config: GatewayConfig): { field: string; template: string; action?: string }[] {
  const { upstream } = config;
  return [
    { field: "upstream.topic", template: upstream.topic },
    { field: "upstream.reply_topic", template: upstream.reply_topic },
    { field: "upstream.error_topic", template: upstream.error_topic },
    ...Object.entries(upstream.topic_override_mapping).map(([action, template]) => ({
      field: `upstream.topic_override_mapping.${action}`,
      template,
      action,
    })),
    { field: "events_topic", template: config.events_topic },
    { field: "diagnostics_topic", template: config.diagnostics_topic },
  ];
}

function topicProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const { mountpoint } = config;
  const dnProblem = downstreamTemplateProblem(config.dnstream.topic) ?? topicShapeProblem(mountpoint + config.dnstream.topic);
  if (dnProblem !== undefined) problems.push(`dnstream.topic: ${dnProblem}`);
  const filter = downstreamFilter(mountpoint, config.dnstream.topic);
  for (const { field, template, action } of publishTemplates(config)) {
    const problem = publishTemplateProblem(template) ?? topicShapeProblem(mountpoint + template);
    if (problem !== undefined) {
      problems.push(`${field}: ${problem}`);
    } else if (dnProblem === undefined && filterCanMatchTemplate(filter, mountpoint + template, action)) {
      problems.push(
        `${field}: '${mountpoint}${template}' falls under the downstream subscription '${filter}' (dnstream.topic): ` +
          "the gateway would receive what it publishes there as downstream messages",
      );
    }
  }
  return problems;
}

function pathProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  for (const [i, listener] of config.listeners.entries()) {
    const field = `listeners.${i}.websocket.path`;
    const path = listener.websocket.path;
    const segments = path.split("/").slice(1);
    if (!path.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
      problems.push(`${field}: must be a clean absolute path such as /ocpp (no empty, '.' or '..' segments, no trailing '/')`);
      continue;
    }
    // A charge point path takes everything at and under it (src/http/upgrade.ts isUnderPath).
    const shadows = (route: string) => route === path || route.startsWith(`${path}/`) || path.startsWith(`${route}/`);
    if (path === WORKER_ROUTES.info || shadows(WORKER_ROUTES.api)) {
      problems.push(`${field}: must not be ${WORKER_ROUTES.info} or ${WORKER_ROUTES.api} or lie under ${WORKER_ROUTES.api}/ (the management API's routes)`);
    }
    if (shadows(WORKER_ROUTES.dashboard)) problems.push(`${field}: must not be or lie under ${WORKER_ROUTES.dashboard} (the dashboard's pages)`);
  }
  return problems;
}

function sizeProblems(config: GatewayConfig): string[] {
  const bytes = config.upstream.outbox_max_len * config.max_frame_size;
  if (bytes <= MAX_OUTBOX_BYTES) return [];
  return [
    `upstream.outbox_max_len: times max_frame_size must be at most ${MAX_OUTBOX_BYTES} bytes (1 GiB) per charge point; ` +
      `${config.upstream.outbox_max_len} × ${config.max_frame_size} is ${bytes}`,
  ];
}

/** Every problem of a configuration that passed its schema, as "field.path: reason". */
/** The certificate and its verification result cannot travel in one header (HTTP field names are case-insensitive). */
function certificateProblems(config: GatewayConfig): string[] {
  const { header, verify_header } = config.client_certificate;
  if (header.toLowerCase() !== verify_header.toLowerCase()) return [];
  return ["client_certificate.verify_header: must differ from client_certificate.header"];
}

export function configProblems(config: GatewayConfig): string[] {
  return [...topicProblems(config), ...pathProblems(config), ...durationProblems(config), ...sizeProblems(config), ...certificateProblems(config)];
}
