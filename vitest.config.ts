// Unit and integration tests, run inside workerd by @cloudflare/vitest-pool-workers against the real Worker and
// Durable Objects (wrangler.toml), with a real MQTT broker (aedes, started by test/setup/broker.global.ts).
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/ports.mjs";

// @cloudflare/vitest-pool-workers 0.15.1 ends each test file by closing its control WebSocket to the runner and
// disposing the runtime at once; workerd then reports the runner's side as "disconnected: WebSocket peer
// disconnected" (0 or 1 line per file, at random, even for files that open no socket). Later pool releases drop
// that line along with their other teardown messages (cloudflare/workers-sdk#13833) but need Node 22; until the
// pin moves, exactly that line is dropped here.
const POOL_TEARDOWN = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n$/;
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === "string" && POOL_TEARDOWN.test(chunk) ? true : writeStdout(chunk, ...rest)) as typeof process.stdout.write;

// The broker's ports are fixed here so the Worker's bindings can name them; globalSetup binds them. The gateway's
// shards reach the broker over TCP (MQTT_URL mqtt://, through connect()); the tests' own MQTT clients (the CSMS
// probe in test/worker-helpers) speak MQTT over WebSocket (TEST_MQTT_WS_URL). The end-to-end suite runs the
// gateway over WebSocket, and test/integration/mqtt-link.test.ts runs the link over both here.
process.env.TEST_BROKER_WS_PORT ??= String(await freePort());
process.env.TEST_BROKER_TCP_PORT ??= String(await freePort());
const mqttTcpUrl = `mqtt://127.0.0.1:${process.env.TEST_BROKER_TCP_PORT}`;
const mqttWsUrl = `ws://127.0.0.1:${process.env.TEST_BROKER_WS_PORT}/mqtt`;

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          MQTT_URL: mqttTcpUrl,
          // Test-only: where the tests' MQTT clients reach the same broker (test/worker-helpers/broker-urls.ts).
          TEST_MQTT_WS_URL: mqttWsUrl,
          TEST_MQTT_TCP_URL: mqttTcpUrl,
          MQTT_CLIENT_ID_PREFIX: `gateway-test-${process.pid}`,
          ADMIN_API_KEY: "test-key",
          ADMIN_API_SECRET: "test-secret-0123456789abcdefghijkl",
          // The TLS proxy's secret for client_certificate.source "header" (test/integration/client-certificate.test.ts).
          CLIENT_CERT_PROXY_SECRET: "test-proxy-secret-0123456789abcdef",
        },
      },
    }),
  ],
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    globalSetup: ["test/setup/broker.global.ts"],
    setupFiles: ["test/worker-helpers/console-buffer.ts", "test/worker-helpers/broker-sessions.ts"],
    // Each test file runs in its own isolate with its own GatewayShard objects; shards connect with one fixed MQTT
    // client id each (the production design), so two files at once would take that id from each other.
    fileParallelism: false,
    testTimeout: 30_000,
    // The gateway logs a JSON line per event; show them only for tests that fail.
    silent: "passed-only",
    deps: { optimizer: { ssr: { enabled: true, include: ["mqtt-packet"] } } },
  },
});
