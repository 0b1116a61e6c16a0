/** Worker entry: the Hono app and the Durable Object classes it routes to. */
import { createApp } from "./http/app";

export { BrokerLink } from "./objects/broker-link";
export { ChargePoint } from "./objects/charge-point";
export { ClientRegistry } from "./objects/client-registry";
export { LoginGuard } from "./objects/login-guard";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
