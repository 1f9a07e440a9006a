/**
 * Candles over many markets: the same number of trades over 1,000 products against over 10,
 * each run `bin/candles.ts` as a process (this checkout's `deno task candles` flags) into a fresh
 * SQLite store, timed from its partitions' assignment to the store holding every trade in a
 * closed 1m candle, its resident memory sampled every 50 ms until it exits.
 *
 * @module
 */
import { candlesProcess, candlesTaskFlags, currentCheckout } from "./baseline.ts";
import { candleTrades, INTERVALS, scaleProducts } from "./candles.ts";
import { type BenchOptions, median, round, say } from "./common.ts";
import { produceKafkajs } from "./produce.ts";

/** The market counts compared, fewest first. */
export const SCALE_MARKETS = [10, 1000] as const;

/** How often the process's resident memory is read, ms. */
const RSS_EVERY_MS = 50;

/**
 * Runs the scale rows: for each market count a topic of `count` trades (the last one per product
 * two hours later, closing every window), then in each repetition `bin/candles.ts` over each
 * topic, the order changing from one repetition to the next.
 *
 * @param opts The bench options.
 * @param options Trades per run and repetitions.
 * @returns The figures for `results.json` and the topics made (to delete).
 */
export async function candlesScale(
  opts: BenchOptions,
  options: { count: number; repetitions: number },
): Promise<{ figures: Record<string, unknown>; topics: string[] }> {
  const checkout = await currentCheckout();
  const flags = await candlesTaskFlags(opts.tmp);
  const topics: string[] = [];
  const filled: { markets: number; topic: string; messages: number; closing: number }[] = [];
  for (const markets of SCALE_MARKETS) {
    const data = candleTrades(options.count, scaleProducts(markets));
    const fill = await produceKafkajs(opts, { records: data.records, batch: 500, gzip: false });
    topics.push(fill.topic);
    filled.push({
      markets,
      topic: fill.topic,
      messages: data.records.length,
      closing: data.closing,
    });
  }
  const rates: Record<number, number[]> = {};
  const peaks: Record<number, number[]> = {};
  for (let r = 0; r < options.repetitions; r++) {
    const order = r % 2 === 0 ? filled : [...filled].reverse();
    const line: string[] = [];
    for (const { markets, topic, messages, closing } of order) {
      const run = await candlesProcess(opts, {
        checkout,
        flags,
        topic,
        messages,
        closing,
        store: `sqlite:${opts.tmp}/scale-${markets}-${r}.db`,
        intervals: INTERVALS,
        rssEveryMs: RSS_EVERY_MS,
      });
      topics.push(...run.topics);
      (rates[markets] ??= []).push(run.rate);
      if (run.peakRssMb !== null) (peaks[markets] ??= []).push(run.peakRssMb);
      line.push(
        `${markets} markets ${run.rate.toFixed(0)}/s, peak RSS ${
          run.peakRssMb?.toFixed(1) ?? "n/a"
        } MB`,
      );
    }
    say(`candles scale #${r + 1}: ${line.join("; ")}`);
  }
  const [few, many] = SCALE_MARKETS;
  const figures: Record<string, unknown> = {
    messages: filled[0]!.messages,
    repetitions: options.repetitions,
    intervals: INTERVALS,
    rss_every_ms: RSS_EVERY_MS,
    [`markets_${few}`]: round(median(rates[few] ?? [])),
    [`markets_${many}`]: round(median(rates[many] ?? [])),
    [`rss_mb_${few}`]: round(median(peaks[few] ?? []), 1),
    [`rss_mb_${many}`]: round(median(peaks[many] ?? []), 1),
    runs: Object.fromEntries(
      SCALE_MARKETS.flatMap((m) => [
        [`markets_${m}`, (rates[m] ?? []).map((x) => round(x))],
        [`rss_mb_${m}`, (peaks[m] ?? []).map((x) => round(x, 1))],
      ]),
    ),
  };
  return { figures, topics };
}
