/**
 * Per-socket state of a charge point connection: who it is, how it was established, and the session's
 * per-connection state (counters, rate limit, heartbeat, the charge point's outstanding calls). A shard accepts
 * charge points' sockets with the standard API (`accept()`): they live as long as the shard's object, which its
 * broker connection pins anyway, so this state lives in memory with the socket and nothing is written per frame.
 */
import { protocolBySubprotocol, type OcppProtocol } from "../ocpp/protocol";
import type { ClientInfo } from "../session/lifecycle";
import type { ConnectionState } from "../session/connection";
import type { Reported } from "./analytics";

export interface SocketState extends ConnectionState {
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

const states = new WeakMap<WebSocket, SocketState>();

export function stateOf(ws: WebSocket): SocketState | undefined {
  return states.get(ws);
}

export function setState(ws: WebSocket, state: SocketState): void {
  states.set(ws, state);
}

/** The connection's OCPP version (checked when the connection was set up). */
export function protocolOf(a: SocketState): OcppProtocol {
  const protocol = protocolBySubprotocol(a.protocol);
  if (protocol === undefined) throw new Error(`connection with an unknown protocol '${a.protocol}'`);
  return protocol;
}

export function clientInfo(a: SocketState): ClientInfo {
  return {
    clientid: a.cid,
    ...(a.username === undefined ? {} : { username: a.username }),
    protoVer: protocolOf(a).version,
    ...(a.ip === undefined ? {} : { ipaddress: a.ip }),
    connectedAt: a.connectedAt,
    keepalive: a.heartbeatInterval,
  };
}
