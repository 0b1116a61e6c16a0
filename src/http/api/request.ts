/** Shared request helpers for the management API: JSON bodies, paging parameters, validation errors. */
import type { Context } from "hono";
import type { CompiledValidator } from "../../validation/compiled";
import { describeErrors } from "../../validation/compiled";
import { ApiError } from "../errors";

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
