/**
 * The management API's authentication: HTTP Basic with ADMIN_API_KEY as user name and ADMIN_API_SECRET as
 * password (Worker secrets), compared in constant time. With no key configured every call is refused (503):
 * the API is never open by default.
 */
import type { MiddlewareHandler } from "hono";
import { parseBasic, secretsEqual } from "../auth/credentials";
import { ApiError } from "./errors";

export const adminAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const key = c.env.ADMIN_API_KEY;
  const secret = c.env.ADMIN_API_SECRET;
  if (!key || !secret) {
    throw new ApiError(503, "SERVICE_UNAVAILABLE", "the management API is disabled: ADMIN_API_KEY and ADMIN_API_SECRET are not set");
  }
  const credentials = parseBasic(c.req.header("Authorization"));
  // Both comparisons always run, so the time taken does not tell which part was wrong.
  const [keyOk, secretOk] = await Promise.all([
    secretsEqual(credentials?.username ?? "", key),
    secretsEqual(credentials?.password ?? "", secret),
  ]);
  if (credentials === undefined || !keyOk || !secretOk) {
    throw new ApiError(401, "UNAUTHORIZED", "API key and secret required (HTTP Basic)", {}, {
      "WWW-Authenticate": 'Basic realm="OCPP gateway management", charset="UTF-8"',
    });
  }
  await next();
};
