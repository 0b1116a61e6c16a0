/**
 * Topic templates in EMQX's notation: `${cid}` and `${clientid}` (the charge point id) and `${action}`; the
 * mountpoint is prepended by plain concatenation. Unknown placeholders stay as literal text.
 *
 * Values substituted into a topic must be single, wildcard-free topic levels (MQTT 3.1.1 §4.7.1): a value
 * containing `/`, `+`, `#` or NUL would let one charge point publish into another's namespace, so it is refused.
 */

const PLACEHOLDER = /\$\{(cid|clientid|action)\}/g;
const CID_PLACEHOLDERS = new Set(["${cid}", "${clientid}"]);

export interface TopicVars {
  readonly cid: string;
  readonly action?: string;
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
      const value = name === "action" ? vars.action : vars.cid;
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

/** Why an upstream (publish) template cannot be used, or undefined when it can. */
export function upstreamTemplateProblem(template: string): string | undefined {
  if (template.length === 0) return "must not be empty";
  if (/[+#\u0000]/.test(template)) return "must not contain MQTT wildcards";
  return undefined;
}
