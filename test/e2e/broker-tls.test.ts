// The broker links presenting a client certificate to a broker that requires one: Debian's mosquitto with a TLS
// WebSocket listener (`require_certificate true`) and a plain MQTT listener for the CSMS, a CA and certificates made
// here with openssl, and the gateway started as `npm start` does with MQTT_URL wss://, MQTT_CLIENT_CERT_FILE,
// MQTT_CLIENT_KEY_FILE and MQTT_CA_FILE (scripts/broker-tls-client.mjs). A charge point's call reaches the CSMS and
// the CSMS's command comes back; without the client certificate the broker refuses the link and the management API
// shows why. This file starts its own mosquitto and gateways (the shared gateway runs without broker TLS).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChargePoint } from "./support/charge-point";
import { Csms } from "./support/csms";
import { exited, freePort, isListening, startGateway, type GatewayProcess } from "./support/processes";

const CP = "BROKER-TLS-CP1";
const ADMIN = { key: "broker-tls-admin", secret: `broker-tls-secret-${process.pid}-0123456789abcdefghijklmnopqrstuv` };

let dir: string;
let mosquitto: ChildProcess | undefined;
let mosquittoLog = "";
let tcpPort: number;
let tlsWsPort: number;
const gateways: GatewayProcess[] = [];

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, mosquitto's server certificate for 127.0.0.1 and the gateway's client certificate (openssl, into `dir`). */
async function makeCertificates(): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/O=Broker/CN=broker-ca");
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  await writeFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  const issue = (name: string, subject: string, ext: string) => {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${name}.pem`);
  };
  issue("broker", "/CN=127.0.0.1", "server.ext");
  issue("gateway", "/O=Broker/CN=ocpp-gateway", "client.ext");
}

async function startMosquittoTls(): Promise<void> {
  [tcpPort, tlsWsPort] = [await freePort(), await freePort()];
  const conf = join(dir, "mosquitto.conf");
  await writeFile(
    conf,
    [
      // Run as whoever runs the tests: started as root, mosquitto would switch to its own user, which cannot read
      // the keys in this test's private directory.
      `user ${userInfo().username}`,
      "persistence false",
      "allow_anonymous true",
      `listener ${tcpPort} 127.0.0.1`,
      "socket_domain ipv4",
      `listener ${tlsWsPort} 127.0.0.1`,
      "socket_domain ipv4",
      "protocol websockets",
      `cafile ${join(dir, "ca.pem")}`,
      `certfile ${join(dir, "broker.pem")}`,
      `keyfile ${join(dir, "broker.key")}`,
      "require_certificate true",
      "",
    ].join("\n"),
  );
  mosquitto = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  mosquitto.stderr?.on("data", (c: Buffer) => (mosquittoLog += c.toString()));
  for (let i = 0; i < 100 && !((await isListening(tcpPort)) && (await isListening(tlsWsPort))); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await isListening(tlsWsPort))) throw new Error(`mosquitto did not open its TLS WebSocket listener:\n${mosquittoLog}`);
}

/** `npm start` against the TLS listener, with the given broker TLS variables. */
async function gateway(name: string, tls: Record<string, string>): Promise<GatewayProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MQTT_URL: `wss://127.0.0.1:${tlsWsPort}`,
    MQTT_CLIENT_ID_PREFIX: `e2e-broker-tls-${name}-${process.pid}`,
    GATEWAY_STATE_DIR: join(dir, `state-${name}`),
    WRANGLER_LOG: "warn",
    ADMIN_API_KEY: ADMIN.key,
    ADMIN_API_SECRET: ADMIN.secret,
    ...tls,
  };
  for (const k of ["GATEWAY_CONFIG", "MQTT_USERNAME", "MQTT_PASSWORD", "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CLIENT_CA_FILE", "MQTT_CLIENT_CERT", "MQTT_CLIENT_KEY", "MQTT_CA"]) {
    if (!(k in tls)) delete env[k];
  }
  const started = await startGateway(env, await freePort());
  gateways.push(started);
  return started;
}

async function brokerStatus(g: GatewayProcess): Promise<{ state: string; lastError?: { message: string } }[]> {
  const res = await fetch(`http://127.0.0.1:${g.port}/api/v5/gateways/ocpp/broker`, {
    headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.key}:${ADMIN.secret}`).toString("base64")}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { links: { state: string; lastError?: { message: string } }[] };
  return body.links;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-broker-tls-"));
  await makeCertificates();
  await startMosquittoTls();
}, 30_000);

afterAll(async () => {
  const codes = await Promise.all(gateways.map((g) => g.stop()));
  mosquitto?.kill("SIGTERM");
  if (mosquitto) await exited(mosquitto);
  await rm(dir, { recursive: true, force: true });
  const bad = codes.find((c) => c !== 0);
  if (bad !== undefined) throw new Error(`npm start stopped badly (${bad})`);
});

describe("broker links with a client certificate (MQTT_CLIENT_CERT) to mosquitto over wss:// with require_certificate", () => {
  it("a charge point's call reaches the CSMS through the broker, and the CSMS's command comes back", async () => {
    const g = await gateway("cert", {
      MQTT_CLIENT_CERT_FILE: join(dir, "gateway.pem"),
      MQTT_CLIENT_KEY_FILE: join(dir, "gateway.key"),
      MQTT_CA_FILE: join(dir, "ca.pem"),
    });
    // The banner's lines follow the "ready" line the start waits for.
    const banner = /broker TLS: +client certificate MQTT_CLIENT_CERT, broker verified with MQTT_CA; the links connect through ws:\/\/127\.0\.0\.1:\d+\/\n/;
    for (let i = 0; i < 50 && !banner.test(g.output()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(g.output()).toMatch(banner);
    const csms = await Csms.connect(`mqtt://127.0.0.1:${tcpPort}`);
    const { client: charger } = await connectChargePoint(`ws://127.0.0.1:${g.port}/ocpp`, CP);
    try {
      const answer = charger.call("BootNotification", { chargePointVendor: "v", chargePointModel: "m" });
      const call = await csms.on(`ocpp/cp/${CP}`);
      expect(call.body).toMatchObject({ MessageTypeId: 2, Action: "BootNotification" });
      const reply = { status: "Accepted", currentTime: new Date().toISOString(), interval: 300 };
      await csms.publish(`ocpp/cs/${CP}`, { MessageTypeId: 3, UniqueId: call.body.UniqueId, Action: "BootNotification", Payload: reply });
      expect(await answer).toEqual(reply);

      // A command from the CSMS over the same links.
      const commanded = new Promise<unknown>((resolve) => charger.handle("TriggerMessage", async ({ params }: { params?: unknown }) => (resolve(params), { status: "Accepted" })));
      await csms.publish(`ocpp/cs/${CP}`, { MessageTypeId: 2, UniqueId: "broker-tls-1", Action: "TriggerMessage", Payload: { requestedMessage: "Heartbeat" } });
      expect(await commanded).toEqual({ requestedMessage: "Heartbeat" });
      const result = await csms.on(`ocpp/cp/${CP}/Reply`, "broker-tls-1");
      expect(result.body).toMatchObject({ MessageTypeId: 3, Payload: { status: "Accepted" } });
      expect((await brokerStatus(g)).every((l) => l.state === "connected")).toBe(true);
    } finally {
      await charger.close({ code: 1000 });
      await csms.close();
    }
  });

  it("without the client certificate the broker refuses the link, and GET /broker says why", async () => {
    const g = await gateway("no-cert", { MQTT_CA_FILE: join(dir, "ca.pem") });
    // A charge point connecting puts the link to work.
    const charger = await connectChargePoint(`ws://127.0.0.1:${g.port}/ocpp`, CP).catch(() => undefined);
    await charger?.client.close({ code: 1000 });
    let links = await brokerStatus(g);
    for (let i = 0; i < 100 && links.every((l) => l.lastError === undefined); i++) {
      await new Promise((r) => setTimeout(r, 100));
      links = await brokerStatus(g);
    }
    expect(links[0]).toMatchObject({
      state: expect.stringMatching(/^(waiting|connecting)$/),
      lastError: { message: expect.stringMatching(/HTTP 502 \(TLS connection to 127\.0\.0\.1:\d+ failed: .*certificate required/) },
    });
  });
});
