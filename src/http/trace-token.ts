/**
 * Short-lived tokens for the live trace WebSocket. A browser cannot set an Authorization header on a WebSocket, so
 * the dashboard asks for a token with HTTP Basic (`POST …/clients/{id}/trace`, behind the admin check and its
 * throttle) and offers it as a WebSocket subprotocol (`token.<token>`, beside `ocpp-trace`): it never appears in a
 * URL, so it is not written to access logs or history. The token is an HMAC-SHA256, keyed with the admin secret,
 * of the charge point id and the expiry: nothing is stored, it is good for one charge point and TRACE_TOKEN_TTL_MS,
 * and changing the secret revokes every token.
 */

export const TRACE_TOKEN_TTL_MS = 60_000;
/** The subprotocol the trace socket speaks (echoed) and the prefix of the one that carries the token. */
export const TRACE_PROTOCOL = "ocpp-trace";
export const TOKEN_PROTOCOL_PREFIX = "token.";

const encoder = new TextEncoder();

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** What is signed: a label (so the MAC means nothing elsewhere), the charge point id and the expiry. */
function signed(cid: string, expiresAt: number): Uint8Array {
  return encoder.encode(`ocpp-gateway trace\n${cid}\n${expiresAt}`);
}

function base64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=");
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

export async function issueTraceToken(secret: string, cid: string, now: number): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = now + TRACE_TOKEN_TTL_MS;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), signed(cid, expiresAt));
  return { token: `${expiresAt}.${base64url(mac)}`, expiresAt };
}

/** Whether `token` was issued for `cid` with `secret` and has not expired (the MAC is checked in constant time). */
export async function verifyTraceToken(secret: string, cid: string, token: string, now: number): Promise<boolean> {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]+)$/.exec(token);
  if (match === null) return false;
  const expiresAt = Number(match[1]);
  const mac = fromBase64url(match[2] as string);
  if (mac === undefined || expiresAt < now || expiresAt > now + TRACE_TOKEN_TTL_MS) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret), mac, signed(cid, expiresAt));
}

/** The offered subprotocols: whether `ocpp-trace` is among them, and the token, if one is. */
export function offeredTrace(header: string | null | undefined): { trace: boolean; token: string | undefined } {
  const offered = (header ?? "").split(",").map((p) => p.trim());
  const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return { trace: offered.includes(TRACE_PROTOCOL), token: token?.slice(TOKEN_PROTOCOL_PREFIX.length) };
}
