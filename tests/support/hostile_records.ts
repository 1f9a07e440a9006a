/**
 * Good prices and trades with hostile records among them, for the tests and the fault-suite row
 * that check a bad record never stops nor spoils the candles (docs/messages.md#dead-letters):
 * the records as text, written to real topics by `kcat` (a client independent of the program),
 * what each hostile one must be refused for, and the observations the good ones make, for an
 * independent candle computation.
 *
 * @module
 */
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { priceFromJson, type RawObservation, tradeFromJson } from "./market_reference.ts";
import { recordedPrice, seeded } from "./prices.ts";

/** One record to write. */
export interface TopicRecord {
  /** `prices` or `trades`: which of the two topics. */
  topic: "prices" | "trades";
  /** The key (never holding a tab or a newline: kcat reads a record a line, key tab value). */
  key: string;
  /** The value's text (JSON, on one line). */
  value: string;
  /** For a hostile record: the field its refusal must name, and what kind it is. */
  hostile: { field: string; kind: string } | null;
}

/** A trade message as the program writes them (docs/messages.md#trades). */
export interface TradeValue {
  symbol: string;
  product_id: string;
  trade_id: number;
  price: number;
  size: number;
  side: "buy" | "sell";
  time: string;
  sequence: number | null;
  received_at: string;
  source: string;
}

/** A good price record. */
export function priceRecord(price: PriceMessage): TopicRecord {
  return { topic: "prices", key: price.symbol, value: JSON.stringify(price), hostile: null };
}

/** A good trade record. */
export function tradeRecord(trade: TradeValue): TopicRecord {
  return { topic: "trades", key: trade.symbol, value: JSON.stringify(trade), hostile: null };
}

/**
 * Trades of some products, in time order per product, interleaved.
 *
 * @param options Seed, products, the first time (ms), trades per product and the largest step.
 * @returns The trades in the order to write them.
 */
export function goodTrades(
  options: { seed: number; products: string[]; start: number; perProduct: number; stepMs: number },
): TradeValue[] {
  const rnd = seeded(options.seed);
  const state = options.products.map((product, i) => ({
    product,
    time: options.start + i * 311,
    price: 100 * (i + 1),
    id: 1_000 * (i + 1),
    left: options.perProduct,
  }));
  const out: TradeValue[] = [];
  while (state.some((s) => s.left > 0)) {
    const live = state.filter((s) => s.left > 0);
    const s = live[Math.floor(rnd() * live.length)]!;
    s.left--;
    s.time += 1 + Math.floor(rnd() * options.stepMs);
    s.price = Math.max(1, Math.round(s.price * (1 + (rnd() - 0.5) / 100) * 100) / 100);
    s.id += 1;
    const time = new Date(s.time).toISOString().replace("Z", "123Z");
    out.push({
      symbol: s.product.split("-")[0]!,
      product_id: s.product,
      trade_id: s.id,
      price: s.price,
      size: Math.round(rnd() * 2e8 + 1) / 1e8,
      side: rnd() < 0.5 ? "buy" : "sell",
      time,
      sequence: s.id * 7,
      received_at: new Date(s.time + 5).toISOString(),
      source: "coinbase",
    });
  }
  return out;
}

/**
 * The observations the good records make, in the order written, read from the records' JSON as
 * an independent candle computation takes them.
 *
 * @param records The records, good and hostile.
 * @returns The good ones' observations.
 */
export function goodObservations(records: readonly TopicRecord[]): RawObservation[] {
  return records.filter((r) => r.hostile === null).map((r) =>
    r.topic === "prices" ? priceFromJson(r.value) : tradeFromJson(r.value)
  );
}

/** The hostile records of the issue, each once, built from a good price and a good trade. */
export function issueHostiles(price: PriceMessage, trade: TradeValue): TopicRecord[] {
  const p = (changes: Partial<Record<keyof PriceMessage, unknown>>, field: string, kind: string) =>
    hostilePrice(price, changes, field, kind);
  const t = (changes: Partial<Record<keyof TradeValue, unknown>>, field: string, kind: string) =>
    hostileTrade(trade, changes, field, kind);
  return [
    p({ last_updated: 1.7e12 }, "last_updated", "last_updated in milliseconds (1.7e12)"),
    p({ last_updated: Date.UTC(2100, 0, 1) / 1000 }, "last_updated", "a price dated 2100"),
    t({ price: 1e200, size: 1e200 }, "price", "a trade of price 1e200 and size 1e200"),
    p({ symbol: "<img src=x>" }, "symbol", "symbol <img src=x>"),
    p({ symbol: "BT\nC" }, "symbol", "a symbol holding a newline"),
    p({ symbol: "X".repeat(2_000) }, "symbol", "a 2,000-character symbol"),
    t({ size: 0 }, "size", "a trade of size 0"),
    t({ time: "2026-02-30T10:00:00.000000Z" }, "time", "a trade whose ISO time is not a date"),
  ];
}

function hostilePrice(
  price: PriceMessage,
  changes: Partial<Record<keyof PriceMessage, unknown>>,
  field: string,
  kind: string,
): TopicRecord {
  const value = { ...price, ...changes, message_id: `HOSTILE-${crypto.randomUUID()}` };
  const symbol = typeof changes.symbol === "string" && !/[\t\n]/.test(changes.symbol)
    ? changes.symbol
    : price.symbol;
  return { topic: "prices", key: symbol, value: JSON.stringify(value), hostile: { field, kind } };
}

function hostileTrade(
  trade: TradeValue,
  changes: Partial<Record<keyof TradeValue, unknown>>,
  field: string,
  kind: string,
): TopicRecord {
  const value = { ...trade, ...changes, trade_id: 9_000_000_000 + Math.floor(Math.random() * 1e9) };
  const symbol = typeof changes.symbol === "string" && !/[\t\n]/.test(changes.symbol)
    ? changes.symbol
    : trade.symbol;
  return { topic: "trades", key: symbol, value: JSON.stringify(value), hostile: { field, kind } };
}

/**
 * A hostile record of a random kind, its values fuzzed: what the issue lists and more of the
 * same families (times in milliseconds, in the future, before 2009, not dates; symbols with
 * markup, control characters, lower case, too long; prices and sizes of zero, negative, 1e12 and
 * more, text; products that are not `BASE-QUOTE` or not the symbol's).
 *
 * @param rnd The random source.
 * @param price A good price to spoil.
 * @param trade A good trade to spoil.
 * @returns The record.
 */
export function fuzzedHostile(
  rnd: () => number,
  price: PriceMessage,
  trade: TradeValue,
): TopicRecord {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const now = Date.now() / 1000;
  const badSymbol = () =>
    pick([
      "<img src=x>",
      "<script>alert(1)</script>",
      "BT\nC",
      "BTC\u0000",
      "\u001b[2JBTC",
      "X".repeat(16 + Math.floor(rnd() * 3_000)),
      "btc",
      "ÄBC",
      "币",
      "",
      "BTC USD",
    ]);
  const kinds: (() => TopicRecord)[] = [
    () =>
      hostilePrice(
        price,
        {
          last_updated: Math.round(Number(price.last_updated) * 1000 + rnd() * 1e6),
        },
        "last_updated",
        "last_updated in milliseconds",
      ),
    () =>
      hostilePrice(
        price,
        {
          last_updated: Math.round(now + 301 + rnd() * 4e9),
        },
        "last_updated",
        "last_updated in the future",
      ),
    () =>
      hostilePrice(
        price,
        {
          last_updated: Math.round(rnd() * 1_230_940_799),
        },
        "last_updated",
        "last_updated before 2009",
      ),
    () => hostilePrice(price, { symbol: badSymbol() }, "symbol", "a bad symbol"),
    () =>
      hostilePrice(
        price,
        {
          price_usd: pick([0, -0.01, -1e6, 1e12, 1e12 + rnd() * 1e300, "45234.56", null]),
        },
        "price_usd",
        "a bad price",
      ),
    () =>
      hostilePrice(
        price,
        {
          last_updated: null,
          timestamp: pick([
            "2026-02-30T10:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-01-01T24:00:00.000Z",
            "2100-01-01T00:00:00.000Z",
          ]),
        },
        "timestamp",
        "a timestamp event time that is no date or in the future",
      ),
    () =>
      hostileTrade(
        trade,
        {
          price: 1e200 * (1 + rnd()),
          size: 1e200,
        },
        "price",
        "price and size 1e200",
      ),
    () =>
      hostileTrade(
        trade,
        {
          size: pick([0, -1, 1e12, 1e13 * (1 + rnd())]),
        },
        "size",
        "a bad size",
      ),
    () =>
      hostileTrade(
        trade,
        {
          price: pick([0, -5, 1e12, 5e15]),
        },
        "price",
        "a bad price",
      ),
    () =>
      hostileTrade(
        trade,
        {
          time: pick([
            "2026-02-30T10:00:00.000000Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "yesterday",
            "2100-01-01T00:00:00Z",
            "2008-12-31T23:59:59Z",
          ]),
        },
        "time",
        "a time that is no date, or out of bounds",
      ),
    () =>
      hostileTrade(
        trade,
        {
          product_id: pick(["BTCUSD", "btc-usd", "ETH-USD", "<b>-USD", "-USD"]),
        },
        "product_id",
        "a bad product",
      ),
    () => hostileTrade(trade, { symbol: badSymbol() }, "symbol", "a bad symbol"),
  ];
  return pick(kinds)();
}

/**
 * Good prices of some symbols, one every few seconds each, in time order with some repeats (the
 * way CoinGecko serves them).
 *
 * @param options Seed, symbols, the first time (Unix seconds) and how many.
 * @returns The prices in the order to write them.
 */
export function goodPrices(
  options: { seed: number; symbols: string[]; start: number; count: number },
): PriceMessage[] {
  const rnd = seeded(options.seed);
  const level = new Map(options.symbols.map((s, i) => [s, 100 * (i + 1)]));
  const out: PriceMessage[] = [];
  let second = 0;
  while (out.length < options.count) {
    second += 1 + Math.floor(rnd() * 3);
    const symbol = options.symbols[Math.floor(rnd() * options.symbols.length)]!;
    const p = Math.round(level.get(symbol)! * (1 + (rnd() - 0.5) / 50) * 100) / 100;
    level.set(symbol, p);
    out.push(recordedPrice(symbol, options.start + second, p));
    if (rnd() < 0.1 && out.length < options.count) out.push({ ...out[out.length - 1]! });
  }
  return out;
}

/**
 * Puts hostile records among good ones at seeded places.
 *
 * @param good The good records, in order.
 * @param hostile The hostile ones.
 * @param seed The seed.
 * @returns All of them, each hostile one at a random place, the good ones in their order.
 */
export function interleave(
  good: readonly TopicRecord[],
  hostile: readonly TopicRecord[],
  seed: number,
): TopicRecord[] {
  const rnd = seeded(seed);
  const at = new Map<number, TopicRecord[]>();
  for (const record of hostile) {
    const i = Math.floor(rnd() * (good.length + 1));
    at.set(i, [...(at.get(i) ?? []), record]);
  }
  const out: TopicRecord[] = [];
  for (let i = 0; i <= good.length; i++) {
    out.push(...(at.get(i) ?? []));
    if (i < good.length) out.push(good[i]!);
  }
  return out;
}

/**
 * Writes records to a topic with `kcat`, a client independent of the program: one line a
 * record, key and value separated by a tab, the headers given for every record.
 *
 * @param brokers Bootstrap servers.
 * @param topic The topic (it must exist).
 * @param records The records, in order.
 * @param headers The headers of every record.
 */
export async function writeWithKcat(
  brokers: string,
  topic: string,
  records: readonly TopicRecord[],
  headers: Record<string, string>,
): Promise<void> {
  for (const r of records) {
    if (/[\t\n]/.test(r.key) || /[\n]/.test(r.value)) {
      throw new Error(`Cannot write ${r.key.slice(0, 20)} with kcat: a tab or a newline`);
    }
  }
  const child = new Deno.Command("kcat", {
    args: [
      "-P",
      "-b",
      brokers,
      "-t",
      topic,
      "-K",
      "\t",
      "-z",
      "gzip",
      ...Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}=${value}`]),
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const lines = records.map((r) => `${r.key}\t${r.value}`);
  for (let i = 0; i < lines.length; i += 5_000) {
    await writer.write(encoder.encode(lines.slice(i, i + 5_000).join("\n") + "\n"));
  }
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(`kcat failed: ${new TextDecoder().decode(output.stderr)}`);
  }
}
