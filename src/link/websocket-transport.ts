/**
 * MQTT over WebSocket (subprotocol `mqtt`, MQTT 3.1.1 §6): opens the link's outbound WebSocket (presenting a client
 * certificate when an mTLS certificate binding is given), feeds binary messages to the MQTT session, and turns its
 * end — close event or error event — into one description, noting when the broker sent a message larger than the
 * runtime accepts. No listener throws out: an exception in an event listener would reach the runtime as an
 * uncaught error.
 */
import { errorMessage, log } from "../log";
import { RUNTIME_MESSAGE_LIMIT_BYTES, type LinkTransport, type TransportEnd, type TransportHandlers } from "./transport";
import { WriteBatch } from "./write-batch";

/**
 * workerd accepts incoming WebSocket messages up to 32 MiB (RUNTIME_MESSAGE_LIMIT_BYTES; one byte more was refused
 * when checked with this runtime). A larger one fails the socket with protocol error 1009 (RFC 6455 §7.4.1 "message
 * too big"): workerd sends close 1009 to the peer and raises an `error` event whose message names the status
 * code, with no `close` event.
 */
const MESSAGE_TOO_BIG = 1009;

/** Classifies the end of the link's socket from a close code and/or an error event's message. */
export function socketEnd(code: number | undefined, reason: string): TransportEnd {
  // workerd prefixes error-event messages with "Uncaught " although the event is handled.
  const text = reason.replace(/^Uncaught\s+/, "").trim();
  const tooBig = code === MESSAGE_TOO_BIG || /statusCode = 1009\b/.test(text) || /message is too large/i.test(text);
  if (tooBig) {
    return {
      tooBig,
      message: `the broker sent a message larger than the ${RUNTIME_MESSAGE_LIMIT_BYTES}-byte WebSocket limit (${text || `close ${MESSAGE_TOO_BIG}`})`,
    };
  }
  if (code !== undefined) return { tooBig, message: `WebSocket closed (${code}${text ? ` ${text}` : ""})` };
  return { tooBig, message: text ? `WebSocket error: ${text}` : "WebSocket error" };
}

/** Longest part of a refused upgrade's body kept in the link's error (a broker or proxy explaining itself). */
const REFUSAL_BODY_SHOWN = 300;

/**
 * Opens the link's WebSocket (MQTT over WebSocket, RFC 6455 §4.1 client handshake through the Fetch API, which
 * takes `http(s)://` only). With an mTLS certificate binding (`BROKER_MTLS` in wrangler.toml: Workers' mtls_certificates
 * binding, whose `fetch` always presents the uploaded client certificate in the TLS handshake, for brokers that
 * require one) the upgrade goes through that binding; otherwise through the global `fetch`. Either way a refused
 * upgrade gives its status and the start of its body rather than a bare error event.
 */
async function connect(url: string, mtls: Fetcher | undefined): Promise<WebSocket> {
  const target = url.replace(/^ws(s?):/i, "http$1:");
  const init = { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "mqtt" } };
  const response = mtls === undefined ? await fetch(target, init) : await mtls.fetch(target, init);
  const socket = response.webSocket;
  if (response.status !== 101 || socket === null) {
    const body = (await response.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, REFUSAL_BODY_SHOWN);
    throw new Error(`the broker refused the WebSocket upgrade: HTTP ${response.status}${body ? ` (${body})` : ""}`);
  }
  socket.accept();
  return socket;
}

/** `mtls`: the mTLS certificate binding the connection presents a client certificate with, when one is bound. */
export function openWebSocketTransport(url: string, name: string, handlers: TransportHandlers, mtls?: Fetcher): LinkTransport {
  let socket: WebSocket | undefined;
  let ended = false;
  const guard =
    <E>(what: string, fn: (event: E) => void) =>
    (event: E): void => {
      try {
        fn(event);
      } catch (e) {
        log("error", "link_socket_handler_failed", { link: name, what, error: errorMessage(e) });
      }
    };
  const finish = (end: TransportEnd): void => {
    if (ended) return;
    ended = true;
    handlers.end(end);
  };
  const close = (ws: WebSocket): void => {
    try {
      ws.close(1000, "MQTT session ended");
    } catch {
      // already closed
    }
  };
  connect(url, mtls).then(
    (ws) => {
      if (ended) return close(ws);
      socket = ws;
      ws.binaryType = "arraybuffer";
      ws.addEventListener(
        "message",
        guard("message", (event: MessageEvent) => {
          if (ended) return;
          if (event.data instanceof ArrayBuffer) handlers.bytes(new Uint8Array(event.data));
          // MQTT over WebSocket is binary only (MQTT 3.1.1 §6.0).
          else finish({ tooBig: false, message: "the broker sent a non-binary WebSocket frame" });
        }),
      );
      ws.addEventListener("close", guard("close", (event: CloseEvent) => finish(socketEnd(event.code, event.reason))));
      ws.addEventListener("error", guard("error", (event: ErrorEvent) => finish(socketEnd(undefined, String(event.message ?? "")))));
      // An accepted socket is open at once (no open event).
      guard("open", () => handlers.open())(undefined);
    },
    (e: unknown) => guard("connect", () => finish({ tooBig: false, message: errorMessage(e) }))(undefined),
  );
  const batch = new WriteBatch((bytes) => {
    if (socket === undefined) return;
    try {
      socket.send(bytes);
    } catch (e) {
      // The socket closed before its close event ran: the link ends (and reconnects) as if that event had come.
      // After close() or an end already reported, finish() does nothing.
      guard("write", () => finish({ tooBig: false, message: `cannot write to the broker: ${errorMessage(e)}` }))(undefined);
    }
  });
  return {
    send: (packet) => {
      if (socket === undefined) throw new Error("the broker link's WebSocket is not open yet");
      if (ended) throw new Error("the broker link's WebSocket is closed");
      batch.add(packet);
    },
    close: () => {
      // What is batched (a DISCONNECT) goes first; ended first, so a failed write reports nothing.
      ended = true;
      batch.flush();
      if (socket !== undefined) close(socket);
    },
  };
}
