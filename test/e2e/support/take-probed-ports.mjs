// Loaded into the start script (`node --import`) by start.test.ts. It plays whatever takes a port in the moment
// between a probe for a free port and the bind that was meant to follow (on a busy machine: an outgoing
// connection given the same ephemeral port): the first TAKE_PROBED_PORTS ports this process listens on with port 0
// and then releases are listened on again here at once, and held until the process ends.
import net from "node:net";

let left = Number(process.env.TAKE_PROBED_PORTS ?? "1");
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  const anyPort = first === 0 || (typeof first === "object" && first !== null && first.port === 0);
  if (anyPort) {
    this.once("listening", () => {
      const { port, address } = this.address();
      // Added before the prober's own close callback, so the port is taken before the prober hears it is free.
      this.once("close", () => {
        if (left <= 0) return;
        left--;
        const holder = net.createServer();
        listen.call(holder, port, address);
        holder.unref();
        process.stdout.write(`[take-probed-ports] took port ${port}\n`);
      });
    });
  }
  return listen.apply(this, args);
};
