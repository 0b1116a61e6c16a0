// Starts the embedded broker (aedes) on loopback for the workerd test run; stops it afterwards.
import { startBroker } from "../../scripts/broker.mjs";

export default async function setup(): Promise<() => Promise<void>> {
  const broker = await startBroker({ tcpPort: Number(process.env.TEST_BROKER_TCP_PORT), wsPort: Number(process.env.TEST_BROKER_WS_PORT) });
  return () => broker.close();
}
