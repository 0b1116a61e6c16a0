/**
 * Topic templates in EMQX's notation: `${cid}` and `${clientid}` (the charge point id) and `${action}`, plus the
 * gateway's `${proto_ver}` (the charge point's OCPP version: `1.6`, `2.0.1`, `2.1`); the mountpoint is prepended by
 * plain concatenation. Unknown placeholders stay as literal text.
 *
 * Values substituted into a topic must be single, wildcard-free topic levels (MQTT 3.1.1 §4.7.1): a value
 * containing `/`, `+`, `#` or NUL would let one charge point publish into another's namespace, so it is refused.
 */

const PLACEHOLDER = /\$\{(cid|clientid|action|proto_ver)\}/g;
const CID_PLACEHOLDERS = new Set(["${cid}", "${clientid}"]);

export interface TopicVars {
  readonly cid: string;
  readonly action?: string;
  readonly proto_ver?: string;
}

export class TopicError extends Error {
  override readonly name = "TopicError";
}

/** True when `value` can stand as one topic level: non-empty, no `/`, `+`, `#`, NUL. */
export function isTopicLevel(value: string): boolean {
  return value.length > 0 && !/[/+#\u0000]/.test(value);
}

export function renderTopic(mountpoint: string, template: string, vars: TopicVars): string {
  return (
    mountpoint +
    template.replace(PLACEHOLDER, (whole, name: string) => {
      const value = name === "action" ? vars.action : name === "proto_ver" ? vars.proto_ver : vars.cid;
      if (value === undefined) return whole;
      if (!isTopicLevel(value)) throw new TopicError(`value for ${whole} is not a single topic level`);
      return value;
    })
  );
}

/** The subscription filter for a downstream template: each charge point placeholder becomes `+`. */
export function downstreamFilter(mountpoint: string, template: string): string {
  return (mountpoint + template)
    .split("/")
    .map((level) => (CID_PLACEHOLDERS.has(level) ? "+" : level))
    .join("/");
}

/** One charge point's downstream subscription: the template with its id in place of the charge point levels. */
export function downstreamFilterFor(mountpoint: string, template: string, cid: string): string {
  return (mountpoint + template)
    .split("/")
    .map((level) => (CID_PLACEHOLDERS.has(level) ? cid : level))
    .join("/");
}

/**
 * Recovers the charge point id from a topic that matched the downstream filter, or undefined when the topic does
 * not match or the template has no charge point level.
 */
export function cidFromDownstreamTopic(mountpoint: string, template: string, topic: string): string | undefined {
  const pattern = (mountpoint + template).split("/");
  const levels = topic.split("/");
  let cid: string | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === "#") return cid !== undefined && i <= levels.length ? cid : undefined;
    const level = levels[i];
    if (level === undefined) return undefined;
    if (CID_PLACEHOLDERS.has(p)) {
      if (level.length === 0 || (cid !== undefined && cid !== level)) return undefined;
      cid = level;
    } else if (p !== "+" && p !== level) {
      return undefined;
    }
  }
  return levels.length === pattern.length ? cid : undefined;
}

/** Why a downstream template cannot be used, or undefined when it can. */
export function downstreamTemplateProblem(template: string): string | undefined {
  const levels = template.split("/");
  if (!levels.some((l) => CID_PLACEHOLDERS.has(l))) {
    return "must contain ${cid} or ${clientid} as a whole topic level";
  }
  for (const [i, level] of levels.entries()) {
    if (level === "#" && i !== levels.length - 1) return "'#' may only be the last level";
    if (!CID_PLACEHOLDERS.has(level) && /\$\{/.test(level)) return `unsupported placeholder in level '${level}'`;
    if (level !== "+" && level !== "#" && /[+#]/.test(level)) return `wildcard inside level '${level}'`;
  }
  return undefined;
}

/**
 * Why a topic (mountpoint + template) cannot be used for publishing or subscribing, or undefined when it can:
 * topics starting with `$` are the broker's (MQTT 3.1.1 §4.7.2, MQTT-4.7.2-1: wildcard filters never match them),
 * and an empty level (`a//b`, a leading or trailing `/`) is legal but always a slip of a mountpoint or template.
 */
export function topicShapeProblem(topic: string): string | undefined {
  if (topic.startsWith("$")) return "must not start with '$' (topics starting with '$' are reserved for the broker)";
  if (topic.split("/").some((level) => level.length === 0)) return "must not have empty topic levels (no leading, trailing or double '/')";
  return undefined;
}

/**
 * Why a publish template cannot be used, or undefined when it can. Each charge point needs topics of its own (a
 * CSMS could not tell two chargers' messages apart, and a retained event per charger would overwrite the others'),
 * so the charge point id must be a whole level, as in the downstream template.
 */
export function publishTemplateProblem(template: string): string | undefined {
  if (/[+#\u0000]/.test(template)) return "must not contain MQTT wildcards";
  if (!template.split("/").some((l) => CID_PLACEHOLDERS.has(l))) return "must contain ${cid} or ${clientid} as a whole topic level";
  return undefined;
}

/** What a charge point id can be when it is substituted (see ocpp/identity.ts); a superset is safe here. */
const CID_VALUE = "[^/+#\\u0000-\\u001f\\u007f-\\u009f]+";
/** An Action name (ocpp/frame.ts), or the placeholder itself, which stays when there is no Action to put in. */
const ANY_ACTION = "(?:[A-Za-z][A-Za-z0-9]{0,63}(?:-Signed)?|\\$\\{action\\})";
/** An OCPP version as the gateway names them (ocpp/protocol.ts). */
const ANY_VERSION = "(?:1\\.6|2\\.0\\.1|2\\.1)";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when some substitution of the template level's placeholders gives exactly `literal`. */
function levelCanBe(templateLevel: string, literal: string, action: string | undefined): boolean {
  if (!templateLevel.includes("${")) return templateLevel === literal;
  let pattern = "";
  let at = 0;
  for (const m of templateLevel.matchAll(PLACEHOLDER)) {
    pattern += escapeRegExp(templateLevel.slice(at, m.index));
    pattern += m[1] === "action" ? (action === undefined ? ANY_ACTION : escapeRegExp(action)) : m[1] === "proto_ver" ? ANY_VERSION : CID_VALUE;
    at = m.index + m[0].length;
  }
  pattern += escapeRegExp(templateLevel.slice(at));
  return new RegExp(`^${pattern}$`).test(literal);
}

/**
 * True when the subscription `filter` could match a topic the gateway publishes from `template` (mountpoint
 * included), for any charge point id and, unless `action` fixes it, any Action. MQTT 3.1.1 §4.7.1: `+` matches
 * exactly one level, `#` (last) the parent level and any number of levels below it.
 */
export function filterCanMatchTemplate(filter: string, template: string, action?: string): boolean {
  const filterLevels = filter.split("/");
  const topicLevels = template.split("/");
  for (const [i, f] of filterLevels.entries()) {
    if (f === "#") return true;
    const level = topicLevels[i];
    if (level === undefined) return false;
    if (f !== "+" && !levelCanBe(level, f, action)) return false;
  }
  return filterLevels.length === topicLevels.length;
}
