/**
 * The operator dashboard's files (dashboard/, packed by scripts/build-dashboard.mjs), served under /dashboard. The
 * pages hold no data and no credentials: they sign in to the management API with its key and secret, kept in the
 * page's memory only (no cookie, so no other site can make a browser act with them), and call the same REST API.
 * Every answer carries a strict Content-Security-Policy: scripts, styles and connections from this origin only,
 * no inline script or style, no framing.
 */
import { Hono } from "hono";
import { DASHBOARD_ASSETS } from "../generated/dashboard-assets.gen";
import { ApiError } from "./errors";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Content-Security-Policy": DASHBOARD_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

export const dashboard = new Hono<{ Bindings: Env }>()
  .get("/", (c) => c.redirect("/dashboard/", 301))
  .get("/*", (c) => {
    const path = new URL(c.req.url).pathname.slice("/dashboard".length);
    const asset = DASHBOARD_ASSETS[path === "/" ? "/index.html" : path];
    if (asset === undefined) throw new ApiError(404, "RESOURCE_NOT_FOUND", "no such resource");
    const headers = { ...SECURITY_HEADERS, "Content-Type": asset.type, ETag: asset.etag, "Cache-Control": "no-cache" };
    if (c.req.header("If-None-Match") === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
