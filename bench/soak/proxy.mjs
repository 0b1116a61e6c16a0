// The network between the gateway and the broker, as a TCP proxy the soak can break in two ways:
// - cut: every connection is reset and new ones are refused (a link that drops: RST, "connection refused");
// - blackhole: nothing passes either way and nothing is closed (a route that vanished): bytes wait in the sockets'
//   buffers, new connections are held unanswered; when it heals they flow on, as TCP does after a partition,
//   unless an end gave up first (the gateway's keepalive or PUBACK timeout). What an end wrote before it gave up
//   still arrives, as TCP would retransmit it: a CONNECT the gateway abandoned reaches the broker after the heal.
import net from "node:net";

export class FaultProxy {
  #server;
  #pairs = new Set();
  #held = [];
  #state = "open";
  port = 0;

  constructor(targetPort, host = "127.0.0.1") {
    this.targetPort = targetPort;
    this.host = host;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  async start() {
    await new Promise((resolve) => this.#server.listen(0, this.host, resolve));
    this.port = this.#server.address().port;
    return this.port;
  }

  get state() {
    return this.#state;
  }

  #accept(client) {
    client.on("error", () => undefined);
    if (this.#state === "cut") return client.resetAndDestroy();
    if (this.#state === "blackhole") {
      client.pause();
      this.#held.push(client);
      client.on("close", () => (this.#held = this.#held.filter((c) => c !== client)));
      return;
    }
    this.#pipe(client);
  }

  #pipe(client) {
    const upstream = net.connect(this.targetPort, this.host);
    upstream.on("error", () => undefined);
    // No Nagle delay on either side: a proxy must not add latency of its own.
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.resume();
  }

  /** Resets every connection and refuses new ones until heal(). */
  cut() {
    this.#state = "cut";
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy?.() ?? client.destroy();
      upstream.destroy();
    }
    for (const c of this.#held) c.destroy();
    this.#held = [];
  }

  /** Stops every byte both ways without closing anything, until heal(). */
  blackhole() {
    this.#state = "blackhole";
    for (const { client, upstream } of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  heal() {
    const was = this.#state;
    this.#state = "open";
    if (was === "blackhole") {
      for (const { client, upstream } of this.#pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      const held = this.#held;
      this.#held = [];
      for (const c of held) if (!c.destroyed) this.#pipe(c);
    }
  }

  async close() {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    for (const c of this.#held) c.destroy();
    await new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
