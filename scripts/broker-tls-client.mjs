// `npm start` against a broker that wants a client certificate (mutual TLS), or whose server certificate only a
// private CA vouches for: a small local TLS client between the shards' broker links and the broker.
//
// On Cloudflare the links present a client certificate through Workers' mtls_certificates binding (BROKER_MTLS).
// `wrangler dev` has no local form of that binding (it only proxies to an uploaded certificate), and workerd
// trusts only public CAs, so here the links reach this front over plain ws:// on a loopback port, and the front
// opens the broker's wss:// URL itself, with MQTT_CLIENT_CERT/MQTT_CLIENT_KEY as its client certificate and
// MQTT_CA as the CA it verifies the broker with. It passes the WebSocket upgrade on (same path, the broker's Host)
// and then the bytes both ways. A failed TLS connection is answered with 502 and the TLS error, which the link
// shows as its last error (GET /api/v5/gateways/ocpp/broker). With an mqtts:// MQTT_URL (MQTT over TLS), the links
// reach it over plain TCP (mqtt://) and it passes the bytes on over TLS; a failed TLS connection closes the link's
// connection at once and is printed here.
import http from "node:http";
import https from "node:https";
import net, { isIP } from "node:net";
import tls from "node:tls";
import { head, spliceUpgrade } from "./front.mjs";
import { pemFrom } from "./tls-front.mjs";

/**
 * The broker TLS settings of `npm start`: MQTT_CLIENT_CERT and MQTT_CLIENT_KEY (PEM, or MQTT_CLIENT_CERT_FILE and
 * MQTT_CLIENT_KEY_FILE), MQTT_CA (or MQTT_CA_FILE). Undefined when none is set; they need MQTT_URL to be wss://,
 * and half a key pair is refused.
 */
export function brokerTlsSettings(env) {
  const cert = pemFrom(env, "MQTT_CLIENT_CERT");
  const key = pemFrom(env, "MQTT_CLIENT_KEY");
  const ca = pemFrom(env, "MQTT_CA");
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) throw new Error("MQTT_CLIENT_CERT and MQTT_CLIENT_KEY (or their _FILE forms) go together");
  let url;
  try {
    url = new URL(env.MQTT_URL ?? "");
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "wss:" && url?.protocol !== "mqtts:") {
    throw new Error("MQTT_CLIENT_CERT, MQTT_CLIENT_KEY and MQTT_CA need MQTT_URL to be the broker's mqtts:// or wss:// URL");
  }
  return { url, cert, key, ca };
}

/** The text of a TLS or socket error: OpenSSL's reason when there is one. */
function describe(error) {
  return String(error.reason ?? error.message ?? error.code ?? error);
}

function refuse(socket, statusCode, statusMessage, text) {
  const body = Buffer.from(text);
  socket.end(Buffer.concat([Buffer.from(head(statusCode, statusMessage, ["Content-Type", "text/plain", "Content-Length", String(body.length), "Connection", "close"])), body]));
}

/** MQTT over TLS: each plain TCP connection from a link is carried on to the broker over TLS. */
function startTcpTlsClient({ host, settings }) {
  const { url, cert, key, ca } = settings;
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const sockets = new Set();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const up = tls.connect({
      host: hostname,
      port: Number(url.port || 8883),
      ...(isIP(hostname) ? {} : { servername: hostname }),
      ...(cert === undefined ? {} : { cert, key }),
      ...(ca === undefined ? {} : { ca }),
    });
    up.setNoDelay(true);
    up.on("error", (error) => {
      process.stderr.write(`[broker-tls] TLS connection to ${url.host} failed: ${describe(error)}\n`);
      socket.destroy();
    });
    socket.on("error", () => up.destroy());
    socket.pipe(up).pipe(socket);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve({
        url: `mqtt://${host}:${server.address().port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}

/** Starts the front on host and a free port; resolves with { url (ws:// or mqtt:// for the Worker), close() }. */
export function startBrokerTlsClient({ host, settings }) {
  const { url, cert, key, ca } = settings;
  if (url.protocol === "mqtts:") return startTcpTlsClient({ host, settings });
  const tunnels = new Set();
  const server = http.createServer((req, res) => {
    res.writeHead(426, { "Content-Type": "text/plain" }).end("WebSocket upgrades only");
  });
  server.on("upgrade", (req, socket, bodyHead) => {
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    const headers = { ...req.headers, host: url.host };
    const up = https.request({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port || 443,
      ...(isIP(url.hostname.replace(/^\[|\]$/g, "")) ? {} : { servername: url.hostname }),
      method: req.method,
      path: req.url,
      headers,
      agent: false,
      ...(cert === undefined ? {} : { cert, key }),
      ...(ca === undefined ? {} : { ca }),
    });
    spliceUpgrade(socket, bodyHead, up);
    // The broker answered without upgrading: its status and the start of its body.
    up.on("response", (upRes) => {
      let text = "";
      upRes.setEncoding("utf8");
      upRes.on("data", (c) => (text = (text + c).slice(0, 1000)));
      upRes.on("end", () => refuse(socket, upRes.statusCode ?? 502, upRes.statusMessage ?? "", text));
    });
    up.on("error", (error) => {
      if (!socket.destroyed) refuse(socket, 502, "Bad Gateway", `TLS connection to ${url.host} failed: ${describe(error)}`);
    });
    up.end();
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      const { port } = server.address();
      resolve({
        url: `ws://${host}:${port}${url.pathname}${url.search}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
            for (const socket of tunnels) socket.destroy();
          }),
      });
    });
  });
}
