// Runs in workerd before each test file. Each file gets fresh Durable Object storage, but the broker outlives
// files, and every shard connects with a fixed client id and a persistent session (src/shard/broker.ts): the
// session a shard of the previous file left (its filters, messages queued for it) would be resumed by this file's
// shard of the same name, which knows nothing of it. A clean-session connect with each of those client ids
// discards them (MQTT 3.1.1 §3.1.2.4), so every file starts as a first deployment does.
import { env } from "cloudflare:test";
import { DEFAULT_CONFIG } from "../../src/config/gateway-config";
import { clientIdPrefix } from "../../src/shard/broker";
import { MqttProbe } from "../worker-helpers/mqtt-probe";

/** Shard indexes the tests use in any region (shards.per_region up to this). */
const INDEXES = 4;

const regions = [...new Set(Object.values(DEFAULT_CONFIG.shards.regions))];
const clientIds = regions.flatMap((region) => Array.from({ length: INDEXES }, (_, i) => `${clientIdPrefix(env)}-${region}-${i}`));
await Promise.all(clientIds.map(async (id) => (await MqttProbe.connect(undefined, id)).close()));
