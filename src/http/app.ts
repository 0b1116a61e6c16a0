/**
 * The Worker's HTTP surface: charge point upgrades under the configured path, everything else JSON. The routes
 * below are WORKER_ROUTES, which the configuration check keeps the charge point path away from.
 */
import { Hono } from "hono";
import { isWorkerRoute, WORKER_ROUTES } from "../config/config-checks";
import { websocketPath } from "../config/gateway-config";
import { loadGatewayConfig } from "../config/store";
import { adminAuth } from "./admin-auth";
import { authenticationApi } from "./api/authentication";
import { brokerApi } from "./api/broker";
import { clientsApi } from "./api/clients";
import { gatewayApi } from "./api/gateway";
import { metricsApi } from "./api/metrics";
import { openApiDocument } from "./api/openapi";
import { jsonBodiesOnly } from "./api/request";
import { traceAuth, traceToken, traceUpgrade } from "./api/trace";
import { refuseCrossSite } from "./cross-site";
import { dashboard } from "./dashboard";
import { ApiError, errorResponse } from "./errors";
import { handleUpgrade, isUnderPath } from "./upgrade";

export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.onError(errorResponse);

  app.use("*", async (c, next) => {
    // The Worker's own routes are never a charge point's: no configuration read (a KV read) for them.
    const pathname = new URL(c.req.url).pathname;
    if (isWorkerRoute(pathname)) return next();
    const config = await loadGatewayConfig(c.env);
    const basePath = websocketPath(config);
    if (!isUnderPath(pathname, basePath)) return next();
    return handleUpgrade(c, config, basePath);
  });

  app.get(WORKER_ROUTES.info, async (c) => {
    const config = await loadGatewayConfig(c.env);
    return c.json({ name: "ocpp-mqtt-gateway", protocols: config.supported_protocols });
  });

  const api = new Hono<{ Bindings: Env }>();
  // First, for every call (the trace socket and the metrics included): nothing a browser does for another site's
  // page reaches the API, with or without the key and secret.
  api.use("*", refuseCrossSite);
  // The document describes the API and holds no data: readable without credentials, like EMQX's swagger.
  api.get("/openapi.json", (c) => c.json(openApiDocument()));
  // Before the admin check: a browser's trace socket authenticates with a token, not HTTP Basic (api/trace.ts).
  api.get("/gateways/ocpp/clients/:clientid/trace", traceAuth, traceUpgrade);
  api.use("*", adminAuth);
  api.use("*", jsonBodiesOnly);
  api.post("/gateways/ocpp/clients/:clientid/trace", traceToken);
  api.route("/gateways/ocpp/authentication", authenticationApi);
  api.route("/gateways/ocpp/clients", clientsApi);
  api.route("/gateways/ocpp/broker", brokerApi);
  api.route("/gateways/ocpp/metrics", metricsApi);
  api.route("/gateways/ocpp", gatewayApi);
  app.route(`${WORKER_ROUTES.api}/v5`, api);
  app.route(WORKER_ROUTES.dashboard, dashboard);

  app.notFound((c) => errorResponse(new ApiError(404, "RESOURCE_NOT_FOUND", "no such resource"), c));
  return app;
}
