/**
 * The dashboard's files as the server sends them: each asset under a name carrying a hash of its
 * content (`/assets/dashboard.3f2a9c1e0b4d5a6f.js`, cached for a year), and the page with those
 * names filled in (never cached), so a new build is never mixed with an old one.
 *
 * @module
 */

/** One file of the dashboard. */
export interface AssetFile {
  /** Its name as the page refers to it, e.g. `dashboard.js`. */
  name: string;
  /** Its bytes. */
  bytes: Uint8Array<ArrayBuffer>;
}

/** An asset ready to send. */
export interface Asset {
  /** Its bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Its `Content-Type`. */
  type: string;
}

/** The dashboard, ready to send. */
export interface DashboardAssets {
  /** The page, its asset references filled in. */
  page: Uint8Array<ArrayBuffer>;
  /** The assets by path, e.g. `/assets/dashboard.3f2a9c1e0b4d5a6f.js`. */
  assets: ReadonlyMap<string, Asset>;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};

async function shortHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Names each asset by its content hash and fills the names into the page, where it says
 * `{{asset:NAME}}`.
 *
 * @param page The page's HTML.
 * @param files The assets.
 * @returns The page and the assets by path.
 * @throws {TypeError} When the page names an asset not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildDashboardAssets } from "./dashboard_assets.ts";
 * const built = await buildDashboardAssets('<script src="{{asset:a.js}}"></script>', [
 *   { name: "a.js", bytes: new TextEncoder().encode("1") },
 * ]);
 * assert.deepEqual([...built.assets.keys()], ["/assets/a.6b86b273ff34fce1.js"]);
 * ```
 */
export async function buildDashboardAssets(
  page: string,
  files: readonly AssetFile[],
): Promise<DashboardAssets> {
  const assets = new Map<string, Asset>();
  const paths = new Map<string, string>();
  for (const file of files) {
    const dot = file.name.lastIndexOf(".");
    const ext = file.name.slice(dot + 1);
    const path = `/assets/${file.name.slice(0, dot)}.${await shortHash(file.bytes)}.${ext}`;
    assets.set(path, { bytes: file.bytes, type: TYPES[ext] ?? "application/octet-stream" });
    paths.set(file.name, path);
  }
  const html = page.replace(/\{\{asset:([^}]+)\}\}/g, (_, name: string) => {
    const path = paths.get(name);
    if (path === undefined) {
      throw new TypeError(`The dashboard page names a missing asset: ${name}`);
    }
    return path;
  });
  return { page: new TextEncoder().encode(html), assets };
}
