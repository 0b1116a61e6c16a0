/** Shared request helpers for the management API: JSON bodies, paging parameters, validation errors. */
import type { Context, MiddlewareHandler } from "hono";
import type { CompiledValidator } from "../../validation/compiled";
import { describeErrors } from "../../validation/compiled";
import { ApiError } from "../errors";

/** Whether a request carries a body: a non-zero Content-Length, or one of unknown length (chunked). */
function hasBody(request: Request): boolean {
  if (request.body === null) return false;
  const length = request.headers.get("Content-Length");
  return length === null || Number(length) !== 0;
}

/**
 * A body is taken only as `application/json` (parameters such as `charset=utf-8` allowed): 415 for any other
 * Content-Type, and for a body without one. A page elsewhere can only send a form's types (urlencoded, multipart,
 * text/plain) without a CORS preflight, so no such body is ever read as JSON. A request without a body may carry
 * any Content-Type (curl's `-d ''` sends a form's).
 */
export const jsonBodiesOnly: MiddlewareHandler = async (c, next) => {
  if (hasBody(c.req.raw)) {
    const type = c.req.header("Content-Type");
    if (type?.split(";")[0]?.trim().toLowerCase() !== "application/json") {
      const sent = type === undefined ? "none was given" : `not '${type.slice(0, 100)}'`;
      throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `a request body must be sent with Content-Type: application/json (${sent})`);
    }
  }
  await next();
};

export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, "BAD_REQUEST", "the body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "BAD_REQUEST", "the body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Checks `body` with an ahead-of-time compiled validator; 400 naming the field path and the reason. */
export function validated<T>(validate: CompiledValidator, body: unknown): T {
  if (!validate(body)) throw new ApiError(400, "BAD_REQUEST", describeErrors(validate.errors).join("; "));
  return body as T;
}

export interface Paging {
  readonly page: number;
  readonly limit: number;
}

function positiveInt(c: Context, name: string, fallback: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ApiError(400, "BAD_REQUEST", `${name}: must be an integer from 1 to ${max}`);
  }
  return n;
}

/** EMQX paging: `page` from 1, `limit` up to 10,000 (default 100). */
export function paging(c: Context): Paging {
  return { page: positiveInt(c, "page", 1, 1_000_000), limit: positiveInt(c, "limit", 100, 10_000) };
}

export function meta(paging: Paging, count: number) {
  return { page: paging.page, limit: paging.limit, count, hasnext: paging.page * paging.limit < count };
}
