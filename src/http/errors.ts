/**
 * The one error type of the HTTP layer, mapped to a JSON response once in `app.onError` (EMQX's error shape:
 * `{"code": "...", "message": "..."}`, plus `reason` where EMQX answers a rejected upgrade with a reason token).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorMessage, log } from "../log";

export type ApiErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "RESOURCE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "UPGRADE_REQUIRED"
  | "ALREADY_EXISTS"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR";

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, { message });
  }
}

export function errorResponse(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    return c.json({ code: error.code, message: error.message, ...error.extra }, error.status, { ...error.headers });
  }
  if (error instanceof HTTPException) {
    return c.json({ code: error.status === 404 ? "RESOURCE_NOT_FOUND" : "BAD_REQUEST", message: error.message }, error.status);
  }
  log("error", "http_unhandled", { path: new URL(c.req.url).pathname, error: errorMessage(error) });
  return c.json({ code: "INTERNAL_ERROR", message: "internal error" }, 500);
}
