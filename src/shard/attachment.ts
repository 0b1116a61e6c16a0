/**
 * Per-socket state of a charge point connection, kept in the WebSocket attachment so it survives hibernation
 * (Cloudflare: attachments are limited to 2,048 bytes, so only small fields live here). Validated on read.
 */
import { protocolBySubprotocol, type OcppProtocol } from "../ocpp/protocol";
import type { ClientInfo } from "../session/lifecycle";
import type { ConnectionState } from "../session/connection";
import { isReported, type Reported } from "./analytics";

export interface SocketAttachment extends ConnectionState {
  readonly v: 1;
  /** Identifies this connection among reconnects of the same charge point. */
  readonly connId: string;
  readonly cid: string;
  readonly protocol: string;
  readonly username?: string;
  readonly ip?: string;
  readonly connectedAt: number;
  /** Set when the gateway has decided to close this socket; frames arriving afterwards are ignored. */
  closing?: string;
  /** What this connection's Analytics Engine points covered so far (analytics.ts). */
  reported?: Reported;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function isIdActionPair(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";
}

/**
 * Deserialized attachments, per socket, for this instance's lifetime (a hibernated object starts empty and reads
 * each once). The attachment stays the durable copy: every change is written through.
 */
const cache = new WeakMap<WebSocket, SocketAttachment>();

export function readAttachment(ws: WebSocket): SocketAttachment | undefined {
  const cached = cache.get(ws);
  if (cached !== undefined) return cached;
  const parsed = parseAttachment(ws.deserializeAttachment());
  if (parsed !== undefined) cache.set(ws, parsed);
  return parsed;
}

function parseAttachment(a: unknown): SocketAttachment | undefined {
  if (typeof a !== "object" || a === null) return undefined;
  const r = a as Record<string, unknown>;
  if (r.v !== 1 || typeof r.connId !== "string" || typeof r.cid !== "string" || typeof r.protocol !== "string") {
    return undefined;
  }
  if (protocolBySubprotocol(r.protocol) === undefined) return undefined;
  if (typeof r.connectedAt !== "number" || ![r.recv, r.sent, r.badFrames, r.malformed, r.invalid, r.dropped].every(isCount)) {
    return undefined;
  }
  if (![r.lastSeen, r.heartbeatInterval, r.heartbeatSince, r.tokens, r.tokensAt].every((v) => typeof v === "number" && Number.isFinite(v))) {
    return undefined;
  }
  if (!Array.isArray(r.cpCalls) || !r.cpCalls.every(isIdActionPair)) return undefined;
  // Added after the first release: an attachment written before them has none.
  if (!isCount(r.csmsAnswered)) r.csmsAnswered = 0;
  if (!isCount(r.limited)) r.limited = 0;
  if (!isCount(r.callErrors)) r.callErrors = 0;
  if (!Array.isArray(r.answeredCpCalls) || !r.answeredCpCalls.every(isIdActionPair)) r.answeredCpCalls = [];
  if (r.reported !== undefined && !isReported(r.reported)) delete r.reported;
  return a as SocketAttachment;
}

export function writeAttachment(ws: WebSocket, attachment: SocketAttachment): void {
  ws.serializeAttachment(attachment);
  cache.set(ws, attachment);
}

/**
 * Writes updated state back, unless the socket was closed meanwhile (closing it rewrote the attachment with its
 * reason, which must not be lost).
 */
export function saveState(ws: WebSocket, attachment: SocketAttachment): void {
  if (attachment.closing !== undefined || ws.readyState !== WebSocket.OPEN) return;
  writeAttachment(ws, attachment);
}

/** The connection's OCPP version (checked when the attachment was read). */
export function protocolOf(a: SocketAttachment): OcppProtocol {
  const protocol = protocolBySubprotocol(a.protocol);
  if (protocol === undefined) throw new Error(`attachment with an unknown protocol '${a.protocol}'`);
  return protocol;
}

export function clientInfo(a: SocketAttachment): ClientInfo {
  return {
    clientid: a.cid,
    ...(a.username === undefined ? {} : { username: a.username }),
    protoVer: protocolOf(a).version,
    ...(a.ip === undefined ? {} : { ipaddress: a.ip }),
    connectedAt: a.connectedAt,
    keepalive: a.heartbeatInterval,
  };
}
