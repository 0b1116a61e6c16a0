// OCPP security profile 3 through the real Worker: the certificate Cloudflare's edge reports in
// request.cf.tlsClientAuth (given here as the request's `cf`), or that a TLS proxy passes in headers with the
// operator's secret. Every refusal happens before any gateway shard holds the charge point; a certificate that
// passed is shown with the client.
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { PROXY_SECRET_HEADER } from "../../src/auth/client-certificate";
import { CONFIG_KV_KEY } from "../../src/config/store";
import { anyShardHolds } from "../worker-helpers/shards";

const ADMIN = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
const API = "http://gateway/api/v5/gateways/ocpp";
/** vitest.config.ts gives the Worker this CLIENT_CERT_PROXY_SECRET. */
const PROXY_SECRET = "test-proxy-secret-0123456789abcdef";
// X.509 v1, CN=CP-fixture, O=Fleet\, Inc., C=DE, valid Dec 1 2026 – Nov 7 2126 (test/unit/client-certificate.test.ts).
const FIXTURE =
  "MIIBWjCCAQACFDRE3qMu3FEzhDo7QF9V9XuT3lshMAoGCCqGSM49BAMCMCUxEzARBgNVBAMMCkZpeHR1cmUgQ0ExDjAMBgNVBAoMBUZsZWV0MCAXDTI2MTIwMTA1MTI1M1oYDzIxMjYxMTA3MDUxMjUzWjA4MQswCQYDVQQGEwJERTEUMBIGA1UECgwLRmxlZXQsIEluYy4xEzARBgNVBAMMCkNQLWZpeHR1cmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARcqPmV8dsp6Jcd8hpRbRV96bKBirSKZam9fsMppDMCJVGKHWX5v43bmMI9bgEd9SVKI9UUnQE3+1d8001ansL4MAoGCCqGSM49BAMCA0gAMEUCIQCFWA37b9d8M4M7TGfdLc6bsayToXxgD2vmptq5Fe7hnQIgXelggvfseJoH2+krb62509uHF04xUo7eOEaWXemXSL4=";

/** What Cloudflare's edge reports for a verified certificate of `cid` (fields as in Cloudflare's documentation). */
function edgeReport(cid: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certSubjectDN: `CN=${cid},O=Fleet`,
    certSubjectDNRFC2253: `CN=${cid},O=Fleet`,
    certIssuerDN: "CN=Fleet CA",
    certIssuerDNRFC2253: "CN=Fleet CA",
    certSerial: "00936EACBE07F201DF",
    certFingerprintSHA256: "253e08c1ab67eb7630c61734d377d75d5dccde2f6e69986c221d66e848b64321",
    certNotBefore: "Jan  1 00:00:00 2020 GMT",
    certNotAfter: "Jan  1 00:00:00 2100 GMT",
    ...more,
  };
}

const NO_CERTIFICATE = { certPresented: "0", certVerified: "NONE", certRevoked: "0" };

async function configure(clientCertificate: Record<string, unknown>): Promise<void> {
  await env.GATEWAY_KV.put(CONFIG_KV_KEY, JSON.stringify({ client_certificate: clientCertificate }));
}

function upgrade(cid: string, init: { tls?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
  return SELF.fetch(`http://gateway/ocpp/${encodeURIComponent(cid)}`, {
    headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "ocpp1.6", ...init.headers },
    ...(init.tls === undefined ? {} : { cf: { tlsClientAuth: init.tls } }),
  });
}


const open: WebSocket[] = [];

async function connected(res: Response): Promise<WebSocket> {
  if (res.status !== 101) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket as WebSocket;
  ws.accept();
  open.push(ws);
  return ws;
}

async function expectRefused(res: Response, cid: string, status: number, reason: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ code: status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", reason });
  expect(await anyShardHolds(cid)).toBe(false);
}

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return SELF.fetch(`${API}${path}`, {
    method: init.method ?? "GET",
    headers: { Authorization: ADMIN, "Content-Type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

afterEach(async () => {
  for (const ws of open.splice(0)) ws.close(1000);
  for (const key of (await env.GATEWAY_KV.list()).keys) await env.GATEWAY_KV.delete(key.name);
});

describe("source cloudflare (request.cf.tlsClientAuth)", () => {
  it("a verified certificate naming the charge point connects; the client shows it", async () => {
    await configure({ mode: "required" });
    await connected(await upgrade("CF-OK-1", { tls: edgeReport("CF-OK-1") }));
    const client = (await (await api("/clients/CF-OK-1")).json()) as Record<string, unknown>;
    expect(client.client_certificate).toEqual({
      subject: "CN=CF-OK-1,O=Fleet",
      issuer: "CN=Fleet CA",
      serial: "00936EACBE07F201DF",
      fingerprint_sha256: "253e08c1ab67eb7630c61734d377d75d5dccde2f6e69986c221d66e848b64321",
    });
  });

  it.each([
    ["no certificate", "CF-NONE", NO_CERTIFICATE, 401, "client_certificate_required"],
    ["no tlsClientAuth at all", "CF-NONE-2", undefined, 401, "client_certificate_required"],
    ["a certificate of another CA", "CF-CA", edgeReport("CF-CA", { certVerified: "FAILED:unable to get local issuer certificate" }), 401, "client_certificate_not_verified"],
    ["an expired certificate", "CF-OLD", edgeReport("CF-OLD", { certVerified: "FAILED:certificate has expired", certNotAfter: "Jan  1 00:00:00 2021 GMT" }), 401, "client_certificate_expired"],
    ["a revoked certificate", "CF-REV", edgeReport("CF-REV", { certRevoked: "1" }), 401, "client_certificate_revoked"],
    ["another charge point's certificate", "CF-VICTIM", edgeReport("CF-ATTACKER"), 403, "client_certificate_id_mismatch"],
  ])("%s → refused before any shard holds it", async (_, cid, tls, status, reason) => {
    await configure({ mode: "required" });
    await expectRefused(await upgrade(cid, tls === undefined ? {} : { tls }), cid, status, reason);
  });

  it("checks the organization when one is configured", async () => {
    await configure({ mode: "required", organization: "Other Fleet" });
    await expectRefused(await upgrade("CF-ORG", { tls: edgeReport("CF-ORG") }), "CF-ORG", 403, "client_certificate_organization_mismatch");
  });

  it("mode off (the default) ignores certificates, even bad ones", async () => {
    await connected(await upgrade("CF-OFF", { tls: edgeReport("CF-SOMEONE-ELSE", { certVerified: "FAILED" }) }));
  });
});

describe("profile 3 beside Basic", () => {
  async function authenticatorWithUser(cid: string): Promise<void> {
    expect((await api("/authentication", { method: "POST", body: { backend: "built_in_database", mechanism: "password_based" } })).status).toBe(201);
    expect((await api("/authentication/users", { method: "POST", body: { user_id: cid, password: "a-sixteen-char-pw" } })).status).toBe(201);
  }
  const basic = (user: string, password: string) => ({ Authorization: `Basic ${btoa(`${user}:${password}`)}` });

  it("optional: a certificate stands in for the password; without one the password is asked", async () => {
    await configure({ mode: "optional" });
    await authenticatorWithUser("MIX-1");
    await connected(await upgrade("MIX-1", { tls: edgeReport("MIX-1") }));
    const noCert = await upgrade("MIX-2", { tls: NO_CERTIFICATE });
    expect(noCert.status).toBe(401);
    expect(await noCert.json()).toMatchObject({ reason: "not_authorized" });
    await connected(await upgrade("MIX-1", { tls: NO_CERTIFICATE, headers: basic("MIX-1", "a-sixteen-char-pw") }));
  });

  it("optional: a presented certificate that fails is refused, not passed on to Basic", async () => {
    await configure({ mode: "optional" });
    await authenticatorWithUser("MIX-3");
    const res = await upgrade("MIX-3", { tls: edgeReport("MIX-OTHER"), headers: basic("MIX-3", "a-sixteen-char-pw") });
    await expectRefused(res, "MIX-3", 403, "client_certificate_id_mismatch");
  });

  it("password_too: the certificate and the password", async () => {
    await configure({ mode: "required", password_too: true });
    await authenticatorWithUser("BOTH-1");
    const noPassword = await upgrade("BOTH-1", { tls: edgeReport("BOTH-1") });
    expect(noPassword.status).toBe(401);
    expect(await noPassword.json()).toMatchObject({ reason: "not_authorized" });
    await connected(await upgrade("BOTH-1", { tls: edgeReport("BOTH-1"), headers: basic("BOTH-1", "a-sixteen-char-pw") }));
  });
});

describe("source header (a TLS-terminating proxy)", () => {
  // The accepted connection comes last: the refusals must find no shard holding the certificate's charge point.
  const fromProxy = (cert: string, verify = "SUCCESS", secret = PROXY_SECRET) => ({
    "Client-Cert": `:${cert}:`,
    "Client-Cert-Verify": verify,
    [PROXY_SECRET_HEADER]: secret,
  });

  it("headers without the proxy's secret are ignored (a charge point cannot claim a certificate)", async () => {
    await configure({ mode: "required", source: "header" });
    await expectRefused(await upgrade("CP-fixture", { headers: fromProxy(FIXTURE, "SUCCESS", "guessed-secret-0123456789abcdef-xx") }), "CP-fixture", 401, "client_certificate_required");
    const { [PROXY_SECRET_HEADER]: _, ...withoutSecret } = fromProxy(FIXTURE);
    await expectRefused(await upgrade("CP-fixture", { headers: withoutSecret }), "CP-fixture", 401, "client_certificate_required");
  });

  it("the proxy's failed verification is the answer", async () => {
    await configure({ mode: "required", source: "header" });
    const res = await upgrade("CP-fixture", { headers: fromProxy(FIXTURE, "FAILED:unable to get local issuer certificate") });
    await expectRefused(res, "CP-fixture", 401, "client_certificate_not_verified");
  });

  it("a request's cf object is not a source then", async () => {
    await configure({ mode: "required", source: "header" });
    await expectRefused(await upgrade("CF-VIA-HEADER", { tls: edgeReport("CF-VIA-HEADER") }), "CF-VIA-HEADER", 401, "client_certificate_required");
  });

  it("the proxy's certificate connects the charge point it names", async () => {
    await configure({ mode: "required", source: "header" });
    await connected(await upgrade("CP-fixture", { headers: fromProxy(FIXTURE) }));
    const client = (await (await api("/clients/CP-fixture")).json()) as Record<string, unknown>;
    expect(client.client_certificate).toMatchObject({ subject: "CN=CP-fixture,O=Fleet\\, Inc.,C=DE", serial: "3444DEA32EDC5133843A3B405F55F57B93DE5B21" });
  });
});

describe("configuration", () => {
  it("refuses a verify header equal to the certificate header", async () => {
    const res = await api("", { method: "PUT", body: { client_certificate: { header: "X-Cert", verify_header: "x-cert" } } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("client_certificate.verify_header");
  });

  it("shows the defaults: off", async () => {
    const config = (await (await api("")).json()) as Record<string, unknown>;
    expect(config.client_certificate).toEqual({
      mode: "off",
      source: "cloudflare",
      header: "Client-Cert",
      verify_header: "Client-Cert-Verify",
      identity_attribute: "CN",
      password_too: false,
    });
  });
});
