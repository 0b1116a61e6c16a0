// The Prometheus endpoint through the real Worker and the gateway shard that holds the charge points (figures and
// broker link), asked by the Worker like every shard of the configuration.
import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChargePointSocket } from "../worker-helpers/charge-point-socket";
import { MqttProbe, type Received } from "../worker-helpers/mqtt-probe";

const AUTH = `Basic ${btoa("test-key:test-secret-0123456789abcdefghijkl")}`;
let csms: MqttProbe;

async function scrape(auth: string | null = AUTH): Promise<Response> {
  return SELF.fetch("http://gateway/api/v5/gateways/ocpp/metrics", { headers: auth === null ? {} : { Authorization: auth } });
}

/** The value of one sample, by name and labels as written. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  csms = await MqttProbe.connect();
  await csms.subscribe("ocpp/#");
});

afterAll(() => csms.close());

describe("GET /gateways/ocpp/metrics", () => {
  it("needs the API's credentials", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape(`Basic ${btoa("test-key:wrong")}`)).status).toBe(401);
  });

  it("connections by version, frames, validation failures, the gateway's CALLERRORs and link state", async () => {
    const a = await ChargePointSocket.open("m-a", "ocpp1.6");
    const b = await ChargePointSocket.open("m-b", "ocpp2.0.1");
    a.send([2, "m-hb", "Heartbeat", {}]);
    await csms.next((m: Received) => m.topic === "ocpp/cp/m-a" && m.json().UniqueId === "m-hb");
    // Invalid: the gateway answers with a CALLERROR of its own.
    a.send([2, "m-bad", "Heartbeat", { unexpected: 1 }]);
    expect((await a.nextFrame()).slice(0, 2)).toEqual([4, "m-bad"]);

    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toContain("# TYPE ocpp_gateway_connections gauge");
    expect(sample(text, 'ocpp_gateway_connections{version="1.6"}')).toBe(1);
    expect(sample(text, 'ocpp_gateway_connections{version="2.0.1"}')).toBe(1);
    expect(sample(text, 'ocpp_gateway_connections{version="2.1"}')).toBe(0);
    expect(sample(text, "ocpp_gateway_connections_sampled")).toBe(2);
    expect(sample(text, "ocpp_gateway_frames_received")).toBe(2);
    expect(sample(text, "ocpp_gateway_frames_sent")).toBe(1);
    expect(sample(text, "ocpp_gateway_validation_failures")).toBe(1);
    expect(sample(text, "ocpp_gateway_callerrors_sent")).toBe(1);
    expect(sample(text, "ocpp_gateway_outbox_depth")).toBe(0);
    expect(sample(text, "ocpp_gateway_enabled")).toBe(1);
    expect(sample(text, 'ocpp_gateway_broker_link_up{shard="enam/0"}')).toBe(1);
    expect(sample(text, 'ocpp_gateway_broker_link_state{shard="enam/0",state="connected"}')).toBe(1);
    expect(sample(text, 'ocpp_gateway_broker_link_published{shard="enam/0"}')).toBeGreaterThanOrEqual(3);
    // Every shard of the configuration answered.
    expect(sample(text, "ocpp_gateway_shards_unanswered")).toBe(0);
    // Every line is a comment or `name{labels} number`.
    for (const line of text.trimEnd().split("\n")) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?\d+(\.\d+)?)$/);
    a.close();
    b.close();
    await Promise.all([a.whenClosed(), b.whenClosed()]);
    // The objects have finished with the closes (event published) before the file ends and its runtime goes.
    for (const cid of ["m-a", "m-b"]) await csms.next((m: Received) => m.topic === `ocpp/events/${cid}` && m.json().event === "client.disconnected");
  });
});
