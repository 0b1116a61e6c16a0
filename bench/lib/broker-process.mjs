// The embedded broker in a process of its own, so it does not share an event loop with the load generator.
import { startBroker } from "../../scripts/broker.mjs";

const broker = await startBroker({ tcpPort: 0, wsPort: 0 });
process.stdout.write(`${JSON.stringify({ tcpPort: broker.tcpPort, wsPort: broker.wsPort })}\n`);
const stop = async () => {
  await broker.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
