/**
 * What the trade tests share: a seeded script of trades with chosen times, the §11 message a
 * match of the stand-in must become, and the observations an independent candle computation
 * takes from them (read from the matches as sent, nothing of the product's code).
 *
 * @module
 */
import { type CoinbaseStub, microTime, type StubMatch, type StubTrade } from "./coinbase_stub.ts";
import { type RawObservation, tradeFromMatch } from "./market_reference.ts";
import { seeded } from "./prices.ts";

/** Options for {@linkcode tradeScript}. */
export interface TradeScriptOptions {
  /** The random seed. */
  seed: number;
  /** The products. */
  products: readonly string[];
  /** The first trade's time, ms since the epoch. */
  start: number;
  /** Trades per product. */
  perProduct: number;
  /** The largest step between two trades of a product, ms (a step is 1 ms at least). */
  maxStepMs: number;
}

/**
 * Trades of some products, interleaved, each product's times strictly increasing (with
 * microseconds, as the feed sends them), prices a random walk of cents, sizes of 8 decimals.
 *
 * @param options Seed, products, start, count and pace.
 * @returns The trades, in the order to send them.
 */
export function tradeScript(options: TradeScriptOptions): StubTrade[] {
  const rnd = seeded(options.seed);
  const state = options.products.map((product, i) => ({
    product,
    time: options.start + i * 137,
    cents: Math.round((100 + i * 1_000) * 100),
    left: options.perProduct,
  }));
  const trades: StubTrade[] = [];
  while (state.some((s) => s.left > 0)) {
    const live = state.filter((s) => s.left > 0);
    const s = live[Math.floor(rnd() * live.length)]!;
    s.left--;
    s.time += 1 + Math.floor(rnd() * options.maxStepMs) + Math.floor(rnd() * 1000) / 1000;
    s.cents = Math.max(100, s.cents + Math.round((rnd() - 0.5) * 400));
    trades.push({
      product: s.product,
      price: (s.cents / 100).toFixed(2),
      size: (rnd() * 2 + 0.00000001).toFixed(8),
      side: rnd() < 0.5 ? "buy" : "sell",
      time: microTime(s.time),
    });
  }
  return trades;
}

/**
 * The trade message (docs/messages.md) a match must become, but for `received_at` (when it was read).
 *
 * @param match The match as the stand-in sent it.
 * @returns The message's fields, `received_at` left out.
 */
export function expectedTrade(match: StubMatch): Record<string, unknown> {
  return {
    symbol: match.product_id.split("-")[0],
    product_id: match.product_id,
    trade_id: match.trade_id,
    price: Number(match.price),
    size: Number(match.size),
    side: match.side,
    time: match.time,
    sequence: match.sequence,
    source: "coinbase",
  };
}

/**
 * The observations candles are made of: every distinct match the stand-in sent, each of market
 * `coinbase` / its product, identified by its `trade_id`, its taker the other side than Coinbase's
 * (the maker's) `side`.
 *
 * @param stub The stand-in.
 * @returns The observations, product by product in trade id order.
 */
export function sentObservations(stub: CoinbaseStub): RawObservation[] {
  return [...stub.sent.values()].flat().map(tradeFromMatch);
}

/**
 * The observations of every trade the stand-in made, those the socket never sent included (what
 * REST has): what candles are made of once every gap is repaired.
 *
 * @param stub The stand-in.
 * @returns The observations, product by product in trade id order.
 */
export function madeObservations(stub: CoinbaseStub): RawObservation[] {
  return [...stub.history.values()].flat().map(tradeFromMatch);
}

/**
 * Whether two numbers agree to 1e-9 relative (or are both null).
 *
 * @param a One.
 * @param b The other.
 * @returns True when `|a - b| <= 1e-9 * max(|a|, |b|)`.
 */
export function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Polls until `condition` holds.
 *
 * @param what What is waited for, for the error.
 * @param condition The test.
 * @param timeoutMs How long. @default {60_000}
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
