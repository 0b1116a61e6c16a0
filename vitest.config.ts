// Unit and integration tests, run inside workerd by @cloudflare/vitest-pool-workers against the real Worker and
// Durable Objects (wrangler.toml), with a real MQTT broker (aedes, started by test/setup/broker.global.ts).
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/ports.mjs";

// The broker's WebSocket port is fixed here so the Worker's MQTT_URL binding can name it; globalSetup binds it.
process.env.TEST_BROKER_WS_PORT ??= String(await freePort());
const mqttUrl = `ws://127.0.0.1:${process.env.TEST_BROKER_WS_PORT}/mqtt`;

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          MQTT_URL: mqttUrl,
          MQTT_CLIENT_ID_PREFIX: `gateway-test-${process.pid}`,
          ADMIN_API_KEY: "test-key",
          ADMIN_API_SECRET: "test-secret",
        },
      },
    }),
  ],
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    globalSetup: ["test/setup/broker.global.ts"],
    // Each test file runs in its own isolate with its own BrokerLink objects; links connect with one fixed MQTT
    // client id per shard (the production design), so two files at once would take that id from each other.
    fileParallelism: false,
    testTimeout: 30_000,
    // The gateway logs a JSON line per event; show them only for tests that fail.
    silent: "passed-only",
    deps: { optimizer: { ssr: { enabled: true, include: ["mqtt-packet"] } } },
  },
});
