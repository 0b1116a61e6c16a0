// `npm start`'s front (scripts/front.mjs) without TLS: what only Cloudflare's edge sets never comes from a client,
// `/cdn-cgi/` is not served, and a message over the runtime's 32 MiB limit ends its connection cleanly. This file
// starts its own gateway (with the defaults: client_certificate.source "cloudflare"), because it reads the
// gateway's output and changes its configuration.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WS_CLIENT_OPTIONS } from "./support/charge-point";
import { Csms } from "./support/csms";
import { bannerPort, startGateway, type GatewayProcess } from "./support/processes";
import { uncaughtLines } from "./support/uncaught";

/** Long and varied enough for any rule on ADMIN_API_SECRET. */
const ADMIN_SECRET = `front-secret-${process.pid}-0123456789abcdefghijklmnopqrstuv`;
const ADMIN = `Basic ${Buffer.from(`front-admin:${ADMIN_SECRET}`).toString("base64")}`;
/** Known to the test, so that it can play a client that knows it: the front must still drop its headers. */
const PROXY_SECRET = "front-test-proxy-secret-0123456789abcdef";
const MiB = 1024 * 1024;

let dir: string;
let gateway: GatewayProcess | undefined;
let csms: Csms | undefined;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocpp-gateway-front-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MQTT_PORT: "0",
    MQTT_WS_PORT: "0",
    MQTT_CLIENT_ID_PREFIX: `e2e-front-${process.pid}`,
    GATEWAY_STATE_DIR: join(dir, "state"),
    WRANGLER_LOG: "warn",
    ADMIN_API_KEY: "front-admin",
    ADMIN_API_SECRET: ADMIN_SECRET,
    CLIENT_CERT_PROXY_SECRET: PROXY_SECRET,
  };
  delete env.MQTT_URL;
  delete env.GATEWAY_CONFIG;
  gateway = await startGateway(env, 0);
  base = `127.0.0.1:${gateway.port}`;
  csms = await Csms.connect(`mqtt://127.0.0.1:${bannerPort(gateway.output(), "MQTT broker:")}`, "ocpp/events/#");
}, 150_000);

afterAll(async () => {
  await csms?.close();
  const code = await gateway?.stop();
  if (code !== undefined && code !== 0) throw new Error(`npm start stopped badly (${code}):\n${gateway?.output().slice(-2000)}`);
  await rm(dir, { recursive: true, force: true });
});

async function configure(body: unknown): Promise<void> {
  const res = await fetch(`http://${base}/api/v5/gateways/ocpp`, { method: "PUT", headers: { Authorization: ADMIN, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(204);
}

async function api(path: string, method: string, body?: unknown): Promise<Response> {
  return fetch(`http://${base}/api/v5/gateways/ocpp${path}`, {
    method,
    headers: { Authorization: ADMIN, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

type Outcome = { readonly status: number; readonly body: Record<string, unknown> } | { readonly open: WebSocket };

/** A raw upgrade with the given headers, from the given loopback source address. */
function attempt(cid: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}/ocpp/${cid}`, ["ocpp1.6"], { ...WS_CLIENT_OPTIONS, headers, ...(localAddress ? { localAddress } : {}) });
    ws.once("open", () => resolve({ open: ws }));
    ws.once("unexpected-response", (req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        req.destroy();
      });
    });
    ws.once("error", reject);
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

/** What Cloudflare's edge reports for a verified client certificate whose CN is `cid` (request.cf.tlsClientAuth). */
function forgedCfBlob(cid: string): Record<string, string> {
  const tlsClientAuth = {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certSubjectDNRFC2253: `CN=${cid}`,
    certIssuerDNRFC2253: "CN=Forged CA",
    certSerial: "01",
    certFingerprintSHA256: "00".repeat(32),
    certNotBefore: "Jan  1 00:00:00 2020 GMT",
    certNotAfter: "Jan  1 00:00:00 2099 GMT",
  };
  return { "MF-CF-Blob": JSON.stringify({ tlsClientAuth }) };
}

describe("npm start's front: what only the edge sets", () => {
  it("a client's MF-CF-Blob is not request.cf: a forged tlsClientAuth is no certificate (mode required)", async () => {
    await configure({ client_certificate: { mode: "required" } });
    try {
      await expectRefused(attempt("FRONT-CF1", forgedCfBlob("FRONT-CF1")), 401, "client_certificate_required");
      // Any other spelling of the header, and Miniflare's other headers, go the same way.
      await expectRefused(attempt("FRONT-CF1", { "mf-cf-blob": forgedCfBlob("FRONT-CF1")["MF-CF-Blob"] as string, "MF-Original-URL": `http://${base}/ocpp/FRONT-CF1` }), 401, "client_certificate_required");
    } finally {
      await configure({ client_certificate: { mode: "off" } });
    }
  });

  it("with mode optional, a forged certificate does not stand in for the password", async () => {
    await configure({ client_certificate: { mode: "optional" } });
    expect((await api("/authentication", "POST", { backend: "built_in_database", mechanism: "password_based" })).status).toBe(201);
    try {
      expect((await api("/authentication/users", "POST", { user_id: "FRONT-CF2", password: "front-password-16" })).status).toBe(201);
      await expectRefused(attempt("FRONT-CF2", forgedCfBlob("FRONT-CF2")), 401, "not_authorized");
      // The password still works.
      const basic = { Authorization: `Basic ${Buffer.from("FRONT-CF2:front-password-16").toString("base64")}` };
      const outcome = await attempt("FRONT-CF2", basic);
      expect("open" in outcome).toBe(true);
      if ("open" in outcome) outcome.open.close();
    } finally {
      expect((await api("/authentication", "DELETE")).status).toBe(204);
      await configure({ client_certificate: { mode: "off" } });
    }
  });

  it("Client-Cert headers a client sends never reach the Worker, even with the right proxy secret", async () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "cp.key", "-out", "cp.pem", "-days", "2", "-subj", "/CN=FRONT-HDR"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const der = (await readFile(join(dir, "cp.pem"), "utf8")).replace(/-----[^-]+-----|\s/g, "");
    await configure({ client_certificate: { mode: "required", source: "header" } });
    try {
      const forged = { "Client-Cert": `:${der}:`, "Client-Cert-Verify": "SUCCESS", "Client-Cert-Proxy-Secret": PROXY_SECRET };
      await expectRefused(attempt("FRONT-HDR", forged), 401, "client_certificate_required");
    } finally {
      await configure({ client_certificate: { mode: "off" } });
    }
  });

  it("CF-Connecting-IP is the connection's peer: a client's own is replaced, and each loopback address counts apart", async () => {
    const sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
    const sockets: WebSocket[] = [];
    try {
      for (const [i, source] of sources.entries()) {
        const outcome = await attempt(`FRONT-IP${i}`, { "CF-Connecting-IP": "203.0.113.9" }, source);
        if (!("open" in outcome)) throw new Error(`refused: ${JSON.stringify(outcome)}`);
        sockets.push(outcome.open);
      }
      const res = await api("/clients?limit=100", "GET");
      const { data } = (await res.json()) as { data: { clientid: string; ip_address: string | null }[] };
      const seen = Object.fromEntries(data.filter((c) => c.clientid.startsWith("FRONT-IP")).map((c) => [c.clientid, c.ip_address]));
      expect(seen).toEqual({ "FRONT-IP0": "127.0.0.2", "FRONT-IP1": "127.0.0.3", "FRONT-IP2": "127.0.0.4" });
    } finally {
      for (const ws of sockets) ws.close();
    }
  });

  it("/cdn-cgi/ is the edge's: not served (wrangler dev's local explorer would read and write the storage)", async () => {
    for (const path of ["/cdn-cgi/explorer/api/storage/kv/namespaces", "/x/../cdn-cgi/explorer/api", "/cdn-cgi/handler/scheduled"]) {
      const res = await fetch(`http://${base}${path}`);
      expect([path, res.status, await res.json()]).toEqual([path, 404, { code: "RESOURCE_NOT_FOUND", message: "no such resource" }]);
    }
  });
});

/** Sends one message of `size` bytes and resolves with the close the charge point gets. */
function sendAndClose(cid: string, size: number, how: "plain" | "compressed" | "fragmented"): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}/ocpp/${cid}`, ["ocpp1.6"], { ...WS_CLIENT_OPTIONS, perMessageDeflate: how === "compressed", maxPayload: 0 });
    ws.once("open", () => {
      const text = Buffer.alloc(size, 0x20);
      if (how === "fragmented") {
        ws.send(text.subarray(0, size / 2), { binary: false, fin: false });
        ws.send(text.subarray(size / 2), { binary: false, fin: true });
      } else {
        ws.send(text, { binary: false, compress: how === "compressed" });
      }
    });
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.once("error", reject);
  });
}

describe("npm start's front: the runtime's 32 MiB message limit", () => {
  const over = { code: 1009, reason: "frames are limited to 33554432 bytes (the runtime's WebSocket message limit)" };

  it.each([
    ["plain", "FRONT-BIG1"],
    ["compressed", "FRONT-BIG2"],
    ["fragmented", "FRONT-BIG3"],
  ] as const)("a 33 MiB message (%s) closes the connection with 1009 and a reason, and nothing is logged as uncaught", { timeout: 60_000 }, async (how, cid) => {
    expect(await sendAndClose(cid, 33 * MiB, how)).toEqual(over);
    // The object heard the close as the charge point's, and ended the session.
    const event = await csms!.next((e) => e.topic === `ocpp/events/${cid}` && e.body.event === "client.disconnected", 20_000);
    expect(event.body).toMatchObject({ clientid: cid, reason: "close_1009" });
    expect(gateway!.output()).not.toMatch(/Message is too large/);
    expect(uncaughtLines(gateway!.output())).toEqual([]);
  });

  it("a message of exactly 32 MiB still reaches the Worker, which refuses it over max_frame_size", { timeout: 60_000 }, async () => {
    expect(await sendAndClose("FRONT-BIG4", 32 * MiB, "plain")).toEqual({ code: 1009, reason: "frames are limited to 65536 bytes" });
  });
});
