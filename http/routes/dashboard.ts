/**
 * `GET /` (the dashboard page) and `GET /assets/{name}` (its scripts and styles, named by content
 * hash, cached for a year). Every asset is served from the program: the page works offline.
 *
 * @module
 */
import { Hono } from "hono";
import type { DashboardAssets } from "../dashboard_assets.ts";
import { HttpError } from "../http_error.ts";

/** What the dashboard routes need. */
export interface DashboardRoutesDeps {
  /** The page and its assets. */
  dashboard: DashboardAssets;
}

/** Only the program's own scripts and API (the chart library sets inline styles): data can never become markup that runs, or a request elsewhere. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The dashboard routes.
 *
 * @param deps The page and its assets.
 * @returns A Hono app to mount at the root.
 */
export function dashboardRoutes(deps: DashboardRoutesDeps): Hono {
  const { page, assets } = deps.dashboard;
  return new Hono()
    .get("/", () =>
      new Response(page, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
          "content-security-policy": CSP,
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      }))
    .get("/assets/:name", (c) => {
      const asset = assets.get(c.req.path);
      if (asset === undefined) throw new HttpError(404, `No asset ${c.req.path}`);
      return new Response(asset.bytes, {
        headers: {
          "content-type": asset.type,
          "cache-control": "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        },
      });
    });
}
