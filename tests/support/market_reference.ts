/**
 * An independent computation of the candles of every market (docs/candles.md#markets), from the
 * records as they were written: the raw JSON of price and trade messages, or the matches the
 * feed's stand-in sent. Nothing here comes from the product's code but types: window lengths are
 * literal milliseconds, the event time and the identity are read from the JSON, the taker's side
 * from Coinbase's maker side.
 *
 * @module
 */

/** One observation as a reference reads it. */
export interface RawObservation {
  /** `coingecko` or `coinbase`. */
  source: string;
  /** `BTC-EUR`. */
  product: string;
  /** Event time, ms since the epoch. */
  time: number;
  price: number;
  /** Trade size, or null for a price snapshot. */
  size: number | null;
  /** Coinbase's `side` (the maker's order side), or null for a price snapshot. */
  makerSide: "buy" | "sell" | null;
  /** What makes two observations of a market the same one. */
  identity: string;
}

/** A reference candle, in the store's terms. */
export interface ReferenceCandle {
  source: string;
  product: string;
  symbol: string;
  quote: string;
  interval: string;
  windowStart: number;
  windowEnd: number;
  open: number;
  high: number;
  low: number;
  close: number;
  samples: number;
  trades: number;
  volume: number | null;
  buyVolume: number | null;
  sellVolume: number | null;
  vwap: number | null;
  firstEvent: number;
  lastEvent: number;
}

const WINDOW_MS: Record<string, number> = {
  "1m": 60 * 1000,
  "5m": 5 * 60 * 1000,
  "15m": 15 * 60 * 1000,
  "30m": 30 * 60 * 1000,
  "1h": 60 * 60 * 1000,
  "4h": 4 * 60 * 60 * 1000,
  "1d": 24 * 60 * 60 * 1000,
};

/** The fields of a price message (docs/messages.md) a reference reads. */
export interface PriceFields {
  symbol: string;
  price_usd: number;
  /** CoinGecko's time of the price, Unix seconds, or null. */
  last_updated: number | null;
  /** When the price was read, ISO-8601. */
  timestamp: string;
}

/**
 * A price message's observation: market `coingecko` / `{symbol}-USD`, event time `last_updated`
 * (Unix seconds, to the nearest millisecond) or, when that is null, `timestamp`; identity the
 * event time.
 *
 * @param message The message's fields.
 * @returns The observation.
 */
export function priceFromMessage(message: PriceFields): RawObservation {
  const time = message.last_updated === null
    ? new Date(message.timestamp).getTime()
    : Math.round(message.last_updated * 1000);
  return {
    source: "coingecko",
    product: `${message.symbol}-USD`,
    time,
    price: message.price_usd,
    size: null,
    makerSide: null,
    identity: `t${time}`,
  };
}

/**
 * A price record's observation ({@linkcode priceFromMessage}), from the record's value.
 *
 * @param json The record's value.
 * @returns The observation.
 */
export function priceFromJson(json: string): RawObservation {
  return priceFromMessage(JSON.parse(json));
}

/** The fields of a trade message (docs/messages.md#trades) a reference reads. */
export interface TradeFields {
  source: string;
  product_id: string;
  trade_id: number;
  price: number;
  size: number;
  /** Coinbase's side: the maker's. */
  side: string;
  time: string;
}

/**
 * A trade message's observation: market `source` / `product_id`, identity `trade_id`.
 *
 * @param message The message's fields.
 * @returns The observation.
 */
export function tradeFromMessage(message: TradeFields): RawObservation {
  return {
    source: message.source,
    product: message.product_id,
    time: new Date(message.time).getTime(),
    price: message.price,
    size: message.size,
    makerSide: message.side as "buy" | "sell",
    identity: `id${message.trade_id}`,
  };
}

/**
 * A trade record's observation ({@linkcode tradeFromMessage}), from the record's value.
 *
 * @param json The record's value.
 * @returns The observation.
 */
export function tradeFromJson(json: string): RawObservation {
  return tradeFromMessage(JSON.parse(json));
}

/**
 * A match of the feed (decimal strings) as an observation.
 *
 * @param match The match.
 * @returns The observation.
 */
export function tradeFromMatch(
  match: {
    product_id: string;
    trade_id: number;
    price: string;
    size: string;
    side: string;
    time: string;
  },
): RawObservation {
  return {
    source: "coinbase",
    product: match.product_id,
    time: new Date(match.time).getTime(),
    price: Number(match.price),
    size: Number(match.size),
    makerSide: match.side as "buy" | "sell",
    identity: `id${match.trade_id}`,
  };
}

/**
 * The candles of every market and interval, a repeated observation counted once.
 *
 * @param observations The observations, each market's in the order they were read.
 * @param intervals The intervals.
 * @returns By `source|product|interval|windowStart`.
 */
export function marketCandles(
  observations: readonly RawObservation[],
  intervals: readonly string[],
): Map<string, ReferenceCandle> {
  // The first of a market's observations with one identity counts; the others are repeats.
  const distinct = new Map<string, RawObservation>();
  for (const o of observations) {
    const key = `${o.source}|${o.product}|${o.identity}`;
    if (!distinct.has(key)) distinct.set(key, o);
  }
  const groups = new Map<string, RawObservation[]>();
  for (const o of distinct.values()) {
    for (const interval of intervals) {
      const size = WINDOW_MS[interval]!;
      const start = Math.floor(o.time / size) * size;
      const key = `${o.source}|${o.product}|${interval}|${start}`;
      const group = groups.get(key) ?? [];
      group.push(o);
      groups.set(key, group);
    }
  }
  const out = new Map<string, ReferenceCandle>();
  for (const [key, group] of groups) {
    const [source, product, interval, start] = key.split("|") as [string, string, string, string];
    const [symbol, quote] = product.split("-") as [string, string];
    const isTrade = group[0]!.size !== null;
    // Sums in the order the observations were read; the volume is, by definition, buy + sell.
    let buy = 0, sell = 0, notional = 0;
    for (const o of group) {
      if (o.size === null) continue;
      notional += o.price * o.size;
      // Coinbase names the maker's side: a maker selling means the taker bought.
      if (o.makerSide === "sell") buy += o.size;
      else sell += o.size;
    }
    const volume = buy + sell;
    // By event time; ties by arrival (a stable sort): open the first, close the last.
    group.sort((a, b) => a.time - b.time);
    out.set(key, {
      source,
      product,
      symbol,
      quote,
      interval,
      windowStart: Number(start),
      windowEnd: Number(start) + WINDOW_MS[interval]!,
      open: group[0]!.price,
      high: Math.max(...group.map((o) => o.price)),
      low: Math.min(...group.map((o) => o.price)),
      close: group[group.length - 1]!.price,
      samples: group.length,
      trades: group.length,
      volume: isTrade ? volume : null,
      buyVolume: isTrade ? buy : null,
      sellVolume: isTrade ? sell : null,
      vwap: isTrade ? notional / volume : null,
      firstEvent: group[0]!.time,
      lastEvent: group[group.length - 1]!.time,
    });
  }
  return out;
}

/** The numeric fields compared to 1e-9 relative rather than exactly (sums in another order). */
const SUMS = ["volume", "buyVolume", "sellVolume", "vwap"] as const;

/**
 * The differences between stored candles and the reference: a line per candle missing, extra,
 * or differing in a field (sums to 1e-9 relative, everything else exactly).
 *
 * @param rows The stored candles.
 * @param expected The reference.
 * @returns The differences; empty when they agree.
 */
export function candleDifferences(
  rows: readonly Record<string, unknown>[],
  expected: ReadonlyMap<string, ReferenceCandle>,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const key = `${row.source}|${row.product}|${row.interval}|${row.windowStart}`;
    seen.add(key);
    const want = expected.get(key);
    if (!want) {
      problems.push(`unexpected candle ${key}`);
      continue;
    }
    for (const [field, value] of Object.entries(want)) {
      const got = row[field];
      if ((SUMS as readonly string[]).includes(field) && typeof value === "number") {
        const ok = typeof got === "number" &&
          Math.abs(got - value) <= 1e-9 * Math.max(Math.abs(got), Math.abs(value));
        if (!ok) problems.push(`${key} ${field}: ${got} against ${value}`);
      } else if (got !== value) {
        problems.push(`${key} ${field}: ${JSON.stringify(got)} against ${JSON.stringify(value)}`);
      }
    }
  }
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`missing candle ${key}`);
  return problems;
}
