/**
 * Opens the candle store a URL names: `sqlite:PATH` (the default, `sqlite:.data/market.db`) or
 * `postgres://…` / `postgresql://…`.
 *
 * @module
 */
import { redactUrl } from "../config/values.ts";
import type { CandleStore } from "./candle_store.ts";
import { PostgresCandleStore } from "./postgres.ts";
import { SqliteCandleStore } from "./sqlite.ts";

/** Options for {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** How long PostgreSQL may stay unreachable at start-up. @default {30_000} */
  timeoutMs?: number;
}

/**
 * Opens and migrates the store a URL names.
 *
 * @param url `sqlite:PATH` or `postgres://user:password@host:port/database`.
 * @param options The start-up timeout.
 * @returns The store.
 * @throws {TypeError} For a URL of any other kind (the message never shows a password).
 * @throws {StoreUnavailableError} When the database cannot be opened or reached in time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openStore } from "./open_store.ts";
 * const store = await openStore("sqlite::memory:");
 * assert.equal(store.description, "sqlite::memory:");
 * await store.close();
 * ```
 */
export async function openStore(
  url: string,
  options: OpenStoreOptions = {},
): Promise<CandleStore> {
  const { timeoutMs = 30_000 } = options;
  if (url.startsWith("sqlite:") && url.length > "sqlite:".length) {
    return SqliteCandleStore.open(url.slice("sqlite:".length));
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return await PostgresCandleStore.connect(url, { connectTimeoutMs: timeoutMs });
  }
  throw new TypeError(
    `Cannot open a store at ${
      JSON.stringify(redactUrl(url))
    }: expected sqlite:PATH or postgres://user:password@host:port/database`,
  );
}
