/**
 * The management API's OpenAPI 3.1 document, served at /api/v5/openapi.json. Request bodies are the same JSON
 * schemas (schemas/*.schema.json) that the handlers validate with, so the document cannot drift from them.
 */
import { authenticatorSchema, authUserSchema, gatewayConfigSchema } from "../../generated/gateway-schemas.gen";

/** A schema embedded as a component: draft-07 `definitions` become local `$defs` references. */
function component(schema: object): object {
  const text = JSON.stringify(schema, (key, value: unknown) => (key === "$schema" || key === "$id" ? undefined : value));
  return JSON.parse(text.replace(/"#\/definitions\//g, '"#/$defs/').replace(/"definitions":/g, '"$defs":')) as object;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ "application/json": { schema } });
const error = (description: string) => ({ description, content: json(ref("Error")) });
const pagingParameters = [
  { name: "page", in: "query", schema: { type: "integer", minimum: 1, default: 1 } },
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000, default: 100 } },
];
const common = {
  "401": error("missing or wrong API key and secret"),
  "403": error("a browser's request for another site's page (Sec-Fetch-Site other than same-origin or none, or a foreign Origin); reason cross_site"),
  "415": error("a request body without Content-Type: application/json"),
  "503": error("the management API is disabled (no ADMIN_API_KEY)"),
};

function page(item: object) {
  return {
    type: "object",
    required: ["data", "meta"],
    properties: {
      data: { type: "array", items: item },
      meta: {
        type: "object",
        required: ["page", "limit", "count", "hasnext"],
        properties: { page: { type: "integer" }, limit: { type: "integer" }, count: { type: "integer" }, hasnext: { type: "boolean" } },
      },
    },
  };
}

const userDefs = component(authUserSchema) as { $defs: Record<string, object> };

export function openApiDocument(): object {
  return {
    openapi: "3.1.0",
    info: {
      title: "OCPP gateway management API",
      version: "5",
      description: "EMQX-compatible management of the OCPP-J ⇄ MQTT gateway. HTTP Basic: ADMIN_API_KEY as user name, ADMIN_API_SECRET as password.",
    },
    servers: [{ url: "/api/v5" }],
    security: [{ basicAuth: [] }],
    components: {
      securitySchemes: { basicAuth: { type: "http", scheme: "basic" } },
      schemas: {
        GatewayConfig: component(gatewayConfigSchema),
        Authenticator: component(authenticatorSchema),
        UserCreate: { ...userDefs.$defs.create, $defs: userDefs.$defs },
        UserUpdate: { ...userDefs.$defs.update, $defs: userDefs.$defs },
        User: {
          type: "object",
          required: ["user_id", "is_superuser"],
          properties: { user_id: { type: "string" }, is_superuser: { type: "boolean" } },
        },
        Client: {
          type: "object",
          required: ["clientid", "proto_name", "proto_ver", "connected", "connected_at", "keepalive", "mqueue_len", "recv_msg", "send_msg"],
          properties: {
            clientid: { type: "string" },
            username: { type: ["string", "null"] },
            proto_name: { const: "OCPP" },
            proto_ver: { type: "string" },
            ip_address: { type: ["string", "null"] },
            client_certificate: {
              description: "the TLS client certificate the charge point authenticated with (security profile 3), or null",
              oneOf: [
                { type: "null" },
                {
                  type: "object",
                  required: ["subject", "issuer", "serial", "fingerprint_sha256"],
                  properties: { subject: { type: "string" }, issuer: { type: "string" }, serial: { type: "string" }, fingerprint_sha256: { type: "string" } },
                },
              ],
            },
            connected: { type: "boolean" },
            connected_at: { type: "string", format: "date-time" },
            keepalive: { type: "number", description: "current heartbeat interval, seconds" },
            inflight_cnt: { type: "integer" },
            mqueue_len: { type: "integer" },
            mqueue_max: { type: "integer" },
            recv_msg: { type: "integer" },
            send_msg: { type: "integer" },
            outbox_len: { type: "integer", description: "upstream messages waiting for the broker" },
            outbox_max: { type: "integer" },
            malformed_msg: { type: "integer" },
            invalid_msg: { type: "integer" },
            dropped_msg: { type: "integer", description: "messages neither published nor kept (outbox full)" },
          },
        },
        Error: {
          type: "object",
          required: ["code", "message"],
          properties: { code: { type: "string", examples: ["BAD_REQUEST", "RESOURCE_NOT_FOUND"] }, message: { type: "string" } },
        },
      },
    },
    paths: {
      "/gateways/ocpp": {
        get: { summary: "The effective gateway configuration", responses: { "200": { description: "configuration, name and status; stored_config_problems lists why a stored override is ignored, when it is", content: json(ref("GatewayConfig")) }, ...common } },
        put: {
          summary: "Merge top-level keys into the configuration",
          requestBody: { required: true, content: json(ref("GatewayConfig")) },
          responses: { "204": { description: "stored" }, "400": error("invalid; the message names the field path and the reason"), ...common },
        },
      },
      "/gateways/ocpp/enable/{enable}": {
        put: {
          summary: "Enable or disable new charge point connections",
          parameters: [{ name: "enable", in: "path", required: true, schema: { enum: ["true", "false"] } }],
          responses: { "204": { description: "stored" }, "400": error("not true or false"), ...common },
        },
      },
      "/gateways/ocpp/authentication": {
        get: { summary: "The authenticator", responses: { "200": { description: "configured", content: json(ref("Authenticator")) }, "204": { description: "none" }, ...common } },
        post: {
          summary: "Create the authenticator",
          requestBody: { required: true, content: json(ref("Authenticator")) },
          responses: { "201": { description: "created", content: json(ref("Authenticator")) }, "400": error("invalid"), "409": error("one exists"), ...common },
        },
        put: {
          summary: "Change the authenticator",
          requestBody: { required: true, content: json(ref("Authenticator")) },
          responses: { "200": { description: "changed", content: json(ref("Authenticator")) }, "400": error("invalid"), "404": error("none"), ...common },
        },
        delete: { summary: "Remove the authenticator and its users", responses: { "204": { description: "removed" }, "404": error("none"), ...common } },
      },
      "/gateways/ocpp/authentication/users": {
        get: {
          summary: "Users",
          parameters: [...pagingParameters, { name: "like_user_id", in: "query", schema: { type: "string" } }],
          responses: { "200": { description: "a page of users", content: json(page(ref("User"))) }, "404": error("no authenticator"), ...common },
        },
        post: {
          summary: "Add a user",
          requestBody: { required: true, content: json(ref("UserCreate")) },
          responses: { "201": { description: "added", content: json(ref("User")) }, "400": error("invalid"), "409": error("exists"), ...common },
        },
      },
      "/gateways/ocpp/authentication/users/{user_id}": {
        parameters: [{ name: "user_id", in: "path", required: true, schema: { type: "string" } }],
        get: { summary: "A user", responses: { "200": { description: "the user", content: json(ref("User")) }, "404": error("not found"), ...common } },
        put: {
          summary: "Change a user's password or superuser flag",
          requestBody: { required: true, content: json(ref("UserUpdate")) },
          responses: { "200": { description: "changed", content: json(ref("User")) }, "400": error("invalid"), "404": error("not found"), ...common },
        },
        delete: { summary: "Remove a user", responses: { "204": { description: "removed" }, "404": error("not found"), ...common } },
      },
      "/gateways/ocpp/broker": {
        get: {
          summary: "State of the broker links",
          responses: {
            "200": {
              description: "every link: state (idle, connecting, connected, waiting; unknown when the link object cannot be reached), client id, subscriptions, counters, last error",
              content: json({ type: "object", properties: { url: { type: ["string", "null"] }, links: { type: "array", items: { type: "object" } } } }),
            },
            ...common,
          },
        },
      },
      "/gateways/ocpp/broker/restart": {
        post: {
          summary: "Drop and re-open every broker link's connection",
          parameters: [{ name: "reset", in: "query", description: "true: also reset the link objects, as a redeploy does", schema: { enum: ["true", "false"] } }],
          responses: { "204": { description: "restarting" }, ...common },
        },
      },
      "/gateways/ocpp/clients": {
        get: {
          summary: "Connected charge points",
          parameters: [
            ...pagingParameters,
            { name: "like_clientid", in: "query", schema: { type: "string" } },
            { name: "like_username", in: "query", schema: { type: "string" } },
            { name: "proto_ver", in: "query", schema: { enum: ["1.6", "2.0.1", "2.1"] } },
          ],
          responses: { "200": { description: "a page of clients", content: json(page(ref("Client"))) }, "400": error("bad paging"), ...common },
        },
      },
      "/gateways/ocpp/clients/{clientid}": {
        parameters: [{ name: "clientid", in: "path", required: true, schema: { type: "string" } }],
        get: { summary: "A connected charge point", responses: { "200": { description: "the client", content: json(ref("Client")) }, "404": error("not connected"), ...common } },
        delete: { summary: "Kick: close its connection (1000, kicked)", responses: { "204": { description: "kicked" }, "404": error("not connected"), ...common } },
      },
      "/gateways/ocpp/clients/{clientid}/trace": {
        parameters: [{ name: "clientid", in: "path", required: true, schema: { type: "string" } }],
        get: {
          summary: "Live trace (WebSocket upgrade): a copy of every frame and envelope of this charge point while open",
          description: "HTTP Basic, or the subprotocols `ocpp-trace, token.<token>` with a token from POST. At most 4 watchers per charge point.",
          responses: { "101": { description: "trace socket" }, "400": error("bad clientid"), "426": error("not an upgrade"), "429": error("too many watchers or failed logins"), ...common },
        },
        post: {
          summary: "A token for the trace socket of this charge point, good for 60 s",
          responses: {
            "201": { description: "token", content: json({ type: "object", properties: { token: { type: "string" }, expires_at: { type: "string" }, expires_in: { type: "integer" }, protocols: { type: "array", items: { type: "string" } } } }) },
            "400": error("bad clientid"),
            ...common,
          },
        },
      },
      "/gateways/ocpp/metrics": {
        get: { summary: "Prometheus text format: connections by version, frame and error figures, outbox depth, broker links", responses: { "200": { description: "text/plain; version=0.0.4" }, ...common } },
      },
    },
  };
}
