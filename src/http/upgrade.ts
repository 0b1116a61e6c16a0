/**
 * Charge point upgrade requests (`GET <path>/<cid>`, reference §3). Everything is checked here, in the Worker,
 * before the charge point's object is touched: gateway enabled, charge point id, WebSocket upgrade, subprotocol,
 * client certificate, credentials (with the login throttle's guard objects). Only then is the request handed to the
 * charge point's shard (src/shard/address.ts), which accepts it with the Hibernation API.
 */
import type { Context } from "hono";
import { loginSubject, mayConnectAs } from "../auth/binding";
import { checkCertificate, fromCloudflare, fromProxyHeaders, PROXY_SECRET_HEADER, type CertificateIdentity, type CertificateSource } from "../auth/client-certificate";
import { parseBasic } from "../auth/credentials";
import { isolateHashBudget } from "../auth/hash-budget";
import { hashCost } from "../auth/passwords";
import { sourceOf, type Source } from "../auth/source";
import { LOGINS_PER_MINUTE } from "../auth/throttle";
import type { ClientCertificateConfig, GatewayConfig } from "../config/gateway-config";
import { AuthStore, configuredAlgorithm } from "../auth/store";
import { chargePointIdProblem } from "../ocpp/identity";
import { IMPLICIT_PROTOCOL, protocolBySubprotocol, type OcppProtocol } from "../ocpp/protocol";
import { parsePlacement, placementOf, regionOf, shardAddress, shardName, shardStub } from "../shard/address";
import { CONNECT_HEADER, encodeConnectRequest } from "../shard/connect-request";
import { log } from "../log";
import { ApiError } from "./errors";
import { LoginThrottle, userCredential } from "./login-throttle";
import { needsRehash, rehash } from "./rehash";

function badRequest(reason: string, message: string): ApiError {
  return new ApiError(400, "BAD_REQUEST", message, { reason });
}

/** The charge point id: the percent-decoded rest of the path after `<path>/`. */
export function chargePointIdFromPath(pathname: string, basePath: string): string {
  const rest = pathname.slice(basePath.length);
  if (rest === "" || rest === "/") throw badRequest("clientid_cannot_be_empty", "charge point id is empty");
  let cid: string;
  try {
    cid = decodeURIComponent(rest.slice(1));
  } catch {
    throw badRequest("invalid_clientid_encoding", "charge point id is not valid percent-encoding");
  }
  const problem = chargePointIdProblem(cid);
  if (problem !== undefined) throw badRequest(problem.reason, problem.message);
  return cid;
}

/**
 * The first offered subprotocol that the gateway speaks and the configuration allows: the charge point's order of
 * preference decides (OCPP 2.x Part 4 §3.1.2; EMQX does the same). None offered: OCPP 1.6 without echoing a header
 * (strict clients refuse a protocol they did not ask for, RFC 6455 §4.1), as EMQX does, when 1.6 is allowed.
 * Offered but none acceptable: 400 before the upgrade (EMQX's answer; the 2.x spec's alternative, accepting and
 * closing at once, would cost an object and tell the charger less).
 */
export function negotiateSubprotocol(header: string | null, allowed: readonly string[]): { protocol: OcppProtocol; echo: boolean } {
  const offered = (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const supported = `supported: ${allowed.join(", ")}`;
  if (offered.length === 0) {
    if (allowed.includes(IMPLICIT_PROTOCOL.subprotocol)) return { protocol: IMPLICIT_PROTOCOL, echo: false };
    throw badRequest("no_supported_subprotocol", `no subprotocol offered, and ${IMPLICIT_PROTOCOL.subprotocol} (assumed then) is not allowed (${supported})`);
  }
  for (const token of offered) {
    const protocol = allowed.includes(token) ? protocolBySubprotocol(token) : undefined;
    if (protocol !== undefined) return { protocol, echo: true };
  }
  throw badRequest("no_supported_subprotocol", `none of the offered subprotocols is supported (${supported})`);
}

/** The version's own identity rules, on top of the gateway's id profile (OCPP 2.x Part 4 §3.1.1: 48, no ':'). */
function checkIdForVersion(cid: string, protocol: OcppProtocol): void {
  const { maxLength, forbidden } = protocol.identity;
  if ([...cid].length > maxLength) {
    throw badRequest("clientid_too_long", `an OCPP ${protocol.version} charge point id is at most ${maxLength} characters`);
  }
  const found = forbidden.find((c) => cid.includes(c));
  if (found !== undefined) {
    throw badRequest("unsupported_clientid", `an OCPP ${protocol.version} charge point id must not contain '${found}' (it is the HTTP Basic user name)`);
  }
}

const challenge = { "WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"' };

/**
 * With an enabled authenticator, the upgrade must carry valid HTTP Basic credentials for this charge point (OCPP
 * security profiles 1 and 2; binding rules in src/auth/binding.ts): otherwise 401 with `WWW-Authenticate`, or 429
 * while logins are throttled (src/auth/throttle.ts), or 503 when this isolate is over its hashing budget.
 * With none, every charge point may connect. Returns the user name to keep with the connection: one that was
 * checked, never what the request merely claimed. A user hashed with an older algorithm is hashed again after the
 * login, in `waitUntil` (src/http/rehash.ts).
 */
async function authenticate(env: Env, waitUntil: (work: Promise<unknown>) => void, cid: string, header: string | null, source: Source): Promise<string | undefined> {
  const store = new AuthStore(env.GATEWAY_KV);
  const authenticator = await store.getAuthenticator();
  if (authenticator === null || authenticator.enable === false) return undefined;
  const credentials = parseBasic(header);
  if (credentials === undefined) {
    throw new ApiError(401, "UNAUTHORIZED", "credentials required (HTTP Basic)", { reason: "not_authorized" }, challenge);
  }
  const type = authenticator.user_id_type ?? "username";
  const subject = loginSubject(type, cid, credentials.username);
  const credential = await userCredential(subject.userId);
  const throttle = new LoginThrottle(env.LOGIN_GUARD);
  // The user record is read while the throttle decides, so a correct login waits for one round trip, not two.
  const [user, attempt] = await Promise.all([store.getUser(subject.userId), throttle.admit(credential, source, LOGINS_PER_MINUTE)]);
  // Unknown users cost what known ones do (decoy with the configured algorithm), so the budget is taken alike. A
  // known source's login is charged but not refused: its credential's guard already bounds how often it comes.
  if (!isolateHashBudget.take(hashCost(user?.algorithm ?? configuredAlgorithm(authenticator)), attempt.known)) {
    await attempt.release();
    throw new ApiError(503, "SERVICE_UNAVAILABLE", "too many logins at once; try again shortly", { reason: "busy" }, { "Retry-After": "1" });
  }
  // The password is checked even when the binding refuses, so the time taken does not tell which users may
  // connect as other ids; such an attempt counts as a failure like a wrong password.
  const passwordOk = await store.checkPassword(user, credentials.password, authenticator);
  const ok = passwordOk && user !== null && mayConnectAs(type, cid, subject.userId, user);
  await attempt.finish(ok);
  if (!ok) throw new ApiError(401, "UNAUTHORIZED", "bad user name or password", { reason: "bad_username_or_password" }, challenge);
  if (needsRehash(user, authenticator)) waitUntil(rehash(store, throttle, credential, user, credentials.password, authenticator));
  return subject.username;
}

function certificateSource(request: Request, env: Env, config: ClientCertificateConfig): Promise<CertificateSource> | CertificateSource {
  if (config.source === "cloudflare") return fromCloudflare(request.cf);
  return fromProxyHeaders(request.headers, config, env.CLIENT_CERT_PROXY_SECRET || undefined);
}

/**
 * OCPP security profile 3 (src/auth/client-certificate.ts): with `client_certificate.mode` other than `off`, a
 * presented certificate must pass for charge point `cid` (401/403 with a reason otherwise), and with `required` one
 * must be presented. Returns the identity of a certificate that passed, undefined when none was presented.
 */
async function checkClientCertificate(request: Request, env: Env, config: ClientCertificateConfig, cid: string, source: Source): Promise<CertificateIdentity | undefined> {
  if (config.mode === "off") return undefined;
  const found = await certificateSource(request, env, config);
  if (found.kind === "unavailable") {
    log("error", "client_certificate_source_unavailable", { cid, problem: found.problem });
    throw new ApiError(503, "SERVICE_UNAVAILABLE", "client certificates cannot be checked: the gateway is misconfigured", { reason: "client_certificate_source_unavailable" });
  }
  if (found.kind === "none") {
    if (config.mode === "optional") return undefined;
    log("warn", "client_certificate_refused", { cid, reason: "client_certificate_required", ip: source.ip });
    throw new ApiError(401, "UNAUTHORIZED", "a TLS client certificate is required", { reason: "client_certificate_required" });
  }
  const check = checkCertificate(found.certificate, cid, config, Date.now());
  if (!check.ok) {
    const { subjectDN: subject, serial, fingerprintSha256: fingerprint } = found.certificate;
    log("warn", "client_certificate_refused", { cid, reason: check.reason, subject, serial, fingerprint, ip: source.ip });
    throw new ApiError(check.status, check.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", check.message, { reason: check.reason });
  }
  return check.identity;
}

export function isUnderPath(pathname: string, basePath: string): boolean {
  return pathname === basePath || pathname.startsWith(`${basePath}/`);
}

export async function handleUpgrade(c: Context<{ Bindings: Env }>, config: GatewayConfig, basePath: string): Promise<Response> {
  const request = c.req.raw;
  if (!config.enable) throw new ApiError(503, "SERVICE_UNAVAILABLE", "the OCPP gateway is disabled");
  const cid = chargePointIdFromPath(new URL(request.url).pathname, basePath);
  if (request.method !== "GET" || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "UPGRADE_REQUIRED", "charge points connect with a WebSocket upgrade", {}, { Upgrade: "websocket" });
  }
  const { protocol, echo } = negotiateSubprotocol(request.headers.get("Sec-WebSocket-Protocol"), config.supported_protocols);
  checkIdForVersion(cid, protocol);
  const source = sourceOf(request.headers.get("CF-Connecting-IP"));
  const certificate = await checkClientCertificate(request, c.env, config.client_certificate, cid, source);
  // A certificate that passed stands in for the password (profile 3), unless the operator asks for both.
  const needsPassword = certificate === undefined || config.client_certificate.password_too;
  const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
  const username = needsPassword ? await authenticate(c.env, waitUntil, cid, request.headers.get("Authorization"), source) : undefined;
  const ip = source.ip;
  // The shard near where the edge received the charger (src/shard/address.ts).
  const placement = placementOf(request.cf as { colo?: unknown; continent?: unknown } | undefined);
  const address = shardAddress(cid, regionOf(parsePlacement(placement), config), config);

  const headers = new Headers(request.headers);
  // The object needs what was established, not the password or the proxy's secret.
  headers.delete("Authorization");
  headers.delete(PROXY_SECRET_HEADER);
  headers.set(
    CONNECT_HEADER,
    encodeConnectRequest({
      cid,
      protocol: protocol.subprotocol,
      echoProtocol: echo,
      ...(username === undefined ? {} : { username }),
      ...(ip === undefined ? {} : { ip }),
      ...(certificate === undefined ? {} : { certificate }),
      config,
      shard: shardName(address),
      placement,
    }),
  );
  return shardStub(c.env, address).fetch(request.url, { method: "GET", headers });
}
