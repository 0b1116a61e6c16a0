/**
 * The byte stream an MQTT link runs over, chosen by the broker URL's scheme: `mqtt://` and `mqtts://` are MQTT over
 * TCP (and TLS) through `connect()` (cloudflare:sockets), `ws://` and `wss://` MQTT over WebSocket (MQTT 3.1.1 §6).
 * Either way the MQTT session sees bytes in and bytes out, and the link sees one end.
 */
import { openTcpTransport } from "./tcp-transport";
import { openWebSocketTransport } from "./websocket-transport";

/**
 * The largest MQTT packet the link takes: workerd refuses incoming WebSocket messages over 32 MiB (33,554,432
 * bytes), and over TCP the link holds to the same bound (a packet is parsed whole, in the object's 128 MB).
 */
export const RUNTIME_MESSAGE_LIMIT_BYTES = 32 * 1024 * 1024;

export interface TransportEnd {
  readonly message: string;
  /** The broker sent a message over the limit; the same message will come again on a resumed session. */
  readonly tooBig: boolean;
}

export interface TransportHandlers {
  /** The connection is open: the MQTT session may send CONNECT. */
  open(): void;
  bytes(data: Uint8Array): void;
  /** Called at most once. */
  end(end: TransportEnd): void;
}

export interface LinkTransport {
  /** One MQTT packet in pieces (MqttTransport.send). */
  send(packet: readonly Uint8Array[]): void;
  /** Closes without reporting an end (the owner already knows). */
  close(): void;
}

export type TransportKind = "tcp" | "websocket";

/** The transport a broker URL asks for, or undefined for a scheme the link does not speak. */
export function transportOf(url: string): { kind: TransportKind; tls: boolean } | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "mqtt":
    case "tcp":
      return { kind: "tcp", tls: false };
    case "mqtts":
    case "ssl":
    case "tls":
      return { kind: "tcp", tls: true };
    case "ws":
      return { kind: "websocket", tls: false };
    case "wss":
      return { kind: "websocket", tls: true };
    default:
      return undefined;
  }
}

/** Opens the transport for `url` (`mtls`: the client certificate binding, when one is bound). */
export function openTransport(url: string, name: string, handlers: TransportHandlers, mtls?: Fetcher): LinkTransport {
  const kind = transportOf(url);
  if (kind === undefined) throw new Error(`MQTT_URL must be mqtt://, mqtts://, ws:// or wss:// (got '${url.slice(0, 80)}')`);
  return kind.kind === "tcp" ? openTcpTransport(url, kind.tls, name, handlers, mtls) : openWebSocketTransport(url, name, handlers, mtls);
}
