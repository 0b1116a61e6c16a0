// `npm start` over TLS (OCPP security profiles 2 and 3 on this machine): the front (scripts/front.mjs) terminates
// TLS on the gateway's port, with `wrangler dev` behind it on an internal loopback port.
//
// With a client CA it asks every client for a certificate and verifies it against that CA, but lets the handshake
// complete either way: the Worker decides and answers with a status and a reason, as it does on Cloudflare. It hands
// the Worker what it saw the way a production proxy does (README "Client certificates"): the certificate as an
// RFC 9440 `Client-Cert` header (`:base64 DER:`), the verification result in `Client-Cert-Verify` (`SUCCESS`,
// `NONE`, `FAILED:<OpenSSL's reason>`), and a secret made for this run in `Client-Cert-Proxy-Secret`, which the
// Worker gets as CLIENT_CERT_PROXY_SECRET. The front removes every `Client-Cert*` header a client sends first, so a
// charge point cannot claim a certificate; the secret keeps headers sent to the internal port directly from counting.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/** The Worker's default header names for client_certificate.source "header". */
const CERT_HEADER = "Client-Cert";
const VERIFY_HEADER = "Client-Cert-Verify";
const SECRET_HEADER = "Client-Cert-Proxy-Secret";

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
  // The front sends only the default headers, and removes only a client's copies of those.
  const { source, header, verify_header: verify } = config.client_certificate ?? {};
  const named = (value, name) => value === undefined || String(value).toLowerCase() === name.toLowerCase();
  if (source === "header" && !(named(header, CERT_HEADER) && named(verify, VERIFY_HEADER))) {
    throw new Error(`with TLS_CLIENT_CA, GATEWAY_CONFIG's client_certificate must keep the headers the front sends: ${CERT_HEADER} and ${VERIFY_HEADER}`);
  }
  return { CLIENT_CERT_PROXY_SECRET: settings.secret, GATEWAY_CONFIG: JSON.stringify(config) };
}

/**
 * The TLS part of the front (scripts/front.mjs): the server's options, and what the front tells the Worker about
 * the connection's client certificate (the client's own `Client-Cert*` headers are already gone).
 */
export function tlsFront(settings) {
  return {
    options: {
      cert: settings.cert,
      key: settings.key,
      ...(settings.clientCa === undefined ? {} : { ca: settings.clientCa, requestCert: true, rejectUnauthorized: false }),
    },
    headers(req) {
      if (settings.clientCa === undefined) return {};
      const peer = req.socket.getPeerCertificate();
      if (!peer?.raw) return { [SECRET_HEADER]: settings.secret, [VERIFY_HEADER]: "NONE" };
      return {
        [SECRET_HEADER]: settings.secret,
        [CERT_HEADER]: `:${peer.raw.toString("base64")}:`,
        [VERIFY_HEADER]: req.socket.authorized ? "SUCCESS" : `FAILED:${req.socket.authorizationError}`,
      };
    },
  };
}
