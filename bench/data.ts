/**
 * The bench's messages: SPEC §4 values of about 300 bytes, as a replay recording (JSON lines)
 * and as ready-made records for plain kafkajs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { MESSAGE_HEADERS } from "../actors/encoder.ts";

const COINS: [string, string, number][] = [
  ["bitcoin", "BTC", 45234.56],
  ["ethereum", "ETH", 3198.23],
  ["solana", "SOL", 142.5],
  ["cardano", "ADA", 0.45],
  ["dogecoin", "DOGE", 0.081],
  ["ripple", "XRP", 0.61],
];

/**
 * One SPEC §4 message as a JSON line; `i` makes its timestamp (hence its `message_id`) unique.
 *
 * @param i The line's number.
 * @param baseMs The first timestamp, ms.
 * @returns The line, without a newline.
 */
export function priceLine(i: number, baseMs = 1_763_000_000_000): string {
  const [coinId, symbol, base] = COINS[i % COINS.length]!;
  const stamp = baseMs + i;
  const price = Number((base * (1 + ((i % 1000) - 500) * 1e-5)).toPrecision(10));
  return JSON.stringify({
    symbol,
    coin_id: coinId,
    price_usd: price,
    volume_24h: Number((price * 630_123.4567).toFixed(2)),
    market_cap: Number((price * 19_512_345.678).toFixed(2)),
    price_change_24h: Number((((i % 13) - 6) * 0.7812).toFixed(4)),
    last_updated: Math.floor(stamp / 1000) - 2,
    timestamp: new Date(stamp).toISOString(),
    producer_id: "deno-producer-v1",
    message_id: `${symbol}-${stamp}`,
  });
}

/**
 * Writes a replay recording of `lines` messages.
 *
 * @param path Where.
 * @param lines How many lines.
 * @returns The average value size in bytes.
 */
export async function writeRecording(path: string, lines: number): Promise<number> {
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; i < lines; i++) {
    const line = priceLine(i);
    bytes += line.length;
    parts.push(line);
  }
  await Deno.writeTextFile(path, parts.join("\n") + "\n");
  return bytes / lines;
}

/**
 * A ready-made record for plain kafkajs: the key, the value and the headers of the product. The
 * value is a string, or a `Buffer` for the contender fed pre-encoded values.
 */
export interface PlainRecord<Value extends string | Buffer = string> {
  key: string;
  value: Value;
  headers: Record<string, string>;
}

/**
 * The records plain kafkajs sends: the same values, keys and headers as the pipeline's.
 *
 * @param count How many.
 * @returns The records.
 */
export function plainRecords(count: number): PlainRecord[] {
  const records: PlainRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = priceLine(i);
    records.push({ key: COINS[i % COINS.length]![1], value, headers: { ...MESSAGE_HEADERS } });
  }
  return records;
}

/**
 * The same records with only the values pre-encoded, `Buffer.from(value)`; keys and headers stay
 * strings. kafkajs copies a `Buffer` value instead of measuring and UTF-8-encoding a string.
 *
 * @param records The records.
 * @returns New records, the same keys and headers, `Buffer` values.
 */
export function bufferRecords(records: readonly PlainRecord[]): PlainRecord<Buffer>[] {
  return records.map(({ key, value, headers }) => ({ key, value: Buffer.from(value), headers }));
}
