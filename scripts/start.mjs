#!/usr/bin/env node
// `npm start`: the gateway on this machine.
//  1. compiles the schemas (schemas/build.mjs);
//  2. starts the embedded MQTT broker (aedes: mqtt://127.0.0.1:1883 and ws://127.0.0.1:8083/mqtt) unless MQTT_URL
//     is set;
//  3. serves 127.0.0.1:$PORT (default 33033; 0 picks a free port) with the front (scripts/front.mjs), which does
//     what Cloudflare's edge does in front of the deployed Worker (edge-only request headers, /cdn-cgi/, the
//     runtime's message limit);
//  4. runs `wrangler dev` behind it on an internal loopback port, offline (no telemetry, no update check, no local
//     explorer), with MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, ADMIN_API_KEY, ADMIN_API_SECRET (and the other Worker
//     variables) taken from the environment, which wins over .dev.vars, which wins over wrangler.toml;
//  5. prints where everything listens, and stops every child on Ctrl-C, SIGTERM or SIGHUP, or when `npm start`
//     itself is terminated.
// Other knobs: MQTT_PORT, MQTT_WS_PORT (embedded broker ports), GATEWAY_STATE_DIR (where local Durable Object and
// KV state is kept; default .wrangler/state), WRANGLER_LOG (wrangler's log level, default "info").
// TLS (scripts/tls-front.mjs): TLS_CERT_FILE and TLS_KEY_FILE (or TLS_CERT, TLS_KEY as PEM) make the front serve
// wss:// and https://; TLS_CLIENT_CA_FILE (or TLS_CLIENT_CA) also asks charge points for client certificates and
// hands them to the Worker.
// Broker TLS (scripts/broker-tls-client.mjs): with MQTT_URL wss://, MQTT_CLIENT_CERT_FILE and MQTT_CLIENT_KEY_FILE
// (or MQTT_CLIENT_CERT, MQTT_CLIENT_KEY as PEM) are the client certificate the broker links present, MQTT_CA_FILE
// (or MQTT_CA) the CA the broker's certificate is verified with; a local TLS client opens the broker connections.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBroker } from "./broker.mjs";
import { startFront } from "./front.mjs";
import { freePort } from "./ports.mjs";
import { OFFLINE, stopGroup, waitForHttp } from "./processes.mjs";
import { brokerTlsSettings, startBrokerTlsClient } from "./broker-tls-client.mjs";
import { tlsFront, tlsSettings, tlsWorkerVars } from "./tls-front.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
/** Worker variables that may come from the environment. */
const PASSED_VARS = [
  "MQTT_URL",
  "MQTT_USERNAME",
  "MQTT_PASSWORD",
  "MQTT_CLIENT_ID_PREFIX",
  "ADMIN_API_KEY",
  "ADMIN_API_SECRET",
  "GATEWAY_CONFIG",
  "CLIENT_CERT_PROXY_SECRET",
];

const say = (line) => process.stdout.write(`[start] ${line}\n`);

function portFrom(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got '${raw}'`);
  return n;
}

/** One KEY=value line in the dotenv syntax wrangler reads (single quotes keep the value literal). */
function dotenvLine(key, value) {
  if (!value.includes("'") && !value.includes("\n")) return `${key}='${value}'`;
  return `${key}=${JSON.stringify(value)}`;
}

/** Tries of a new internal port for `wrangler dev` when the one chosen was taken before wrangler bound it. */
const WRANGLER_PORT_TRIES = 5;

/**
 * `wrangler dev` on a free loopback port, once it answers. The port is probed and released, then bound by
 * wrangler seconds later; in between, an outgoing connection may take it (they draw from the same ephemeral range:
 * chargers reconnecting through the front after a restart). wrangler then says so and exits, and another port is
 * tried. (wrangler binds port 0 too, but prints the port it got only at log level info and above.)
 * `track` is told of each process, so that a stop during the start ends the right one.
 */
async function startWrangler(argsFor, env, track) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(HOST);
    const child = spawn(process.execPath, argsFor(port), { cwd: root, stdio: ["ignore", "inherit", "pipe"], env, detached: true });
    track(child);
    let tail = "";
    const stderrClosed = new Promise((resolve) => child.stderr.once("close", resolve));
    child.stderr.on("data", (chunk) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    try {
      await waitForHttp(`http://${HOST}:${port}/`, child, 120_000);
      return { child, port };
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) throw error;
      await Promise.race([stderrClosed, new Promise((r) => setTimeout(r, 2000))]);
      if (!tail.includes(`Address already in use (${HOST}:${port})`) || attempt === WRANGLER_PORT_TRIES) throw error;
      say(`port ${port} was taken before wrangler dev bound it; trying another`);
    }
  }
}

async function main() {
  const requestedPort = portFrom("PORT", 33033);
  const tls = tlsSettings(process.env);
  const tlsVars = tlsWorkerVars(tls, process.env.GATEWAY_CONFIG);
  const brokerTls = brokerTlsSettings(process.env);
  await import("../schemas/build.mjs");
  await import("./build-dashboard.mjs");

  let stopping = false;
  let front;
  let broker;
  let brokerClient;
  let wrangler;
  let secretsDir;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    await front?.close();
    if (wrangler !== undefined) await stopGroup(wrangler, 5000);
    await brokerClient?.close();
    await broker?.close();
    if (secretsDir !== undefined) await rm(secretsDir, { recursive: true, force: true });
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGHUP", () => void stop(0));
  // npm does not pass SIGTERM on to the script it runs: when `npm start` is
  // terminated, this process is re-parented, and that is the signal to stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      say("parent process exited; stopping");
      void stop(0);
    }
  }, 500).unref();

  // The front takes the gateway's port first: one that is taken fails the start at once. Until `wrangler dev` is
  // ready it answers 503.
  front = await startFront({ host: HOST, port: requestedPort, tls: tls === undefined ? undefined : tlsFront(tls) });
  const port = front.port;

  let mqttUrl = process.env.MQTT_URL;
  if (!mqttUrl) {
    broker = await startBroker({
      host: HOST,
      tcpPort: portFrom("MQTT_PORT", 1883),
      wsPort: portFrom("MQTT_WS_PORT", 8083),
      username: process.env.MQTT_USERNAME || undefined,
      password: process.env.MQTT_PASSWORD || undefined,
    });
    // The shards reach the broker over TCP (connect()): the faster transport (docs/benchmarks.md).
    mqttUrl = broker.tcpUrl;
  }
  // --- broker TLS client: the Worker reaches the broker through it
  brokerClient = brokerTls === undefined ? undefined : await startBrokerTlsClient({ host: HOST, settings: brokerTls });
  const workerMqttUrl = brokerClient?.url ?? mqttUrl;
  // --- end broker TLS client

  secretsDir = await mkdtemp(join(tmpdir(), "ocpp-gateway-"));
  const envFile = join(secretsDir, "worker.env");
  const values = { ...Object.fromEntries(PASSED_VARS.map((k) => [k, process.env[k]])), MQTT_URL: workerMqttUrl, ...tlsVars };
  const lines = Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => dotenvLine(k, v));
  await writeFile(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });

  const envFiles = [];
  if (existsSync(join(root, ".dev.vars"))) envFiles.push("--env-file", join(root, ".dev.vars"));
  envFiles.push("--env-file", envFile);
  const argsFor = (workerPort) => {
    const args = [
      join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
      "dev",
      "--ip",
      HOST,
      "--port",
      String(workerPort),
      // Port 0: the system picks the inspector's port when wrangler binds it, so no other process can take it first.
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      "--log-level",
      process.env.WRANGLER_LOG || "info",
      ...envFiles,
    ];
    if (process.env.GATEWAY_STATE_DIR) args.push("--persist-to", process.env.GATEWAY_STATE_DIR);
    return args;
  };

  let workerPort;
  try {
    ({ child: wrangler, port: workerPort } = await startWrangler(argsFor, { ...process.env, ...OFFLINE }, (child) => (wrangler = child)));
  } catch (error) {
    say(error.message);
    await stop(1);
    return;
  }
  const onExit = (code, signal) => {
    if (!stopping) {
      say(`wrangler exited (${signal ?? code}); stopping`);
      void stop(code === 0 ? 1 : code ?? 1);
    }
  };
  if (wrangler.exitCode !== null || wrangler.signalCode !== null) onExit(wrangler.exitCode, wrangler.signalCode);
  else wrangler.on("exit", onExit);
  front.setTarget(workerPort);

  const scheme = tls === undefined ? "" : "s";
  say("OCPP-J ⇄ MQTT gateway is ready");
  say(`  charge points:   ws${scheme}://${HOST}:${port}/ocpp/<charge point id>   (subprotocol ocpp2.1, ocpp2.0.1 or ocpp1.6)`);
  if (broker) say(`  MQTT broker:     ${broker.tcpUrl}  and  ${broker.wsUrl}   (embedded aedes)`);
  else say(`  MQTT broker:     ${mqttUrl}   (MQTT_URL)`);
  say(`  wrangler dev:    http://${HOST}:${workerPort}   (behind the front; for this machine only)`);
  // --- broker TLS client
  if (brokerClient !== undefined) {
    const cert = brokerTls.cert === undefined ? "no client certificate" : "client certificate MQTT_CLIENT_CERT";
    say(`  broker TLS:      ${cert}, ${brokerTls.ca === undefined ? "public CAs" : "broker verified with MQTT_CA"}; the links connect through ${brokerClient.url}`);
  }
  // --- end broker TLS client
  say("  topics:          ocpp/cp/<cid> calls · ocpp/cp/<cid>/Reply replies and errors · ocpp/cs/<cid> commands");
  // The Worker is the one that knows whether the API has credentials (environment, .dev.vars): it answers an
  // unauthenticated call with 503 when it has none or a secret too weak to use, and 401 when it has.
  const api = `http${scheme}://${HOST}:${port}/api/v5/gateways/ocpp`;
  const { status: apiStatus, reason: apiReason } = await fetch(`http://${HOST}:${workerPort}/api/v5/gateways/ocpp`, { signal: AbortSignal.timeout(5000) }).then(
    async (r) => ({ status: r.status, reason: ((await r.json().catch(() => ({}))) ?? {}).reason }),
    () => ({ status: 0, reason: undefined }),
  );
  if (apiStatus === 503 && apiReason === "admin_secret_too_weak") {
    say("  management API:  off; ADMIN_API_SECRET is too weak (at least 32 characters, 8 different; e.g. openssl rand -base64 32)");
  } else if (apiStatus === 503) say("  management API:  off; set ADMIN_API_KEY and ADMIN_API_SECRET (environment or .dev.vars) to turn it on");
  else say(`  management API:  ${api}   (HTTP Basic: ADMIN_API_KEY, ADMIN_API_SECRET)`);
  if (apiStatus !== 503) say(`  dashboard:       http${scheme}://${HOST}:${port}/dashboard/   (sign in with the same key and secret)`);
  // --- TLS front
  if (tls !== undefined) {
    say(`  TLS:             wss://${HOST}:${port}/ocpp/<charge point id> and https://${HOST}:${port}/api/v5 (TLS_CERT)`);
    say(
      tls.clientCa === undefined
        ? "  client certs:    not asked for (set TLS_CLIENT_CA for OCPP security profile 3)"
        : `  client certs:    asked for and verified against TLS_CLIENT_CA; the Worker (http://${HOST}:${workerPort}) decides`,
    );
  }
  // --- end TLS front
  const portEnv = port === 33033 ? "" : `PORT=${port} `;
  const csmsArgs = !broker ? ` -- --url ${mqttUrl}` : "";
  const csmsEnv = broker && broker.tcpPort !== 1883 ? `MQTT_PORT=${broker.tcpPort} ` : "";
  say(`Try it: \`${csmsEnv}npm run csms${csmsArgs}\` and \`${portEnv}npm run simulate -- CP1\` in two more terminals.`);
  say("Press Ctrl-C to stop.");
}

main().catch((error) => {
  process.stderr.write(`[start] ${error.stack ?? error}\n`);
  process.exit(1);
});
