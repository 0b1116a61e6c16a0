// `npm start`'s front: what a client of `npm start` reaches on $PORT, over plain TCP or TLS (scripts/tls-front.mjs),
// with `wrangler dev` behind it on an internal loopback port. It does here what Cloudflare's edge does in front of
// the deployed Worker:
//  - request headers that only the edge sets are removed from what a client sends: every `CF-*`, every `MF-*` and
//    every `Client-Cert*`. wrangler dev's Miniflare takes `request.cf` from a client's `MF-CF-Blob` (so a forged
//    `tlsClientAuth` would pass for a client certificate) and keeps a client's `CF-Connecting-IP`; `Client-Cert*`
//    are what the TLS front itself tells the Worker. Then `CF-Connecting-IP` is set to the connection's peer, as
//    the edge sets it to the client's address;
//  - `/cdn-cgi/` belongs to the edge and never reaches a Worker on Cloudflare: here it is answered 404 (wrangler dev
//    serves its local explorer there, which reads and writes the gateway's storage, and more);
//  - a WebSocket message over the runtime's 32 MiB limit ends its connection with 1009 (scripts/message-limit.mjs).
import http from "node:http";
import https from "node:https";
import { extension } from "ws";
import { closeFrame, MessageLimit, RUNTIME_MESSAGE_LIMIT } from "./message-limit.mjs";

/** Request headers (lower case) only Cloudflare's edge, or this front, may set. */
const EDGE_ONLY = /^(?:cf-|mf-|client-cert)/;

/** An HTTP/1.1 response head from a status and Node's raw header list. */
export function head(statusCode, statusMessage, rawHeaders) {
  const lines = [`HTTP/1.1 ${statusCode} ${statusMessage}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A whole response on a raw socket (an upgrade that is refused), then the end of the connection. */
function refuseUpgrade(socket, statusCode, statusMessage, rawHeaders, body) {
  const raw = [...rawHeaders, "Content-Length", String(body.length), "Connection", "close"];
  socket.end(Buffer.concat([Buffer.from(head(statusCode, statusMessage, raw)), body]));
}

/** The request's path and query as the runtime reads them (WHATWG URL: dot segments resolved), or undefined. */
function pathOf(req) {
  try {
    const url = req.url.startsWith("/") ? new URL(`http://front${req.url}`) : new URL(req.url);
    return `${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}

const isEdgePath = (path) => path === "/cdn-cgi" || path.startsWith("/cdn-cgi/") || path.startsWith("/cdn-cgi?");

/** The client's headers in Node's raw form without the edge's, then the peer address and `extra`. */
export function forwardedHeaders(req, extra = {}) {
  const raw = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!EDGE_ONLY.test(req.rawHeaders[i].toLowerCase())) raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, "");
  if (peer) raw.push("CF-Connecting-IP", peer);
  for (const [name, value] of Object.entries(extra)) raw.push(name, value);
  return raw;
}

/** Whether the server accepted permessage-deflate (RFC 7692), and whether the client resets its context per message. */
function negotiatedDeflate(header) {
  if (typeof header !== "string") return undefined;
  try {
    const params = extension.parse(header)["permessage-deflate"]?.[0];
    return params === undefined ? undefined : { noContextTakeover: params.client_no_context_takeover !== undefined };
  } catch {
    return undefined;
  }
}

/** The client's bytes to the upstream through a MessageLimit: a message over the runtime's limit ends both sides. */
function guardMessages(socket, bodyHead, upSocket, upRes) {
  const reason = `frames are limited to ${RUNTIME_MESSAGE_LIMIT} bytes (the runtime's WebSocket message limit)`;
  let busy = 0;
  const resume = () => {
    if (busy === 0 && !upSocket.writableNeedDrain) socket.resume();
  };
  const guard = new MessageLimit({
    deflate: negotiatedDeflate(upRes.headers["sec-websocket-extensions"]),
    forward: (bytes) => upSocket.write(bytes),
    exceeded: () => {
      // Close frames to both sides instead of the frame (RFC 6455 §7.4.1: 1009, a message too big to process); the
      // upstream then has the charge point's close as if it had sent it.
      upSocket.unpipe(socket);
      socket.removeAllListeners("data");
      socket.end(closeFrame(1009, reason, false));
      upSocket.end(closeFrame(1009, reason, true));
    },
  });
  upSocket.on("drain", resume);
  if (bodyHead.length > 0) void guard.push(bodyHead);
  socket.on("data", (chunk) => {
    busy++;
    socket.pause();
    void guard.push(chunk).then(() => {
      busy--;
      resume();
    });
  });
  socket.on("end", () => void guard.push(Buffer.alloc(0)).then(() => upSocket.end()));
}

/**
 * Joins a client's upgrade request (its `socket` and the bytes it sent past the headers) to the upstream request
 * `up` once that upgrades: the upstream's 101 goes back, then bytes flow both ways until either side ends. With
 * `limitMessages`, what the client sends goes through the runtime's message limit.
 */
export function spliceUpgrade(socket, bodyHead, up, limitMessages = false) {
  socket.on("error", () => up.destroy());
  up.on("upgrade", (upRes, upSocket, upHead) => {
    socket.write(head(upRes.statusCode, upRes.statusMessage, upRes.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    // OCPP-J is request and answer: small writes must not wait for an ACK (Nagle's algorithm, RFC 896).
    socket.setNoDelay?.(true);
    upSocket.setNoDelay(true);
    upSocket.on("error", () => socket.destroy());
    // A Close the front sent upstream itself (guardMessages) is given time to arrive.
    socket.on("close", () => (upSocket.writableEnded ? setTimeout(() => upSocket.destroy(), 5000).unref() : upSocket.destroy()));
    upSocket.on("close", () => socket.destroy());
    upSocket.pipe(socket);
    if (limitMessages) return guardMessages(socket, bodyHead, upSocket, upRes);
    if (bodyHead.length > 0) upSocket.write(bodyHead);
    socket.pipe(upSocket);
  });
}

/**
 * Starts the front on host:port (0: a port the system picks). `tls`: { options (for https.createServer),
 * headers(req) (what the TLS front tells the Worker) } for TLS, else plain. Requests are answered 503 until
 * `setTarget(port)` names `wrangler dev`'s port. Resolves with { port, setTarget(port), close() } once it listens.
 */
export function startFront({ host, port, tls }) {
  const server = tls === undefined ? http.createServer() : https.createServer(tls.options);
  let target;
  /** Upgraded connections, which the server no longer tracks: ended on close. */
  const tunnels = new Set();
  const upstream = (req, path) =>
    http.request({ host, port: target, method: req.method, path, headers: forwardedHeaders(req, tls?.headers(req) ?? {}) });
  const refusal = (path) => {
    if (path === undefined) return [400, "Bad Request", { code: "BAD_REQUEST", message: "the request target is not a URL" }];
    if (isEdgePath(path)) return [404, "Not Found", { code: "RESOURCE_NOT_FOUND", message: "no such resource" }];
    if (target === undefined) return [503, "Service Unavailable", { code: "SERVICE_UNAVAILABLE", message: "the gateway is starting" }];
    return undefined;
  };

  server.on("request", (req, res) => {
    const path = pathOf(req);
    const refused = refusal(path);
    if (refused !== undefined) {
      req.resume();
      const [status, , body] = refused;
      res.writeHead(status, { "Content-Type": "application/json", ...(status === 503 ? { "Retry-After": "1" } : {}) });
      return void res.end(JSON.stringify(body));
    }
    const up = upstream(req, path);
    up.on("response", (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
      upRes.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ code: "BAD_GATEWAY", message: "the Worker did not answer" }));
    });
    req.pipe(up);
  });

  server.on("upgrade", (req, socket, bodyHead) => {
    socket.on("error", () => socket.destroy());
    const path = pathOf(req);
    const refused = refusal(path);
    if (refused !== undefined) {
      const [status, text, body] = refused;
      return refuseUpgrade(socket, status, text, ["Content-Type", "application/json"], Buffer.from(JSON.stringify(body)));
    }
    const up = upstream(req, path);
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    spliceUpgrade(socket, bodyHead, up, true);
    // A refused upgrade: the Worker's status and body, then the connection ends.
    up.on("response", (upRes) => {
      const chunks = [];
      upRes.on("data", (c) => chunks.push(c));
      upRes.on("end", () => {
        const raw = [];
        for (let i = 0; i + 1 < upRes.rawHeaders.length; i += 2) {
          const name = upRes.rawHeaders[i].toLowerCase();
          if (name !== "transfer-encoding" && name !== "content-length" && name !== "connection") raw.push(upRes.rawHeaders[i], upRes.rawHeaders[i + 1]);
        }
        refuseUpgrade(socket, upRes.statusCode, upRes.statusMessage, raw, Buffer.concat(chunks));
      });
    });
    up.on("error", () => socket.destroy());
    up.end();
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: server.address().port,
        setTarget: (p) => (target = p),
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
