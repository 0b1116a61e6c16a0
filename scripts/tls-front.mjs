// `npm start` over TLS (OCPP security profiles 2 and 3 on this machine): a small HTTPS front on the gateway's port
// that terminates TLS and forwards requests and WebSocket upgrades to `wrangler dev` on an internal loopback port.
//
// With a client CA it asks every client for a certificate and verifies it against that CA, but lets the handshake
// complete either way: the Worker decides and answers with a status and a reason, as it does on Cloudflare. It hands
// the Worker what it saw the way a production proxy does (README "Client certificates"): the certificate as an
// RFC 9440 `Client-Cert` header (`:base64 DER:`), the verification result in `Client-Cert-Verify` (`SUCCESS`,
// `NONE`, `FAILED:<OpenSSL's reason>`), and a secret made for this run in `Client-Cert-Proxy-Secret`, which the
// Worker gets as CLIENT_CERT_PROXY_SECRET. Copies of these headers sent by a client are removed first, so a charge
// point cannot claim a certificate; the secret keeps headers sent to the internal port directly from counting.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

/** Header names (lower case, as Node gives them): the Worker's defaults for client_certificate.source "header". */
const CERT_HEADER = "client-cert";
const VERIFY_HEADER = "client-cert-verify";
const SECRET_HEADER = "client-cert-proxy-secret";

/** PEM from `<NAME>` (the PEM itself) or `<NAME>_FILE` (a path); undefined when neither is set. */
export function pemFrom(env, name) {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${name}_FILE: cannot read '${file}' (${error.code ?? error.message})`);
  }
}

/**
 * The TLS settings of `npm start` from the environment: TLS_CERT and TLS_KEY (PEM, or TLS_CERT_FILE and
 * TLS_KEY_FILE) serve wss:// and https://; TLS_CLIENT_CA (or TLS_CLIENT_CA_FILE) also asks for client certificates.
 * Undefined when none is set; half a configuration is refused.
 */
export function tlsSettings(env) {
  const cert = pemFrom(env, "TLS_CERT");
  const key = pemFrom(env, "TLS_KEY");
  const clientCa = pemFrom(env, "TLS_CLIENT_CA");
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new Error("TLS_CLIENT_CA needs TLS_CERT and TLS_KEY (the server's certificate and key)");
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new Error("TLS_CERT and TLS_KEY (or their _FILE forms) go together");
  return { cert, key, clientCa, secret: clientCa === undefined ? undefined : randomBytes(32).toString("base64url") };
}

/**
 * Worker variables for a front with a client CA: the proxy secret, and a deploy-time client_certificate setting
 * (required, from the front's headers) unless GATEWAY_CONFIG in the environment has one. Without GATEWAY_CONFIG in
 * the environment the result replaces wrangler.toml's [vars.GATEWAY_CONFIG].
 */
export function tlsWorkerVars(settings, gatewayConfig) {
  if (settings?.clientCa === undefined) return {};
  let config = {};
  if (gatewayConfig) {
    try {
      config = JSON.parse(gatewayConfig);
    } catch {
      throw new Error("GATEWAY_CONFIG must be JSON when TLS_CLIENT_CA is set (npm start adds client_certificate to it)");
    }
  }
  if (config.client_certificate === undefined) config = { ...config, client_certificate: { mode: "required", source: "header" } };
  return { CLIENT_CERT_PROXY_SECRET: settings.secret, GATEWAY_CONFIG: JSON.stringify(config) };
}

/** What the Worker gets: the client's headers without any claim about certificates, plus what the front saw. */
function forwardedHeaders(req, settings) {
  const headers = { ...req.headers };
  for (const name of [CERT_HEADER, VERIFY_HEADER, SECRET_HEADER, "cf-connecting-ip"]) delete headers[name];
  // The throttle's source address (CF-Connecting-IP on Cloudflare) is the peer of this connection.
  if (req.socket.remoteAddress) headers["cf-connecting-ip"] = req.socket.remoteAddress.replace(/^::ffff:/, "");
  if (settings.clientCa !== undefined) {
    const peer = req.socket.getPeerCertificate();
    headers[SECRET_HEADER] = settings.secret;
    if (peer?.raw) {
      headers[CERT_HEADER] = `:${peer.raw.toString("base64")}:`;
      headers[VERIFY_HEADER] = req.socket.authorized ? "SUCCESS" : `FAILED:${req.socket.authorizationError}`;
    } else {
      headers[VERIFY_HEADER] = "NONE";
    }
  }
  return headers;
}

/** An HTTP/1.1 response head from a status and Node's raw header list. */
export function head(statusCode, statusMessage, rawHeaders) {
  const lines = [`HTTP/1.1 ${statusCode} ${statusMessage}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * Joins a client's upgrade request (its `socket` and the bytes it sent past the headers) to the upstream request
 * `up` once that upgrades: the upstream's 101 goes back, then bytes flow both ways until either side ends.
 */
export function spliceUpgrade(socket, bodyHead, up) {
  socket.on("error", () => up.destroy());
  up.on("upgrade", (upRes, upSocket, upHead) => {
    socket.write(head(upRes.statusCode, upRes.statusMessage, upRes.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (bodyHead.length > 0) upSocket.write(bodyHead);
    upSocket.on("error", () => socket.destroy());
    socket.on("close", () => upSocket.destroy());
    upSocket.on("close", () => socket.destroy());
    upSocket.pipe(socket).pipe(upSocket);
  });
}

/** Starts the front on host:port for `wrangler dev` on host:target; resolves with { close() } once it listens. */
export function startTlsFront({ host, port, target, settings }) {
  const server = https.createServer({
    cert: settings.cert,
    key: settings.key,
    ...(settings.clientCa === undefined ? {} : { ca: settings.clientCa, requestCert: true, rejectUnauthorized: false }),
  });
  /** Upgraded connections, which the server no longer tracks: ended on close. */
  const tunnels = new Set();
  const upstream = (req) => http.request({ host, port: target, method: req.method, path: req.url, headers: forwardedHeaders(req, settings) });

  server.on("request", (req, res) => {
    const up = upstream(req);
    up.on("response", (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
      upRes.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "BAD_GATEWAY", message: "the Worker did not answer" }));
    });
    req.pipe(up);
  });

  server.on("upgrade", (req, socket, bodyHead) => {
    const up = upstream(req);
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    spliceUpgrade(socket, bodyHead, up);
    // A refused upgrade: the Worker's status and JSON body, then the connection ends.
    up.on("response", (upRes) => {
      const chunks = [];
      upRes.on("data", (c) => chunks.push(c));
      upRes.on("end", () => {
        const body = Buffer.concat(chunks);
        const raw = [];
        for (let i = 0; i + 1 < upRes.rawHeaders.length; i += 2) {
          const name = upRes.rawHeaders[i].toLowerCase();
          if (name !== "transfer-encoding" && name !== "content-length" && name !== "connection") raw.push(upRes.rawHeaders[i], upRes.rawHeaders[i + 1]);
        }
        raw.push("Content-Length", String(body.length), "Connection", "close");
        socket.end(Buffer.concat([Buffer.from(head(upRes.statusCode, upRes.statusMessage, raw)), body]));
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
