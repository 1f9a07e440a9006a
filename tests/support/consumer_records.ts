/**
 * Shared helpers for the consumer tests: valid and bad records, and waiting without a clock.
 *
 * @module
 */
import type { ReadTime } from "../../market/messages/checks.ts";
import type { Decoded } from "../../market/messages/decoded.ts";
import {
  decodePrice,
  encodePrice,
  type PriceMessage,
} from "../../market/messages/price_message.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import type {
  CommitOffset,
  ConsumeOptions,
  ConsumerTransport,
  InRecord,
} from "../../kafka/transport.ts";

/** The fetch time of the README's consume example, `2025-11-12T10:30:45.123Z`. */
export const FETCHED_AT = Date.parse("2025-11-12T10:30:45.123Z");

/** The ten fields of a price message (docs/messages.md), in its order. */
export const MESSAGE_FIELDS = [
  "symbol",
  "coin_id",
  "price_usd",
  "volume_24h",
  "market_cap",
  "price_change_24h",
  "last_updated",
  "timestamp",
  "producer_id",
  "message_id",
] as const;

/** A tick with the price example's numbers unless overridden. */
export function tick(overrides: Partial<PriceTick> = {}): PriceTick {
  return {
    coinId: "bitcoin",
    symbol: "BTC",
    priceUsd: 45234.56,
    volume24h: 28456789012.34,
    marketCap: 886543210987.65,
    change24h: 2.34,
    lastUpdated: 1699876543,
    fetchedAt: FETCHED_AT,
    cycle: 1,
    ...overrides,
  };
}

/** A consumed record carrying a valid message made by `encodePrice`. */
export function validRecord(
  partition: number,
  offset: number | string,
  overrides: Partial<PriceTick> = {},
): InRecord {
  const t = tick(overrides);
  const encoded = encodePrice(t, `${t.symbol}-${t.fetchedAt}`);
  return {
    topic: "crypto-prices",
    partition,
    offset: String(offset),
    key: encoded.key,
    value: encoded.value,
    headers: { ...encoded.headers },
  };
}

/** A consumed record with the given key and value. */
export function rawRecord(
  partition: number,
  offset: number | string,
  key: string | null,
  value: string | null,
): InRecord {
  return { topic: "crypto-prices", partition, offset: String(offset), key, value, headers: {} };
}

/** When the records of these tests are read: 2026-01-01, with the default 300 s ahead allowed. */
export const READ_TIME: ReadTime = { now: Date.parse("2026-01-01T00:00:00Z"), maxAheadMs: 300_000 };

/** What `decodePrice` makes of a consumed record, read at {@linkcode READ_TIME}. */
export function decodePriceRecord(record: InRecord): Decoded<PriceMessage> {
  return decodePrice(record.key, record.value, record.headers, READ_TIME, record.notUtf8);
}

/** A valid message value as a plain object, for making bad variants of it. */
export function validValue(overrides: Partial<PriceTick> = {}): Record<string, unknown> {
  return JSON.parse(validRecord(0, 0, overrides).value!);
}

/** Waits, one macrotask at a time (at most 1000), until `condition` holds. No wall-clock time. */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Lets `n` macrotasks pass, so anything that was going to happen has had its chance. */
export async function settle(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** A ConsumerTransport that only records commits; `failNext` makes the next commits reject. */
export class FakeCommits implements ConsumerTransport {
  /** Every commit that succeeded, in order. */
  readonly committed: CommitOffset[][] = [];
  /** Every commit attempted, in order, including failed ones. */
  readonly attempts: CommitOffset[][] = [];
  /** How many of the next commits reject. */
  failNext = 0;

  connect(): Promise<void> {
    return Promise.resolve();
  }
  consume(_options: ConsumeOptions): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  commit(_topic: string, offsets: readonly CommitOffset[]): Promise<void> {
    const copy = offsets.map((o) => ({ ...o }));
    this.attempts.push(copy);
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error("coordinator not available"));
    }
    this.committed.push(copy);
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}
