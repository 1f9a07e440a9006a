/**
 * Reads the live messages other processes publish (Redis `crypto:prices`, `crypto:candles`,
 * `crypto:alerts`; Kafka `crypto-prices`, `crypto-candles`) into {@linkcode LiveEvent}s for the
 * hub. Anything that does not match is refused (null), never passed on.
 *
 * @module
 */
import type { AlertDirection, AlertKind } from "../market/alert.ts";
import { isInterval } from "../market/candle.ts";
import type { LiveEvent } from "./live_hub.ts";

type Fields = Record<string, unknown>;

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const finiteOrNull = (v: unknown): v is number | null => v === null || finite(v);
const symbolText = (v: unknown): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= 64;
const time = (v: unknown): number | null => {
  const ms = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : null;
};

function parse(text: string): Fields | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Fields
      : null;
  } catch {
    return null;
  }
}

/**
 * A price: a latest-price JSON (`event_time`) or a SPEC §4 message (`last_updated`, else
 * `timestamp`).
 */
function price(f: Fields): LiveEvent | null {
  const eventTime = time(f.event_time) ??
    (finite(f.last_updated) ? f.last_updated * 1000 : time(f.timestamp));
  if (
    !symbolText(f.symbol) || !finite(f.price_usd) || f.price_usd <= 0 || eventTime === null ||
    !finiteOrNull(f.volume_24h ?? null) || !finiteOrNull(f.market_cap ?? null) ||
    !finiteOrNull(f.price_change_24h ?? null)
  ) {
    return null;
  }
  return {
    type: "price",
    price: {
      symbol: f.symbol,
      priceUsd: f.price_usd,
      volume24h: (f.volume_24h ?? null) as number | null,
      marketCap: (f.market_cap ?? null) as number | null,
      priceChange24h: (f.price_change_24h ?? null) as number | null,
      eventTime,
    },
  };
}

function candle(f: Fields): LiveEvent | null {
  const [windowStart, windowEnd, firstEvent, lastEvent] = [
    time(f.window_start),
    time(f.window_end),
    time(f.first_event),
    time(f.last_event),
  ];
  if (
    !symbolText(f.symbol) || typeof f.interval !== "string" || !isInterval(f.interval) ||
    windowStart === null || windowEnd === null || firstEvent === null || lastEvent === null ||
    !finite(f.open) || !finite(f.high) || !finite(f.low) || !finite(f.close) ||
    !finite(f.samples) || !finiteOrNull(f.volume ?? null) || !finiteOrNull(f.vwap ?? null) ||
    typeof f.closed !== "boolean" || !finite(f.revision)
  ) {
    return null;
  }
  return {
    type: "candle",
    candle: {
      symbol: f.symbol,
      interval: f.interval,
      windowStart,
      windowEnd,
      open: f.open,
      high: f.high,
      low: f.low,
      close: f.close,
      samples: f.samples,
      volume: (f.volume ?? null) as number | null,
      vwap: (f.vwap ?? null) as number | null,
      firstEvent,
      lastEvent,
      closed: f.closed,
      revision: f.revision,
    },
  };
}

function alert(f: Fields): LiveEvent | null {
  const windowStart = time(f.window_start);
  const createdAt = time(f.created_at);
  if (
    !symbolText(f.symbol) || typeof f.interval !== "string" || !isInterval(f.interval) ||
    windowStart === null || createdAt === null || (f.kind !== "move" && f.kind !== "anomaly") ||
    (f.direction !== "up" && f.direction !== "down") || !finite(f.change_pct) ||
    !finiteOrNull(f.zscore ?? null) || !finite(f.price)
  ) {
    return null;
  }
  return {
    type: "alert",
    alert: {
      symbol: f.symbol,
      interval: f.interval,
      windowStart,
      kind: f.kind as AlertKind,
      direction: f.direction as AlertDirection,
      changePct: f.change_pct,
      zscore: (f.zscore ?? null) as number | null,
      price: f.price,
      createdAt,
    },
  };
}

/**
 * Decodes one live message.
 *
 * @param kind What the channel or topic carries.
 * @param text The message, JSON.
 * @returns The event, or null when the message does not match.
 *
 * @example
 * ```ts
 * import { decodeLiveMessage } from "./live_decode.ts";
 * const event = decodeLiveMessage("price", '{"symbol":"BTC","price_usd":45234.56,"event_time":"2025-11-12T10:30:45Z"}');
 * console.log(event?.type); // "price"
 * console.log(decodeLiveMessage("price", "<html>")); // null
 * ```
 */
export function decodeLiveMessage(
  kind: "price" | "candle" | "alert",
  text: string,
): LiveEvent | null {
  const fields = parse(text);
  if (fields === null) return null;
  return kind === "price" ? price(fields) : kind === "candle" ? candle(fields) : alert(fields);
}
