/**
 * A coin's past prices from CoinGecko's `/coins/{id}/market_chart/range?vs_currency=usd&from=&to=`
 * (`{"prices": [[ms, price], …], "market_caps": […], "total_volumes": […]}`), one price tick per
 * point, for a backfill (docs/trades.md#gap-repair-and-backfill).
 *
 * @module
 */
import type { Coin } from "../config/types.ts";
import type { PriceTick } from "../market/price_tick.ts";
import { CoinGeckoError } from "./coingecko.ts";

/** The part of the CoinGecko client a chart needs. */
export interface JsonFetcher {
  /** Fetches a URL of the API (spaced and retried) and reads its JSON. */
  fetchJson(url: string, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** What to fetch. */
export interface ChartRequest {
  /** The API's base URL, without a trailing slash. */
  baseUrl: string;
  /** The span's start, ms since the epoch. */
  from: number;
  /** The span's end, ms. */
  to: number;
  /** Aborting stops the request. */
  signal?: AbortSignal;
}

/**
 * The URL of a coin's chart over a span (whole seconds, as the API takes them).
 *
 * @param baseUrl The API's base URL.
 * @param coin The coin.
 * @param span Start and end, ms since the epoch.
 * @returns The URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chartUrl } from "./coingecko_chart.ts";
 * const api = "https://api.coingecko.com/api/v3";
 * assert.equal(
 *   chartUrl(api, { id: "bitcoin", symbol: "BTC" }, { from: 1_000_500, to: 4_600_000 }),
 *   `${api}/coins/bitcoin/market_chart/range?vs_currency=usd&from=1000&to=4600`,
 * );
 * ```
 */
export function chartUrl(baseUrl: string, coin: Coin, span: { from: number; to: number }): string {
  const from = Math.floor(span.from / 1000);
  const to = Math.ceil(span.to / 1000);
  return `${baseUrl}/coins/${
    encodeURIComponent(coin.id)
  }/market_chart/range?vs_currency=usd&from=${from}&to=${to}`;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Reads a chart: a tick per point of `prices` with a usable time and price (within the span),
 * with the market cap and volume of the same time when given, in time order.
 *
 * @param body The parsed JSON.
 * @param coin The coin.
 * @param span Start and end, ms: points outside are left out.
 * @returns The ticks (`fetchedAt` the point's time, `cycle` 0) and how many points were unusable.
 * @throws {CoinGeckoError} When the answer has no list of prices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseChart } from "./coingecko_chart.ts";
 * const chart = { prices: [[1_700_000_000_123, 100.5]], market_caps: [], total_volumes: [] };
 * const { ticks } = parseChart(chart, { id: "bitcoin", symbol: "BTC" }, { from: 0, to: 2e12 });
 * assert.deepEqual([ticks[0]?.priceUsd, ticks[0]?.lastUpdated], [100.5, 1700000000]);
 * ```
 */
export function parseChart(
  body: unknown,
  coin: Coin,
  span: { from: number; to: number },
): { ticks: PriceTick[]; unusable: number } {
  const fields = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : null;
  if (!fields || !Array.isArray(fields.prices)) {
    throw new CoinGeckoError(
      `CoinGecko's chart of ${coin.id} has no list of prices: ${
        (JSON.stringify(body) ?? String(body)).slice(0, 80)
      }`,
      { status: 200 },
    );
  }
  const byTime = (list: unknown) => {
    const map = new Map<number, number>();
    if (Array.isArray(list)) {
      for (const point of list) {
        if (Array.isArray(point) && finite(point[0]) && finite(point[1])) {
          map.set(point[0], point[1]);
        }
      }
    }
    return map;
  };
  const caps = byTime(fields.market_caps);
  const volumes = byTime(fields.total_volumes);
  const ticks: PriceTick[] = [];
  let unusable = 0;
  for (const point of fields.prices) {
    const [at, price] = Array.isArray(point) ? point : [];
    if (!finite(at) || !finite(price) || price <= 0 || at < span.from || at > span.to) {
      unusable++;
      continue;
    }
    ticks.push({
      coinId: coin.id,
      symbol: coin.symbol,
      priceUsd: price,
      volume24h: volumes.get(at) ?? null,
      marketCap: caps.get(at) ?? null,
      change24h: null,
      lastUpdated: Math.floor(at / 1000),
      fetchedAt: at,
      cycle: 0,
    });
  }
  ticks.sort((a, b) => a.fetchedAt - b.fetchedAt);
  return { ticks, unusable };
}

/**
 * Fetches and reads a coin's chart over a span.
 *
 * @param client The CoinGecko client.
 * @param coin The coin.
 * @param request Base URL, span and abort signal.
 * @returns The ticks, in time order, and how many points were unusable.
 * @throws {CoinGeckoError} When no usable answer came.
 */
export async function fetchChart(
  client: JsonFetcher,
  coin: Coin,
  request: ChartRequest,
): Promise<{ ticks: PriceTick[]; unusable: number }> {
  const body = await client.fetchJson(
    chartUrl(request.baseUrl, coin, request),
    request.signal ? { signal: request.signal } : {},
  );
  return parseChart(body, coin, request);
}
