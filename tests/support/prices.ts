/**
 * Price recordings for the candle tests: price message lines (docs/messages.md) with chosen event times, as
 * `deno task consume --format json` prints them and `produce --source replay:FILE` reads them.
 *
 * @module
 */
import type { PriceMessage } from "../../market/messages/price_message.ts";

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

/** A price jump planted in {@linkcode plantedMarket}. */
export interface PlantedJump {
  /** The symbol. */
  symbol: string;
  /** The minute (from the start) over which the price moves. */
  minute: number;
  /** How far it moves from the minute's first price to its last, in percent. */
  pct: number;
}

/**
 * A calm market with planted jumps, for the alert tests: each symbol's price every 10 s for
 * `minutes` minutes, in order, each step a seeded wiggle of at most ±0.1 %; over a planted
 * minute the price moves by the jump's percentage from its first price to its last. Every
 * seventh price is sent twice (CoinGecko repeats a price until it refreshes).
 *
 * @param options Seed, symbols, start (Unix seconds), length and jumps.
 * @returns The prices in arrival order.
 */
export function plantedMarket(
  options: {
    seed: number;
    symbols: string[];
    start: number;
    minutes: number;
    jumps: readonly PlantedJump[];
  },
): PriceMessage[] {
  const rnd = seeded(options.seed);
  const out: PriceMessage[] = [];
  const price = new Map(options.symbols.map((s, i) => [s, 1000 * (i + 1)]));
  for (let minute = 0; minute < options.minutes; minute++) {
    for (const symbol of options.symbols) {
      const jump = options.jumps.find((j) => j.symbol === symbol && j.minute === minute);
      for (let step = 0; step < 6; step++) {
        let p = price.get(symbol)!;
        if (jump && step > 0) p *= (1 + jump.pct / 100) ** (1 / 5);
        else p *= 1 + (rnd() - 0.5) / 500;
        p = Math.round(p * 100) / 100;
        price.set(symbol, p);
        out.push(recordedPrice(symbol, options.start + minute * 60 + step * 10, p));
        if (out.length % 7 === 0) out.push({ ...out[out.length - 1]! });
      }
    }
  }
  return out;
}
