/**
 * The management API refuses what a browser sends on behalf of another site's page: a form posted from elsewhere, a
 * WebSocket opened by a foreign page, a cross-site read. The API has no CORS, so a page elsewhere cannot read its
 * answers, but a browser holding the operator's key and secret (a Basic challenge it once answered) would attach
 * them to such requests by itself — and a top-level form POST needs no preflight.
 *
 * The rule, applied to every method (so the trace socket and the metrics are covered too):
 * - `Sec-Fetch-Site` (Fetch Metadata, https://www.w3.org/TR/fetch-metadata/ §2.1), when present, decides: only
 *   `same-origin` (the dashboard) and `none` (the user typed or bookmarked the URL) pass; `same-site` and
 *   `cross-site` are refused.
 * - Without it (an older browser, or a plain-http origin other than loopback, where browsers do not send it),
 *   `Origin` decides when present: it must name this host. Browsers send Origin with every POST, PUT, DELETE and
 *   WebSocket handshake (Fetch §3.1, RFC 6455 §4.1), so a forged write always shows where it came from; `null` (a
 *   sandboxed or opaque origin) is refused.
 * - Neither header: not a browser acting for a page (curl, scripts, Prometheus), or a same-origin GET of an old
 *   browser. Let through; the key and secret decide.
 * The host (name and port) is compared, not the scheme: behind a TLS-terminating front (scripts/tls-front.mjs) the
 * Worker sees http:// for what the browser calls https://.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";

const ALLOWED_FETCH_SITES = new Set(["same-origin", "none"]);

/** Why a request is a browser's request for another site's page, or undefined when it is not. */
export function crossSiteProblem(headers: Headers, requestUrl: string): string | undefined {
  const site = headers.get("Sec-Fetch-Site");
  if (site !== null) return ALLOWED_FETCH_SITES.has(site.trim().toLowerCase()) ? undefined : `Sec-Fetch-Site: ${site}`;
  const origin = headers.get("Origin");
  if (origin === null) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `Origin: ${origin}`;
  }
  return host !== "" && host === new URL(requestUrl).host ? undefined : `Origin: ${origin}`;
}

export const refuseCrossSite: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const problem = crossSiteProblem(c.req.raw.headers, c.req.url);
  if (problem !== undefined) {
    throw new ApiError(403, "FORBIDDEN", `cross-site requests are refused (${problem}): use the dashboard, or call the API from a script`, {
      reason: "cross_site",
    });
  }
  await next();
};

/**
 * Whether a request shows signs of coming from a browser: `Sec-Fetch-Site`, an Origin, `Upgrade-Insecure-Requests`
 * (every navigation of current browsers, on any origin), or the dashboard's `X-Requested-With`. Such a request is
 * never sent a Basic challenge: the browser would answer it with its own password dialog and then keep the key and
 * secret for the origin, sending them by itself from then on. (`Sec-Fetch-Mode` alone is no sign: Node's fetch
 * sends it, and a browser that sends it sends `Sec-Fetch-Site` too.)
 */
export function isFromBrowser(headers: Headers): boolean {
  return ["Sec-Fetch-Site", "Origin", "Upgrade-Insecure-Requests", "X-Requested-With"].some((name) => headers.has(name));
}
