/**
 * A CoinGecko `/simple/price` client: one request for all coins, a timeout per request, the
 * least gap between calls, and retries with backoff that honour `Retry-After`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Coin, CoinGeckoConfig } from "../config/types.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { type Clock, systemClock } from "../runtime/delay.ts";
import type { PriceTick } from "../market/price_tick.ts";
import type { SkippedCoin } from "../market/skipped_coin.ts";

const logger = getLogger(["crypto", "coingecko"]);

/** A fetch that failed for good: after its retries, or with an answer that retrying won't change. */
export class CoinGeckoError extends Error {
  /** The last HTTP status, or null when there was no answer. */
  readonly status: number | null;
  /**
   * @param message What went wrong.
   * @param options The last HTTP status and the cause.
   */
  constructor(message: string, options: ErrorOptions & { status: number | null }) {
    super(message, options);
    this.name = "CoinGeckoError";
    this.status = options.status;
  }
}

/** What one fetch cycle brought back. */
export interface FetchOutcome {
  /** The coins with a usable price. */
  ticks: PriceTick[];
  /** Each coin that was skipped, and why. */
  skipped: SkippedCoin[];
}

/** Options for {@linkcode CoinGeckoClient}. */
export interface CoinGeckoClientOptions {
  /** The HTTP client. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** The clock for gaps and backoff. @default {systemClock} */
  clock?: Clock;
  /** Random source for the jitter. @default {Math.random} */
  random?: () => number;
}

interface Failure {
  message: string;
  status: number | null;
  retryAfterMs: number | null;
  retriable: boolean;
}

/**
 * Fetches prices of many coins in one request.
 *
 * @example
 * ```ts ignore
 * import { CoinGeckoClient } from "./coingecko.ts";
 * const client = new CoinGeckoClient({ baseUrl: "https://api.coingecko.com/api/v3", apiKey: null,
 *   apiKeyType: "demo", timeoutMs: 10_000, maxRetries: 3, rateLimitDelayMs: 6_000 });
 * const { ticks } = await client.fetchPrices([{ id: "bitcoin", symbol: "BTC" }], 1);
 * console.log(ticks[0]?.priceUsd);
 * ```
 */
export class CoinGeckoClient {
  #config: CoinGeckoConfig;
  #fetch: typeof fetch;
  #clock: Clock;
  #random: () => number;
  #lastCallAt = -Infinity;
  /** No request before this time: the last `Retry-After`, kept even when a cycle gave up. */
  #notBefore = -Infinity;

  /**
   * @param config Base URL, key, timeout, retries and least gap.
   * @param options HTTP client, clock and random source.
   */
  constructor(config: CoinGeckoConfig, options: CoinGeckoClientOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /**
   * The request URL for the coins (it never carries the API key).
   *
   * @param coins The coins.
   * @returns The URL.
   */
  urlFor(coins: readonly Coin[]): string {
    const params = new URLSearchParams({
      ids: coins.map((c) => c.id).join(","),
      vs_currencies: "usd",
      include_market_cap: "true",
      include_24hr_vol: "true",
      include_24hr_change: "true",
      include_last_updated_at: "true",
    });
    return `${this.#config.baseUrl}/simple/price?${params}`;
  }

  /**
   * Fetches the coins' prices, retrying as configured.
   *
   * @param coins The coins.
   * @param cycle The fetch cycle, stamped on each tick.
   * @param options Aborting stops waiting and requesting.
   * @returns The usable prices and the coins skipped.
   * @throws {CoinGeckoError} When no usable answer came.
   */
  async fetchPrices(
    coins: readonly Coin[],
    cycle: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<FetchOutcome> {
    const body = await this.fetchJson(this.urlFor(coins), options);
    return parsePrices(body, coins, cycle, this.#clock.now());
  }

  /**
   * Fetches a URL of the API and reads its JSON, spaced from the other calls and retried as
   * configured (the calls of `/simple/price` and of a backfill's `/coins/{id}/market_chart/range`).
   *
   * @param url The URL (under the base URL; the key goes in a header).
   * @param options Aborting stops waiting and requesting.
   * @returns The answer's JSON.
   * @throws {CoinGeckoError} When no usable answer came.
   */
  async fetchJson(url: string, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    const { maxRetries, rateLimitDelayMs } = this.#config;
    for (let attempt = 0;; attempt++) {
      const gap = Math.max(this.#lastCallAt + rateLimitDelayMs, this.#notBefore) -
        this.#clock.now();
      if (gap > 0) await this.#clock.sleep(gap, options);
      this.#lastCallAt = this.#clock.now();
      const result = await this.#request(url, options.signal);
      if ("body" in result) return result.body;
      const failure = result.failure;
      const retryAfterMs = this.#capRetryAfter(failure.retryAfterMs);
      if (retryAfterMs !== null) this.#notBefore = this.#clock.now() + retryAfterMs;
      if (!failure.retriable || attempt >= maxRetries) {
        const tries = attempt + 1;
        const asked = failure.retryAfterMs;
        const next = retryAfterMs === null || asked === null
          ? ""
          : `; next request in ${(retryAfterMs / 1000).toFixed(1)}s ${
            retryAfterMs < asked
              ? `(Retry-After asked ${seconds(asked)}s, capped by API_MAX_RETRY_AFTER)`
              : "as Retry-After asks"
          }`;
        throw new CoinGeckoError(
          `CoinGecko request failed${
            failure.retriable ? ` after ${tries} attempt${tries === 1 ? "" : "s"}` : ""
          }: ${failure.message}${next}`,
          { status: failure.status },
        );
      }
      const wait = retryAfterMs ??
        backoffDelay(attempt, {
          minMs: rateLimitDelayMs,
          maxMs: Math.max(rateLimitDelayMs, 300_000),
          jitter: 0.5,
          random: this.#random,
        });
      logger.warn("{message}; retry {retry} of {maxRetries} in {seconds}s", {
        message: failure.message,
        retry: attempt + 1,
        maxRetries,
        seconds: (wait / 1000).toFixed(1),
      });
      if (wait > 0) await this.#clock.sleep(wait, options);
    }
  }

  /** A `Retry-After` wait cut to `maxRetryAfterMs`, with a warning when it was longer. */
  #capRetryAfter(askedMs: number | null): number | null {
    const { maxRetryAfterMs } = this.#config;
    if (askedMs === null || askedMs <= maxRetryAfterMs) return askedMs;
    logger.warn(
      "CoinGecko's Retry-After asks to wait {asked}s; waiting {cap}s instead, the most API_MAX_RETRY_AFTER allows",
      { asked: seconds(askedMs), cap: seconds(maxRetryAfterMs) },
    );
    return maxRetryAfterMs;
  }

  async #request(
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<{ body: unknown } | { failure: Failure }> {
    const { apiKey, apiKeyType, timeoutMs } = this.#config;
    const headers: Record<string, string> = { accept: "application/json" };
    if (apiKey !== null) headers[`x-cg-${apiKeyType}-api-key`] = apiKey;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number | null = null;
    try {
      const response = await this.#fetch(url, { headers, signal: combined });
      status = response.status;
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (signal?.aborted || timeout.aborted) throw error;
        return {
          failure: {
            message: `CoinGecko's HTTP ${response.status} answer broke off before its end: ${
              error instanceof Error ? error.message : String(error)
            }`,
            status,
            retryAfterMs: null,
            retriable: true,
          },
        };
      }
      const type = response.headers.get("content-type") ?? "no content type";
      if (response.status === 429) {
        return {
          failure: {
            message: `CoinGecko answered HTTP 429 (rate limited): ${snippet(text, type)}`,
            status,
            retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), this.#clock.now()),
            retriable: true,
          },
        };
      }
      if (!response.ok) {
        const hint = response.status === 401 || response.status === 403
          ? " (check COINGECKO_API_KEY and COINGECKO_API_KEY_TYPE)"
          : "";
        return {
          failure: {
            message: `CoinGecko answered HTTP ${response.status}${hint}: ${snippet(text, type)}`,
            status,
            // A server that is down for a while may say how long (RFC 9110 §10.2.3).
            retryAfterMs: response.status === 503
              ? parseRetryAfter(response.headers.get("retry-after"), this.#clock.now())
              : null,
            retriable: response.status >= 500 || response.status === 408,
          },
        };
      }
      try {
        return { body: JSON.parse(text) };
      } catch {
        return {
          failure: {
            message:
              `CoinGecko answered HTTP ${response.status} with a body that is not JSON (${type}): ${
                snippet(text, type)
              }`,
            status,
            retryAfterMs: null,
            retriable: true,
          },
        };
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const message = timeout.aborted
        ? `CoinGecko did not answer within ${timeoutMs / 1000}s`
        : `Cannot reach CoinGecko at ${new URL(url).origin}: ${
          error instanceof Error ? error.message : String(error)
        }`;
      return { failure: { message, status, retryAfterMs: null, retriable: true } };
    }
  }
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable.
 *
 * @param header The header's value.
 * @param now The current time, milliseconds.
 * @returns The wait, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./coingecko.ts";
 * assert.equal(parseRetryAfter("2", 0), 2000);
 * ```
 */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse takes almost anything ("-5", "1.5"); an HTTP date has a day name and a time.
  if (!/^[a-z]{3,9},?\s.*\d{1,2}:\d{2}:\d{2}/i.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Milliseconds as whole seconds when they are whole, else to a tenth. */
const seconds = (ms: number): string =>
  Number.isInteger(ms / 1000) ? String(ms / 1000) : (ms / 1000).toFixed(1);

function snippet(text: string, type: string): string {
  let plain = text;
  if (type.includes("html") || /^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
    plain = title ?? text.replace(/<[^>]*>/g, " ");
  } else {
    try {
      const json = JSON.parse(text);
      const message = json?.status?.error_message ?? json?.error ?? json?.message;
      if (typeof message === "string") plain = message;
    } catch {
      // not JSON: show the text itself
    }
  }
  plain = plain.replace(/\s+/g, " ").trim();
  if (plain === "") return "(empty body)";
  return plain.length > 120 ? `${plain.slice(0, 117)}...` : plain;
}

const finiteOrNull = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

/**
 * Validates a `/simple/price` answer coin by coin.
 *
 * @param body The parsed JSON.
 * @param coins The coins asked for.
 * @param cycle The fetch cycle.
 * @param fetchedAt When it was fetched.
 * @returns The usable ticks and each coin skipped, with why.
 * @throws {CoinGeckoError} When the answer is not a JSON object, or an empty one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePrices } from "./coingecko.ts";
 * const { ticks, skipped } = parsePrices({ bitcoin: { usd: 1 } },
 *   [{ id: "bitcoin", symbol: "BTC" }, { id: "ethereum", symbol: "ETH" }], 1, 0);
 * assert.equal(ticks.length, 1);
 * assert.equal(skipped[0]?.reason, "ethereum (ETH) is missing from the CoinGecko response");
 * ```
 */
export function parsePrices(
  body: unknown,
  coins: readonly Coin[],
  cycle: number,
  fetchedAt: number,
): FetchOutcome {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new CoinGeckoError(
      `CoinGecko answered with JSON that is not an object: ${JSON.stringify(body).slice(0, 80)}`,
      { status: 200 },
    );
  }
  if (coins.length > 0 && Object.keys(body).length === 0) {
    throw new CoinGeckoError(
      `CoinGecko answered an empty object: no price for any of ${
        coins.map((c) => c.id).join(", ")
      }`,
      { status: 200 },
    );
  }
  const ticks: PriceTick[] = [];
  const skipped: SkippedCoin[] = [];
  for (const coin of coins) {
    const entry = (body as Record<string, unknown>)[coin.id];
    const name = `${coin.id} (${coin.symbol})`;
    const skip = (missing: boolean, reason: string) =>
      skipped.push({ coinId: coin.id, symbol: coin.symbol, missing, reason });
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      skip(true, `${name} is missing from the CoinGecko response`);
      continue;
    }
    const fields = entry as Record<string, unknown>;
    const price = fields.usd;
    if (typeof price !== "number" || !Number.isFinite(price) || price <= 0) {
      const shown = typeof price === "number" ? String(price) : JSON.stringify(price ?? null);
      skip(false, `${name} has no usable price: usd is ${shown}`);
      continue;
    }
    for (const key of ["usd_24h_vol", "usd_market_cap", "usd_24h_change", "last_updated_at"]) {
      if (fields[key] !== undefined && fields[key] !== null && finiteOrNull(fields[key]) === null) {
        logger.warn("{name}: {key} is not a number ({value}); sent as null", {
          name,
          key,
          value: JSON.stringify(fields[key]),
        });
      }
    }
    const lastUpdated = finiteOrNull(fields.last_updated_at);
    ticks.push({
      coinId: coin.id,
      symbol: coin.symbol,
      priceUsd: price,
      volume24h: finiteOrNull(fields.usd_24h_vol),
      marketCap: finiteOrNull(fields.usd_market_cap),
      change24h: finiteOrNull(fields.usd_24h_change),
      lastUpdated: lastUpdated === null ? null : Math.trunc(lastUpdated),
      fetchedAt,
      cycle,
    });
  }
  return { ticks, skipped };
}
