// Which byte stream the shards' broker link runs over, by the broker URL's scheme (src/link/transport.ts), and the
// TCP address an mqtt:// or mqtts:// URL names (src/link/tcp-transport.ts).
import { describe, expect, it } from "vitest";
import { tcpAddress } from "../../src/link/tcp-transport";
import { openTransport, transportOf } from "../../src/link/transport";

describe("transportOf", () => {
  it.each([
    ["mqtt://broker.example.com", { kind: "tcp", tls: false }],
    ["tcp://broker.example.com:1883", { kind: "tcp", tls: false }],
    ["mqtts://broker.example.com", { kind: "tcp", tls: true }],
    ["ssl://broker.example.com:8883", { kind: "tcp", tls: true }],
    ["tls://broker.example.com:8883", { kind: "tcp", tls: true }],
    ["ws://broker.example.com:8083/mqtt", { kind: "websocket", tls: false }],
    ["wss://broker.example.com/mqtt", { kind: "websocket", tls: true }],
    ["MQTTS://Broker.Example.com", { kind: "tcp", tls: true }],
    ["WSS://broker.example.com/mqtt", { kind: "websocket", tls: true }],
  ])("%s → %j", (url, expected) => {
    expect(transportOf(url)).toEqual(expected);
  });

  it.each(["http://broker.example.com", "https://broker.example.com", "broker.example.com:1883", "mqtt:broker", "", "amqp://broker"])(
    "%j is no transport the link speaks",
    (url) => {
      expect(transportOf(url)).toBeUndefined();
    },
  );

  it("openTransport refuses such a URL with a message naming the schemes, before opening anything", () => {
    const handlers = { open() {}, bytes() {}, end() {} };
    expect(() => openTransport("https://broker.example.com/mqtt", "test", handlers)).toThrow(/MQTT_URL must be mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ \(got 'https:\/\/broker\.example\.com\/mqtt'\)/);
  });
});

describe("tcpAddress", () => {
  it("takes the URL's host and port; IANA's 1883 and 8883 when none is given", () => {
    expect(tcpAddress("mqtt://broker.example.com", false)).toEqual({ hostname: "broker.example.com", port: 1883 });
    expect(tcpAddress("mqtts://broker.example.com", true)).toEqual({ hostname: "broker.example.com", port: 8883 });
    expect(tcpAddress("mqtt://127.0.0.1:21883", false)).toEqual({ hostname: "127.0.0.1", port: 21883 });
    expect(tcpAddress("mqtts://[2001:db8::1]:8884", true)).toEqual({ hostname: "2001:db8::1", port: 8884 });
  });
});
