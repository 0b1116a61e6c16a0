/**
 * MQTT over TCP, or over TLS (`mqtts://`, `secureTransport: "on"`), through `connect()` from cloudflare:sockets
 * (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/). With an mTLS certificate binding the
 * connection is opened through the binding's own `connect()`, which presents the uploaded client certificate.
 * MQTT packets are the byte stream itself (MQTT 3.1.1 §4.2); a packet whose fixed header announces more than
 * RUNTIME_MESSAGE_LIMIT_BYTES ends the connection as "too big", as workerd does for a WebSocket message.
 */
import { connect } from "cloudflare:sockets";
import { errorMessage, log } from "../log";
import { PacketSizeGuard } from "../mqtt/packet-size";
import { RUNTIME_MESSAGE_LIMIT_BYTES, type LinkTransport, type TransportEnd, type TransportHandlers } from "./transport";
import { WriteBatch } from "./write-batch";

const DEFAULT_PORTS = { plain: 1883, tls: 8883 } as const;

/** Host and port of an `mqtt://` or `mqtts://` URL (IANA: 1883 and 8883 when none is given). */
export function tcpAddress(url: string, tls: boolean): SocketAddress {
  const parsed = new URL(url.replace(/^[a-z][a-z0-9+.-]*:/i, "http:"));
  const port = parsed.port === "" ? (tls ? DEFAULT_PORTS.tls : DEFAULT_PORTS.plain) : Number(parsed.port);
  return { hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

export function openTcpTransport(url: string, tls: boolean, name: string, handlers: TransportHandlers, mtls?: Fetcher): LinkTransport {
  const address = tcpAddress(url, tls);
  const options: SocketOptions = { secureTransport: tls ? "on" : "off", allowHalfOpen: false };
  const socket = mtls === undefined ? connect(address, options) : mtls.connect(address, options);
  const writer = socket.writable.getWriter();
  const guard = new PacketSizeGuard(RUNTIME_MESSAGE_LIMIT_BYTES);
  let ended = false;
  const finish = (end: TransportEnd): void => {
    if (ended) return;
    ended = true;
    socket.close().catch(() => undefined);
    try {
      handlers.end(end);
    } catch (e) {
      log("error", "link_socket_handler_failed", { link: name, what: "end", error: errorMessage(e) });
    }
  };
  const read = async (): Promise<void> => {
    await socket.opened;
    if (ended) return;
    handlers.open();
    const reader = socket.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || ended) break;
      const tooBig = guard.feed(value);
      if (tooBig !== undefined) {
        return finish({ tooBig: true, message: `the broker sent a ${tooBig}-byte packet, over the ${RUNTIME_MESSAGE_LIMIT_BYTES}-byte limit` });
      }
      handlers.bytes(value);
    }
    finish({ tooBig: false, message: "the broker closed the TCP connection" });
  };
  read().catch((e: unknown) => finish({ tooBig: false, message: `TCP connection to ${address.hostname}:${address.port} failed: ${errorMessage(e)}` }));
  const batch = new WriteBatch((bytes) => {
    writer.write(bytes).catch((e: unknown) => finish({ tooBig: false, message: `cannot write to the broker: ${errorMessage(e)}` }));
  });
  return {
    send: (packet) => {
      if (ended) throw new Error("the broker link's TCP connection is closed");
      batch.add(packet);
    },
    close: () => {
      // What is batched (a DISCONNECT) goes first; a failed write then reports nothing (finish() is past).
      batch.flush();
      ended = true;
      socket.close().catch(() => undefined);
    },
  };
}
