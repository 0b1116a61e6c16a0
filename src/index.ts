/** Worker entry: the Hono app and the Durable Object classes it routes to. */
import { createApp } from "./http/app";

export { GatewayShard } from "./objects/gateway-shard";
export { LoginGuard } from "./objects/login-guard";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
