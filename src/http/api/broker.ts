/**
 * `GET /gateways/ocpp/broker`: the broker link of every shard in use (connected, waiting, the last error — a broker
 * that refuses the gateway's credentials shows here, and is retried once a minute, not in a loop).
 * `POST /gateways/ocpp/broker/restart`: every shard's link drops its connection and reconnects at once;
 * `?reset=true` also makes it forget its in-memory state (attempt count, refusals), as a restart of its object
 * would, without dropping the charge points' connections.
 */
import { Hono } from "hono";
import { loadGatewayConfig } from "../../config/store";
import { everyShard } from "../shards";

export const brokerApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const config = await loadGatewayConfig(c.env);
    const answers = await everyShard(c.env, config, (stub, name) => stub.status(name));
    // Shards that hold nothing and never connected (a region without chargers) are left out.
    const links = answers
      .filter((a) => a.result === undefined || a.result.state !== "idle" || a.result.subscriptions > 0 || a.result.attached > 0)
      .map((a) => a.result ?? { shard: a.shard, state: "unknown", lastError: { at: Date.now(), message: a.error ?? "" } });
    return c.json({ url: c.env.MQTT_URL || null, links });
  })
  .post("/restart", async (c) => {
    const reset = c.req.query("reset") === "true";
    const config = await loadGatewayConfig(c.env);
    await everyShard(c.env, config, (stub, name) => stub.restartLink(name, reset));
    return c.body(null, 204);
  });
