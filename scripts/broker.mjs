// The embedded MQTT broker for local use and tests: aedes (MQTT 3.1.1) over TCP and over WebSocket (path /mqtt,
// subprotocol "mqtt"), bound to loopback. Optional user name and password.
import http from "node:http";
import net from "node:net";
import { timingSafeEqual } from "node:crypto";
import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

function sameSecret(a, b) {
  const x = Buffer.from(String(a ?? ""));
  const y = Buffer.from(String(b ?? ""));
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The WebSocket as the duplex stream aedes reads and writes. aedes ends a connection (after a DISCONNECT, a
 * protocol error, a taken-over client id) by destroying its stream, and ws's stream then drops the TCP connection
 * without a Close frame, which the peer sees as an abnormal closure (1006; workerd logs "WebSocket disconnected
 * between frames without sending `Close`"). Here the stream is destroyed only once the WebSocket closing
 * handshake (RFC 6455 §7.1.2) is done, or ws's close timeout ended it.
 */
function closingStream(socket) {
  const stream = createWebSocketStream(socket);
  stream.on("error", () => socket.terminate());
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (error) => {
    if (socket.readyState === socket.CLOSED) return destroy(error);
    socket.once("close", () => destroy(error));
    socket.close(1000);
    return stream;
  };
  return stream;
}

/**
 * Largest PUBLISH payload the broker takes by default. The gateway's frames are at most 1 MiB (`max_frame_size`);
 * anything much larger is a mistake or an attack, and one over 32 MiB could never reach the gateway (the Workers
 * runtime's WebSocket message limit).
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

/**
 * Starts the broker. Ports 0 pick free ports. Returns the bound ports, URLs and close().
 * A publish with a payload over `maxPayloadBytes` is refused: MQTT 3.1.1 has no negative PUBACK, so the publisher
 * is disconnected and the message goes nowhere (what mosquitto's `max_packet_size` does too).
 * @param {{ host?: string, tcpPort?: number, wsPort?: number, username?: string, password?: string,
 *           maxPayloadBytes?: number, log?: (line: string) => void }} options
 */
export async function startBroker(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  if (options.username) {
    aedes.authenticate = (_client, username, password, done) => {
      const ok = sameSecret(username, options.username) && sameSecret(password?.toString(), options.password);
      if (ok) return done(null, true);
      const error = new Error("bad user name or password");
      error.returnCode = 4;
      return done(error, false);
    };
  }
  const maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  aedes.authorizePublish = (client, packet, done) => {
    const size = packet.payload?.length ?? 0;
    if (size <= maxPayload) return done(null);
    options.log?.(`mqtt client ${client?.id} refused: a ${size}-byte payload on ${packet.topic} exceeds ${maxPayload} bytes`);
    return done(new Error(`payload of ${size} bytes exceeds the broker's limit of ${maxPayload} bytes`));
  };
  aedes.on("clientError", (client, error) => options.log?.(`mqtt client ${client?.id} error: ${error.message}`));

  // MQTT packets are small and latency-bound: without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold each
  // PUBLISH/PUBACK for up to 40 ms.
  const tcp = net.createServer({ noDelay: true }, aedes.handle);
  // server.close() only stops accepting: connections still open (a client that outlives the broker, such as a
  // runtime being torn down) would hold it open forever, so close() ends them itself.
  const tcpSockets = new Set();
  tcp.on("connection", (socket) => {
    tcpSockets.add(socket);
    socket.once("close", () => tcpSockets.delete(socket));
  });
  const web = http.createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("MQTT over WebSocket: connect to /mqtt with subprotocol mqtt\n");
  });
  const wss = new WebSocketServer({
    server: web,
    path: "/mqtt",
    handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : protocols.has("mqttv3.1") ? "mqttv3.1" : false),
  });
  wss.on("connection", (socket, req) => {
    aedes.handle(closingStream(socket), req);
  });

  const tcpPort = await listen(tcp, options.tcpPort ?? 1883, host);
  const wsPort = await listen(web, options.wsPort ?? 8083, host);

  let closed = false;
  return {
    aedes,
    tcpPort,
    wsPort,
    tcpUrl: `mqtt://${host}:${tcpPort}`,
    wsUrl: `ws://${host}:${wsPort}/mqtt`,
    async close() {
      if (closed) return;
      closed = true;
      for (const client of wss.clients) client.terminate();
      for (const socket of tcpSockets) socket.destroy();
      web.closeAllConnections();
      await Promise.all([
        new Promise((r) => tcp.close(() => r())),
        new Promise((r) => web.close(() => r())),
        new Promise((r) => aedes.close(() => r())),
      ]);
    },
  };
}
