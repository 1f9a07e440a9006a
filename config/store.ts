/**
 * The candle store's URL, which `candles`, `start` and `serve` read: `CANDLE_STORE` (`--store`),
 * `sqlite:.data/market.db` by default (`docs/configuration.md`).
 *
 * @module
 */
import type { Settings } from "./settings.ts";
import { parseStoreUrl } from "./values.ts";

/**
 * Reads the candle store's URL.
 *
 * @param s The settings.
 * @returns `sqlite:PATH` or `postgres://…`; it may hold a password: never log it.
 * @throws {ConfigError} For anything else, without the password.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadStoreUrl } from "./store.ts";
 * import { Settings } from "./settings.ts";
 * assert.equal(loadStoreUrl(new Settings(new Map(), () => undefined)), "sqlite:.data/market.db");
 * ```
 */
export function loadStoreUrl(s: Settings): string {
  return parseStoreUrl(...s.get("CANDLE_STORE", "store", "sqlite:.data/market.db"));
}
