// OCPP security profiles 2 and 3 on this machine, over real TLS: `npm start` (scripts/start.mjs) with a server
// certificate and a client CA made here with openssl, its TLS front, wrangler dev and the embedded broker. A charge
// point with its own certificate connects and relays; a missing certificate, one of another CA, an expired one and
// another charge point's are refused with a status and a reason; certificate headers a client sends are ignored.
// This file starts its own gateway (the shared one runs without TLS).
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RPCClient } from "ocpp-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WS_CLIENT_OPTIONS } from "./support/charge-point";
import { Csms } from "./support/csms";
import { bannerPort, spawnUntilReady, startGateway, type GatewayProcess } from "./support/processes";

const CP = "TLS-CP1";
const OTHER_CP = "TLS-CP2";

const ADMIN_SECRET = `tls-secret-${process.pid}-0123456789abcdefghijklmnopqrstuv`;
let dir: string;
let gateway: GatewayProcess | undefined;
let csms: Csms | undefined;
let endpoint: string;
let apiBase: string;
let workerUrl: string;
/** The environment the file's gateway was started with. */
let env: NodeJS.ProcessEnv;
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, a server certificate for 127.0.0.1, and client certificates (openssl, into `dir`). */
async function makeCertificates(): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  for (const ca of ["ca", "other-ca"]) openssl("req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/O=Fleet/CN=${ca}`);
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  await writeFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  const issue = (name: string, subject: string, ca: string, ext: string) => {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${name}.pem`);
  };
  issue("server", "/CN=127.0.0.1", "ca", "server.ext");
  issue("cp", `/O=Fleet/CN=${CP}`, "ca", "client.ext");
  issue("cp-other-ca", `/O=Fleet/CN=${CP}`, "other-ca", "client.ext");
  issue("cp2", `/O=Fleet/CN=${OTHER_CP}`, "ca", "client.ext");
  // Expired: `openssl ca` is the one that takes explicit dates.
  await writeFile(
    join(dir, "ca.cnf"),
    ["[ca]", "default_ca=dflt", "[dflt]", "database=index.txt", "new_certs_dir=.", "serial=ca.srl", "default_md=sha256", "policy=any", "[any]", "commonName=supplied", ""].join("\n"),
  );
  await writeFile(join(dir, "index.txt"), "");
  openssl("req", ...ec, "-keyout", "cp-expired.key", "-out", "cp-expired.csr", "-subj", `/O=Fleet/CN=${CP}`);
  openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "cp-expired.csr", "-out", "cp-expired.pem", "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-notext");
  for (const name of ["ca", "cp", "cp-other-ca", "cp2", "cp-expired"]) {
    pem[name] = await readFile(join(dir, `${name}.pem`), "utf8");
    if (name !== "ca") pem[`${name}.key`] = await readFile(join(dir, `${name}.key`), "utf8");
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-tls-"));
  await makeCertificates();
  env = {
    ...process.env,
    MQTT_PORT: "0",
    MQTT_WS_PORT: "0",
    MQTT_CLIENT_ID_PREFIX: `e2e-tls-${process.pid}`,
    GATEWAY_STATE_DIR: join(dir, "state"),
    WRANGLER_LOG: "warn",
    TLS_CERT_FILE: join(dir, "server.pem"),
    TLS_KEY_FILE: join(dir, "server.key"),
    TLS_CLIENT_CA_FILE: join(dir, "ca.pem"),
    ADMIN_API_KEY: "tls-admin",
    ADMIN_API_SECRET: ADMIN_SECRET,
  };
  delete env.MQTT_URL;
  delete env.GATEWAY_CONFIG;
  delete env.CLIENT_CERT_PROXY_SECRET;
  gateway = await startGateway(env, 0);
  const port = gateway.port;
  endpoint = `wss://127.0.0.1:${port}/ocpp`;
  apiBase = `https://127.0.0.1:${port}/api/v5/gateways/ocpp`;
  // The TLS lines follow the "ready" line the start waits for.
  const workerLine = /the Worker \((http:\/\/127\.0\.0\.1:\d+)\) decides/;
  for (let i = 0; i < 50 && !workerLine.test(gateway.output()); i++) await new Promise((r) => setTimeout(r, 100));
  workerUrl = workerLine.exec(gateway.output())?.[1] ?? "";
  csms = await Csms.connect(`mqtt://127.0.0.1:${bannerPort(gateway.output(), "MQTT broker:")}`);
}, 150_000);

afterAll(async () => {
  await csms?.close();
  const code = await gateway?.stop();
  if (code !== undefined && code !== 0) throw new Error(`npm start stopped badly (${code}):\n${gateway?.output().slice(-2000)}`);
  await rm(dir, { recursive: true, force: true });
});

type Outcome = { readonly status: number; readonly body: Record<string, unknown> } | { readonly open: WebSocket };

/** A raw upgrade over TLS (trusting the test CA) with the given client certificate, if any. */
function attempt(url: string, cert?: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const tls = url.startsWith("wss:") ? { ca: pem.ca, ...(cert === undefined ? {} : { cert: pem[cert], key: pem[`${cert}.key`] }) } : {};
    const ws = new WebSocket(url, ["ocpp1.6"], { ...WS_CLIENT_OPTIONS, ...tls, headers });
    ws.once("open", () => resolve({ open: ws }));
    ws.once("unexpected-response", (req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        req.destroy();
      });
    });
    ws.once("error", (e) => reject(e));
  });
}

async function expectRefused(outcome: Promise<Outcome>, status: number, reason: string): Promise<void> {
  const o = await outcome;
  if ("open" in o) {
    o.open.close();
    throw new Error("the upgrade was accepted");
  }
  expect(o).toEqual({ status, body: expect.objectContaining({ reason }) });
}

/** A management API call over https through the front; resolves with the status. */
function api(path: string, method: string, body: unknown): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = httpsRequest(`${apiBase}${path}`, {
      method,
      ca: pem.ca,
      headers: { Authorization: `Basic ${Buffer.from(`tls-admin:${ADMIN_SECRET}`).toString("base64")}`, "Content-Type": "application/json" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("npm start with TLS_CERT, TLS_KEY and TLS_CLIENT_CA", () => {
  it("a charge point with its certificate connects over wss:// and relays both ways", async () => {
    const options = { endpoint, identity: CP, protocols: ["ocpp1.6"], strictMode: false, reconnect: false, wsOpts: { ...WS_CLIENT_OPTIONS, ca: pem.ca, cert: pem.cp, key: pem["cp.key"] } };
    const client = new RPCClient(options as unknown as ConstructorParameters<typeof RPCClient>[0]);
    await client.connect();
    try {
      const answer = client.call("BootNotification", { chargePointVendor: "v", chargePointModel: "m" });
      const call = await csms!.on(`ocpp/cp/${CP}`);
      expect(call.body).toMatchObject({ MessageTypeId: 2, Action: "BootNotification" });
      const reply = { status: "Accepted", currentTime: new Date().toISOString(), interval: 300 };
      await csms!.publish(`ocpp/cs/${CP}`, { MessageTypeId: 3, UniqueId: call.body.UniqueId, Action: "BootNotification", Payload: reply });
      expect(await answer).toEqual(reply);
      // The connection keeps the certificate's identity (clients API over https, through the same front).
      const connected = await csms!.on(`ocpp/events/${CP}`);
      expect(connected.body).toMatchObject({ event: "client.connected", client_certificate: { subject: `CN=${CP},O=Fleet`, issuer: "CN=ca,O=Fleet" } });
    } finally {
      await client.close({ code: 1000 });
    }
  });

  it("no certificate → 401 client_certificate_required", async () => {
    await expectRefused(attempt(`${endpoint}/${CP}`), 401, "client_certificate_required");
  });

  it("a certificate of another CA → 401 client_certificate_not_verified", async () => {
    await expectRefused(attempt(`${endpoint}/${CP}`, "cp-other-ca"), 401, "client_certificate_not_verified");
  });

  it("an expired certificate → 401 client_certificate_expired", async () => {
    await expectRefused(attempt(`${endpoint}/${CP}`, "cp-expired"), 401, "client_certificate_expired");
  });

  it("another charge point's certificate → 403 client_certificate_id_mismatch", async () => {
    await expectRefused(attempt(`${endpoint}/${CP}`, "cp2"), 403, "client_certificate_id_mismatch");
  });

  it("certificate headers sent by the charge point are ignored", async () => {
    // A forged RFC 9440 header naming CP, with a guessed proxy secret: through the front…
    const der = pem.cp!.replace(/-----[^-]+-----|\s/g, "");
    const forged = { "Client-Cert": `:${der}:`, "Client-Cert-Verify": "SUCCESS", "Client-Cert-Proxy-Secret": "x".repeat(43) };
    await expectRefused(attempt(`${endpoint}/${CP}`, undefined, forged), 401, "client_certificate_required");
    await expectRefused(attempt(`${endpoint}/${CP}`, "cp2", forged), 403, "client_certificate_id_mismatch");
    // …and straight to the Worker's internal port, past the front.
    expect(workerUrl).toMatch(/^http:/);
    await expectRefused(attempt(`${workerUrl.replace("http:", "ws:")}/ocpp/${CP}`, undefined, forged), 401, "client_certificate_required");
  });

  it("with source cloudflare, a client's MF-CF-Blob is not request.cf: a forged tlsClientAuth is no certificate", async () => {
    const tlsClientAuth = { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certSubjectDNRFC2253: `CN=${CP},O=Fleet`, certIssuerDNRFC2253: "CN=ca,O=Fleet" };
    const forged = { "MF-CF-Blob": JSON.stringify({ tlsClientAuth }) };
    expect(await api("", "PUT", { client_certificate: { mode: "required", source: "cloudflare" } })).toBe(204);
    try {
      await expectRefused(attempt(`${endpoint}/${CP}`, undefined, forged), 401, "client_certificate_required");
      // A real certificate of another charge point does not help either: with this source only request.cf counts.
      await expectRefused(attempt(`${endpoint}/${CP}`, "cp2", forged), 401, "client_certificate_required");
    } finally {
      expect(await api("", "PUT", { client_certificate: { mode: "required", source: "header" } })).toBe(204);
    }
  });

  it("a GATEWAY_CONFIG that reads the certificate from other headers is refused at start (the front sends Client-Cert)", async () => {
    const config = { client_certificate: { mode: "required", source: "header", header: "X-SSL-Client-Cert", verify_header: "X-SSL-Client-Verify" } };
    const start = spawnUntilReady(process.execPath, ["scripts/start.mjs"], { env: { ...env, PORT: "0", GATEWAY_CONFIG: JSON.stringify(config) } });
    await expect(start).rejects.toThrow(/exited \(1\)[\s\S]*client_certificate must keep the headers the front sends: Client-Cert and Client-Cert-Verify/);
  });

  // Profile 2 through the same front: TLS, and the password instead of a certificate (last: it changes the config).
  it("with mode optional and an authenticator, a charge point without a certificate logs in with its password", async () => {
    expect(await api("", "PUT", { client_certificate: { mode: "optional", source: "header" } })).toBe(204);
    expect(await api("/authentication", "POST", { backend: "built_in_database", mechanism: "password_based" })).toBe(201);
    expect(await api("/authentication/users", "POST", { user_id: OTHER_CP, password: "a-sixteen-char-pw" })).toBe(201);
    const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`${OTHER_CP}:${password}`).toString("base64")}` });
    await expectRefused(attempt(`${endpoint}/${OTHER_CP}`, undefined, basic("wrong-password-xx")), 401, "bad_username_or_password");
    const outcome = await attempt(`${endpoint}/${OTHER_CP}`, undefined, basic("a-sixteen-char-pw"));
    expect("open" in outcome).toBe(true);
    if ("open" in outcome) outcome.open.close();
    // A certificate that passes still needs no password.
    const withCert = await attempt(`${endpoint}/${OTHER_CP}`, "cp2");
    expect("open" in withCert).toBe(true);
    if ("open" in withCert) withCert.open.close();
  });
});
