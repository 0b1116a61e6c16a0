// End-to-end tests in Node: the gateway as `npm start` runs it (scripts/start.mjs → wrangler dev → workerd), a real
// broker over real sockets, ocpp-rpc's RPCClient as the charge point, MQTT.js as the CSMS, raw `ws` for bad input.
// E2E_BROKER=embedded (default: the aedes broker npm start runs) or mosquitto (Debian's, started here; the gateway
// then gets MQTT_URL and starts no broker of its own).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/support/gateway.global.ts"],
    // One gateway for all files, and some tests change its configuration through the management API.
    fileParallelism: false,
    testTimeout: 30_000,
    // The gateway logs a JSON line per event; show them only for tests that fail.
    silent: "passed-only",
    hookTimeout: 30_000,
  },
});
