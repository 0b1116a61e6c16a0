// A TCP proxy in front of the broker that a test can cut: every connection through it is dropped and new ones
// are refused until it is restored.
import net from "node:net";

export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cut = false;
  port = 0;
  accepted = 0;

  constructor(readonly targetPort: number) {
    this.server = net.createServer((client) => {
      if (this.cut) {
        client.destroy();
        return;
      }
      this.accepted++;
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address !== null ? address.port : 0;
    return this.port;
  }

  /** Drops every connection and refuses new ones for `ms`. */
  cutFor(ms: number): Promise<void> {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) =>
      setTimeout(() => {
        this.cut = false;
        resolve();
      }, ms),
    );
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
