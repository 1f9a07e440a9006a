/**
 * Price recordings for the candle tests: SPEC §4 message lines with chosen event times, as
 * `deno task consume --format json` prints them and `produce --source replay:FILE` reads them.
 *
 * @module
 */
import type { PriceMessage } from "../../market/price.ts";

/**
 * One recorded price.
 *
 * @param symbol The symbol.
 * @param lastUpdated Its event time, Unix seconds.
 * @param price The price.
 * @returns The message.
 */
export function recordedPrice(symbol: string, lastUpdated: number, price: number): PriceMessage {
  return {
    symbol,
    coin_id: symbol.toLowerCase(),
    price_usd: price,
    volume_24h: null,
    market_cap: null,
    price_change_24h: null,
    last_updated: lastUpdated,
    timestamp: new Date(lastUpdated * 1000 + 700).toISOString(),
    producer_id: "deno-producer-v1",
    message_id: `${symbol}-${lastUpdated}`,
  };
}

/**
 * Writes a recording to a temporary file.
 *
 * @param prices The prices, in order.
 * @returns The file's path.
 */
export async function writeRecording(prices: readonly PriceMessage[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "prices-", suffix: ".jsonl" });
  await Deno.writeTextFile(file, prices.map((p) => JSON.stringify(p)).join("\n") + "\n");
  return file;
}

/** A seeded random source, so that a failing run can be repeated. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A market of `symbols` prices refreshing every few seconds for `minutes`, the way CoinGecko
 * serves them: each price repeated until it refreshes, some arriving up to `disorderS` seconds
 * out of order.
 *
 * @param options Seed, symbols, length and disorder.
 * @returns The prices in arrival order.
 */
export function market(
  options: { seed: number; symbols: string[]; start: number; minutes: number; disorderS: number },
): PriceMessage[] {
  const rnd = seeded(options.seed);
  const out: PriceMessage[] = [];
  const price = new Map(options.symbols.map((s, i) => [s, 100 * (i + 1)]));
  for (let second = 0; second < options.minutes * 60; second += 3) {
    for (const symbol of options.symbols) {
      if (rnd() < 0.3) continue;
      const p = Math.round(price.get(symbol)! * (1 + (rnd() - 0.5) / 50) * 100) / 100;
      price.set(symbol, p);
      const at = options.start + second - Math.floor(rnd() * (options.disorderS + 1));
      out.push(recordedPrice(symbol, at, p));
      if (rnd() < 0.25) out.push({ ...out[out.length - 1]! });
    }
  }
  return out;
}
