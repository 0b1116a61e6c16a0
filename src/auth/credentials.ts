/** HTTP Basic credentials (RFC 7617) and constant-time comparison. */

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Parses `Authorization: Basic …`. The user name ends at the FIRST colon; the password may contain colons
 * (RFC 7617 §2). Undefined for a missing or malformed header or another scheme.
 */
export function parseBasic(header: string | null | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (match === null) return undefined;
  let decoded: string;
  try {
    const binary = atob(match[1] as string);
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const encoder = new TextEncoder();

/**
 * Compares two secrets in constant time: both are hashed first, so neither their content nor their length
 * shows in the timing of the comparison.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(x, y);
}

/** Lower-case hex SHA-256 of `text` (UTF-8): names that fit every store (KV keys, object names) whatever the text. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
