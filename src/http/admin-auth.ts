/**
 * The management API's authentication: HTTP Basic with ADMIN_API_KEY as user name and ADMIN_API_SECRET as
 * password (Worker secrets), compared in constant time. With no key configured every call is refused (503):
 * the API is never open by default, and with a secret too weak to stand without a global failure budget it is
 * refused the same way (src/http/admin-secret.ts). Failures are throttled like charge point logins
 * (src/auth/throttle.ts): per source address, and per address that used the key successfully before.
 */
import type { MiddlewareHandler } from "hono";
import { parseBasic, secretsEqual } from "../auth/credentials";
import { sourceOf } from "../auth/source";
import { checkAdminSecret } from "./admin-secret";
import { isFromBrowser } from "./cross-site";
import { ApiError } from "./errors";
import { ADMIN_CREDENTIAL, LoginThrottle } from "./login-throttle";

export const adminAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const key = c.env.ADMIN_API_KEY;
  const secret = c.env.ADMIN_API_SECRET;
  if (!key || !secret) {
    throw new ApiError(503, "SERVICE_UNAVAILABLE", "the management API is disabled: ADMIN_API_KEY and ADMIN_API_SECRET are not set");
  }
  checkAdminSecret(secret);
  // Only tools get a challenge (RFC 9110 §11.6.1); a browser would answer it with its own password dialog and then
  // send the key and secret by itself on every later request to this origin, whoever's page made it (cross-site.ts).
  const challenge: Record<string, string> = isFromBrowser(c.req.raw.headers)
    ? {}
    : { "WWW-Authenticate": 'Basic realm="OCPP gateway management", charset="UTF-8"' };
  const credentials = parseBasic(c.req.header("Authorization"));
  if (credentials === undefined) throw new ApiError(401, "UNAUTHORIZED", "API key and secret required (HTTP Basic)", {}, challenge);
  const attempt = await new LoginThrottle(c.env.LOGIN_GUARD).admit(ADMIN_CREDENTIAL, sourceOf(c.req.header("CF-Connecting-IP")));
  // Both comparisons always run, so the time taken does not tell which part was wrong.
  const [keyOk, secretOk] = await Promise.all([secretsEqual(credentials.username, key), secretsEqual(credentials.password, secret)]);
  await attempt.finish(keyOk && secretOk);
  if (!keyOk || !secretOk) throw new ApiError(401, "UNAUTHORIZED", "API key and secret required (HTTP Basic)", {}, challenge);
  await next();
};
