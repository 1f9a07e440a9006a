/**
 * The bench's messages: price messages of about 300 bytes, as a replay recording (JSON lines),
 * as ready-made records for the plain clients, and as a file for kcat.
 *
 * @module
 */
import { PRICE_HEADERS } from "../market/messages/price_message.ts";

const COINS: [string, string, number][] = [
  ["bitcoin", "BTC", 45234.56],
  ["ethereum", "ETH", 3198.23],
  ["solana", "SOL", 142.5],
  ["cardano", "ADA", 0.45],
  ["dogecoin", "DOGE", 0.081],
  ["ripple", "XRP", 0.61],
];

/**
 * One price message as a JSON line; `i` makes its timestamp (hence its `message_id`) unique.
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

/** A ready-made record for the plain clients: the key, the value and the headers of the product. */
export interface PlainRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * The records the plain clients send: the same values, keys and headers as the pipeline's.
 *
 * @param count How many.
 * @returns The records.
 */
export function plainRecords(count: number): PlainRecord[] {
  const records: PlainRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = priceLine(i);
    records.push({ key: COINS[i % COINS.length]![1], value, headers: { ...PRICE_HEADERS } });
  }
  return records;
}

/**
 * Writes the records for kcat: `KEY<TAB>VALUE`, one a line (the values have neither).
 *
 * @param path Where.
 * @param records The records.
 */
export async function writeRecordsFile(
  path: string,
  records: readonly PlainRecord[],
): Promise<void> {
  await Deno.writeTextFile(path, records.map((r) => `${r.key}\t${r.value}\n`).join(""));
}
