// Starts the embedded broker (aedes) on loopback for the workerd test run; stops it afterwards.
import { startBroker } from "../../scripts/broker.mjs";
import { SLOW_SUBACK_MS, SLOW_SUBACK_PREFIX } from "../worker-helpers/slow-suback";

export default async function setup(): Promise<() => Promise<void>> {
  const broker = await startBroker({ tcpPort: Number(process.env.TEST_BROKER_TCP_PORT), wsPort: Number(process.env.TEST_BROKER_WS_PORT) });
  broker.aedes.authorizeSubscribe = (_client, subscription, done) => {
    if (subscription.topic.includes(`/${SLOW_SUBACK_PREFIX}`)) setTimeout(() => done(null, subscription), SLOW_SUBACK_MS);
    else done(null, subscription);
  };
  return () => broker.close();
}
