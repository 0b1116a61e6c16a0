// The embedded broker `npm start` runs (scripts/broker.mjs), seen by a raw MQTT-over-WebSocket client: it ends a
// connection with the WebSocket closing handshake, so the gateway's broker links (and workerd) see a clean close.
import mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startBroker, type StartedBroker } from "../../scripts/broker.mjs";

let broker: StartedBroker;
beforeAll(async () => {
  broker = await startBroker({ tcpPort: 0, wsPort: 0 });
});
afterAll(async () => {
  await broker?.close();
});

async function connected(clientId: string): Promise<WebSocket> {
  const ws = new WebSocket(broker.wsUrl, "mqtt");
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const connack = new Promise((resolve) => ws.once("message", resolve));
  ws.send(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId, clean: true, keepalive: 60 }));
  await connack;
  return ws;
}

const closeCode = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once("close", (code) => resolve(code)));

describe("embedded broker over WebSocket", () => {
  it("after a client's DISCONNECT it closes the WebSocket with a Close frame (1000), not by dropping TCP (1006)", async () => {
    const ws = await connected(`disconnect-${process.pid}`);
    const closed = closeCode(ws);
    ws.send(mqttPacket.generate({ cmd: "disconnect" }));
    expect(await closed).toBe(1000);
  });

  it("a client taken over by a newer one with the same id gets a Close frame too", async () => {
    const older = await connected(`takeover-${process.pid}`);
    const closed = closeCode(older);
    const newer = await connected(`takeover-${process.pid}`);
    expect(await closed).toBe(1000);
    newer.close(1000);
  });
});
