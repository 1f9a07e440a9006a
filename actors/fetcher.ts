/**
 * The Fetcher: every interval, one CoinGecko request for all coins; usable prices go on.
 *
 * @module
 */
import type { Coin } from "../config/types.ts";
import type { Actor } from "../runtime/actor.ts";
import type { Clock } from "../runtime/delay.ts";
import { CoinGeckoError, type FetchOutcome } from "../sources/coingecko.ts";
import type { PriceTick } from "../market/price_tick.ts";
import type { ProduceReport } from "../report/produce_report.ts";

/** State that outlives a run of the Fetcher, so a restart neither renumbers nor repeats. */
export interface FetcherState {
  /** The last cycle started. */
  cycle: number;
  /** Each coin's last published `last_updated`, for `--only-changed`. */
  lastUpdated: Map<string, number | null>;
}

/** What the Fetcher needs. */
export interface FetcherOptions {
  /** The price source. */
  client: {
    fetchPrices(
      coins: readonly Coin[],
      cycle: number,
      options: { signal?: AbortSignal },
    ): Promise<FetchOutcome>;
  };
  /** The coins. */
  coins: readonly Coin[];
  /** From the start of one fetch to the next, milliseconds. */
  intervalMs: number;
  /** Cycles before the Fetcher ends, or null for no end. */
  iterations: number | null;
  /** Hand on a coin only when its `last_updated` moved. */
  onlyChanged: boolean;
  /** Cycle number and last prices, kept across restarts. */
  state: FetcherState;
  /** Progress output. */
  report: ProduceReport;
  /** Waits between cycles. */
  clock: Clock;
}

/**
 * Makes the Fetcher actor.
 *
 * @param options Source, coins, schedule and report.
 * @returns The actor; it ends after `iterations` cycles, or when its signal aborts.
 *
 * @example
 * ```ts ignore
 * const actor = fetcher({ client, coins, intervalMs: 10_000, iterations: 3, onlyChanged: false,
 *   state: { cycle: 0, lastUpdated: new Map() }, report, clock: systemClock });
 * ```
 */
export function fetcher(options: FetcherOptions): Actor<unknown, PriceTick> {
  const { client, coins, intervalMs, iterations, onlyChanged, state, report, clock } = options;
  return async (_inbox, outbox, ctx) => {
    while (iterations === null || state.cycle < iterations) {
      const cycle = ++state.cycle;
      const nextFetchAt = clock.now() + intervalMs;
      report.cycleStarted(cycle);
      let sent = 0;
      try {
        const { ticks, skipped } = await client.fetchPrices(coins, cycle, { signal: ctx.signal });
        for (const coin of skipped) report.coinSkipped(cycle, coin);
        for (const tick of ticks) {
          const unchanged = onlyChanged && tick.lastUpdated !== null &&
            state.lastUpdated.get(tick.coinId) === tick.lastUpdated;
          if (unchanged) {
            report.unchanged(tick);
            continue;
          }
          report.fetched(tick);
          await outbox.send(tick);
          // Remembered only once handed on, so a price lost to a crash is not taken as unchanged.
          state.lastUpdated.set(tick.coinId, tick.lastUpdated);
          sent++;
        }
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        report.cycleFailed(cycle, error);
        if (!(error instanceof CoinGeckoError)) {
          // A crash: close the iteration as failed, then let the supervisor restart the Fetcher.
          report.cycleFetched(cycle, sent, null);
          throw error;
        }
      }
      const last = iterations !== null && cycle >= iterations;
      report.cycleFetched(cycle, sent, last ? null : nextFetchAt);
      if (last) return;
      const wait = nextFetchAt - clock.now();
      if (wait > 0) await clock.sleep(wait, { signal: ctx.signal });
    }
  };
}
