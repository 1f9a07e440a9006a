/**
 * The backfill of prices (docs/trades.md#gap-repair-and-backfill): before the fetcher's first
 * cycle, each coin's prices of the past span, from CoinGecko's chart of it, one observation per
 * point, oldest first, handed to the encoder as any fetched price is.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Coin } from "../config/types.ts";
import type { PriceTick } from "../market/price_tick.ts";
import type { Clock } from "../runtime/delay.ts";
import type { BackfillReport } from "../report/backfill_report.ts";
import { CoinGeckoError } from "../sources/coingecko.ts";
import { fetchChart, type JsonFetcher } from "../sources/coingecko_chart.ts";

const logger = getLogger(["crypto", "coingecko", "backfill"]);

/** What the backfill of prices needs. */
export interface PriceBackfillOptions {
  /** The CoinGecko client. */
  client: JsonFetcher;
  /** The API's base URL. */
  baseUrl: string;
  /** The coins. */
  coins: readonly Coin[];
  /** How far back, ms. */
  spanMs: number;
  /** The count of prices handed on. */
  counts: { fetched(tick: PriceTick): void };
  /** The progress lines. */
  progress: BackfillReport;
  /** The span's end. */
  clock: Clock;
}

/**
 * Hands on each coin's prices of the span, one coin after the other. A coin whose chart does not
 * come is told once and left to the live prices.
 *
 * @param options Client, coins, span, counts, progress and clock.
 * @param send Hands a price on (to the encoder).
 * @param signal Aborting stops it.
 * @returns Resolves once every coin is done (or given up).
 *
 * @example
 * ```ts ignore
 * await backfillCoins({ client, baseUrl, coins, spanMs: 3_600_000, counts: report, progress,
 *   clock: systemClock }, (tick) => outbox.send(tick), ctx.signal);
 * ```
 */
export async function backfillCoins(
  options: PriceBackfillOptions,
  send: (tick: PriceTick) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { client, baseUrl, coins, spanMs, counts, progress, clock } = options;
  const to = clock.now();
  const from = to - spanMs;
  for (const coin of coins) {
    const market = `${coin.symbol} (${coin.id})`;
    let stopped: string | null = null;
    try {
      const { ticks, unusable } = await fetchChart(client, coin, { baseUrl, from, to, signal });
      if (unusable > 0) {
        logger.warn(
          "Backfill of {market}: {count} point(s) of the chart left out (no usable time or price)",
          {
            market,
            count: unusable,
          },
        );
      }
      for (const tick of ticks) {
        counts.fetched(tick);
        await send(tick);
        progress.progress(market, 1, tick.fetchedAt);
      }
    } catch (error) {
      if (!(error instanceof CoinGeckoError)) throw error;
      stopped = error.message;
      logger.warn("Backfill of {market} stopped: {reason}; going on with the live prices", {
        market,
        reason: error.message,
      });
    }
    progress.done(market, stopped);
  }
}
