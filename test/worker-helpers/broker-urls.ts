/**
 * Where the tests' own MQTT clients reach the test broker (vitest.config.ts binds both; the gateway's MQTT_URL is the
 * TCP one). Read through here so the Worker's generated Env type does not carry test-only bindings.
 */
import { env } from "cloudflare:test";

interface TestBindings {
  readonly TEST_MQTT_WS_URL: string;
  readonly TEST_MQTT_TCP_URL: string;
}

const bindings = env as unknown as TestBindings;

/** MQTT over WebSocket (what MqttProbe speaks). */
export const brokerWsUrl: string = bindings.TEST_MQTT_WS_URL;
/** MQTT over TCP (what the gateway's shards use here). */
export const brokerTcpUrl: string = bindings.TEST_MQTT_TCP_URL;
