/**
 * `GET /gateways/ocpp/broker`: the state of every BrokerLink (connected, waiting, the last error — a broker that
 * refuses the gateway's credentials shows here, and is retried once a minute, not in a loop).
 * `POST /gateways/ocpp/broker/restart`: drops and re-opens every link's connection; `?reset=true` also resets the
 * link objects, as a redeploy does.
 */
import { Hono } from "hono";
import { errorMessage } from "../../log";
import { allBrokerLinks } from "../../objects/links";

export const brokerApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const data = await Promise.all(
      allBrokerLinks(c.env).map(async ({ shard, stub }) => {
        try {
          return { ...(await stub.status()), shard };
        } catch (e) {
          return { shard, state: "unknown", lastError: { at: Date.now(), message: errorMessage(e) } };
        }
      }),
    );
    return c.json({ url: c.env.MQTT_URL || null, links: data });
  })
  .post("/restart", async (c) => {
    const reset = c.req.query("reset") === "true";
    await Promise.all(allBrokerLinks(c.env).map(({ shard, stub }) => stub.restart(shard, reset).catch(() => undefined)));
    return c.body(null, 204);
  });
