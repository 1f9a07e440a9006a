/**
 * Checks of the API's path and query parameters (docs/api.md). Each returns the value or throws an
 * {@linkcode HttpError} 400 whose one sentence names the parameter, the value and what is allowed.
 *
 * @module
 */
import { type Interval, INTERVALS, isInterval } from "../market/candle.ts";
import { isSource, parseMarketKey, productParts, type Source, SOURCES } from "../market/market.ts";
import { calendarProblem } from "../market/messages/checks.ts";
import type { KnownMarket } from "../store/candle_store.ts";
import { HttpError, quoteValue } from "./http_error.ts";
import { matchMarkets } from "./known_markets.ts";

/**
 * Refuses query parameters a route does not know.
 *
 * @param query The query parameters.
 * @param allowed The names the route takes.
 * @throws {HttpError} 400 for any other name.
 *
 * @example
 * ```ts
 * import { checkQueryNames } from "./params.ts";
 * checkQueryNames({ limit: "5" }, ["limit"]); // fine
 * ```
 */
export function checkQueryNames(query: Record<string, string>, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) {
      throw new HttpError(
        400,
        `Unknown parameter ${quoteValue(name)}: expected ${
          allowed.length === 0 ? "no parameters" : allowed.join(", ")
        }`,
      );
    }
  }
}

/** A list of names for an error sentence: the first 20, sorted, then `...`. */
function listed(names: Iterable<string>): string {
  const list = [...new Set(names)].sort();
  return `${list.slice(0, 20).join(", ")}${list.length > 20 ? ", ..." : ""}`;
}

/**
 * Checks a symbol against the symbols the store knows (exactly, or in upper case).
 *
 * @param raw The symbol as given.
 * @param known The symbols known.
 * @returns The symbol as known.
 * @throws {HttpError} 400 when it is not known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSymbol } from "./params.ts";
 * assert.equal(parseSymbol("btc", new Set(["BTC", "ETH"])), "BTC");
 * ```
 */
export function parseSymbol(raw: string, known: ReadonlySet<string>): string {
  if (known.has(raw)) return raw;
  const upper = raw.toUpperCase();
  if (known.has(upper)) return upper;
  const shown = known.size === 0 ? "none is known yet" : `expected one of ${listed(known)}`;
  throw new HttpError(400, `Unknown symbol ${quoteValue(raw)}: ${shown}`);
}

/**
 * Checks a product (`BTC-EUR`) against the products the store knows (exactly, or in upper case).
 *
 * @param raw The product as given.
 * @param known The products known.
 * @returns The product as known.
 * @throws {HttpError} 400 when it is not known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProduct } from "./params.ts";
 * assert.equal(parseProduct("btc-eur", new Set(["BTC-EUR"])), "BTC-EUR");
 * ```
 */
export function parseProduct(raw: string, known: ReadonlySet<string>): string {
  if (known.has(raw)) return raw;
  const upper = raw.toUpperCase();
  if (known.has(upper)) return upper;
  const shown = known.size === 0 ? "none is known yet" : `expected one of ${listed(known)}`;
  throw new HttpError(400, `Unknown product ${quoteValue(raw)}: ${shown}`);
}

/**
 * Checks a source: `coingecko` (prices) or `coinbase` (trades).
 *
 * @param raw The text, or undefined when not given.
 * @returns The source, or undefined when not given.
 * @throws {HttpError} 400 for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSource } from "./params.ts";
 * assert.equal(parseSource("coinbase"), "coinbase");
 * assert.throws(() => parseSource("binance"), {
 *   message: 'Invalid source "binance": expected coingecko or coinbase',
 * });
 * ```
 */
export function parseSource(raw: string | undefined): Source | undefined {
  if (raw === undefined) return undefined;
  if (isSource(raw)) return raw;
  throw new HttpError(
    400,
    `Invalid source ${quoteValue(raw)}: expected ${SOURCES.join(" or ")}`,
  );
}

/**
 * Checks how a candle answer fills the windows without observations.
 *
 * @param raw The text, or undefined when not given.
 * @returns `previous`, or null when not given (no filling).
 * @throws {HttpError} 400 for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFill } from "./params.ts";
 * assert.equal(parseFill("previous"), "previous");
 * assert.equal(parseFill(undefined), null);
 * ```
 */
export function parseFill(raw: string | undefined): "previous" | null {
  if (raw === undefined) return null;
  if (raw === "previous") return raw;
  throw new HttpError(
    400,
    `Invalid fill ${
      quoteValue(raw)
    }: expected previous (each quiet window flat at the previous close), or no fill`,
  );
}

/**
 * Finds the market a route's `{market}` names: a product (`BTC-USD`), or a symbol (`BTC`) for the
 * symbol's market with the most recent price (docs/api.md#markets); among one source's markets
 * when `source` is given.
 *
 * @param raw The text as given.
 * @param known The markets the store knows.
 * @param source Only this source's markets, if given.
 * @returns The market.
 * @throws {HttpError} 400 naming `market` when the text is neither, or no market known matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMarket } from "./params.ts";
 * const known = [{
 *   source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", quote: "EUR", priceUsd: 1,
 *   eventTime: 0, intervals: [],
 * }];
 * assert.equal(parseMarket("btc", known, undefined).product, "BTC-EUR");
 * ```
 */
export function parseMarket(
  raw: string,
  known: readonly KnownMarket[],
  source: Source | undefined,
): KnownMarket {
  const found = matchMarkets(raw, known, source)[0];
  if (found !== undefined) return found;
  const shape = productParts(raw.toUpperCase()) !== null || /^[A-Za-z0-9]{1,15}$/.test(raw);
  if (!shape) {
    throw new HttpError(
      400,
      `Invalid market ${
        quoteValue(raw)
      }: expected a product such as BTC-USD or a symbol such as BTC, of letters and digits`,
    );
  }
  const elsewhere = source === undefined ? [] : matchMarkets(raw, known, undefined);
  if (elsewhere.length > 0) {
    throw new HttpError(
      400,
      `Unknown market ${quoteValue(raw)} for source ${quoteValue(source!)}: it is known only from ${
        listed(elsewhere.map((m) => m.source))
      }`,
    );
  }
  const names = known.flatMap((m) => [m.symbol, m.product]);
  const shown = names.length === 0
    ? "none is known yet"
    : `expected a symbol or product known, one of ${listed(names)}`;
  throw new HttpError(400, `Unknown market ${quoteValue(raw)}: ${shown}`);
}

/**
 * Checks a list of market keys, `coinbase:BTC-EUR,coingecko:BTC-USD` (for the stream, which may
 * name markets not seen yet).
 *
 * @param name The parameter.
 * @param raw Its text.
 * @returns The market keys, products in upper case.
 * @throws {HttpError} 400 for an empty list, a malformed key or more than 100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMarketList } from "./params.ts";
 * assert.deepEqual(parseMarketList("markets", "coinbase:btc-eur"), new Set(["coinbase:BTC-EUR"]));
 * ```
 */
export function parseMarketList(name: string, raw: string): Set<string> {
  const keys = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const markets = keys.map((key) => {
    const colon = key.indexOf(":");
    return parseMarketKey(colon < 0 ? key : key.slice(0, colon) + key.slice(colon).toUpperCase());
  });
  if (markets.length === 0 || markets.length > 100 || markets.some((m) => m === null)) {
    throw new HttpError(
      400,
      `Invalid ${name} ${
        quoteValue(raw)
      }: expected 1-100 comma-separated markets source:product, such as coinbase:BTC-EUR,coingecko:BTC-USD`,
    );
  }
  return new Set(markets.map((m) => `${m!.source}:${m!.product}`));
}

/**
 * Checks a list of symbols, `BTC,ETH` (for the stream, which may name symbols not seen yet).
 *
 * @param name The parameter.
 * @param raw Its text.
 * @returns The symbols, upper case.
 * @throws {HttpError} 400 for an empty list, a malformed symbol or more than 100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSymbolList } from "./params.ts";
 * assert.deepEqual(parseSymbolList("symbols", "btc,ETH"), new Set(["BTC", "ETH"]));
 * ```
 */
export function parseSymbolList(name: string, raw: string): Set<string> {
  const symbols = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (
    symbols.length === 0 || symbols.length > 100 ||
    !symbols.every((s) => /^[A-Za-z0-9]{1,15}$/.test(s))
  ) {
    throw new HttpError(
      400,
      `Invalid ${name} ${
        quoteValue(raw)
      }: expected 1-100 comma-separated symbols of 1-15 letters or digits, such as BTC,ETH`,
    );
  }
  return new Set(symbols.map((s) => s.toUpperCase()));
}

/**
 * Checks a candle interval.
 *
 * @param raw The text, or undefined for the default `1m`.
 * @returns The interval.
 * @throws {HttpError} 400 for anything but `1m 5m 15m 30m 1h 4h 1d`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInterval } from "./params.ts";
 * assert.equal(parseInterval("5m"), "5m");
 * ```
 */
export function parseInterval(raw: string | undefined): Interval {
  if (raw === undefined) return "1m";
  if (isInterval(raw)) return raw;
  throw new HttpError(
    400,
    `Invalid interval ${quoteValue(raw)}: expected one of ${INTERVALS.join(", ")}`,
  );
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/;

/**
 * Checks an ISO-8601 time: a date (`2025-11-12`, midnight UTC) or a date and time with `Z` or an
 * offset. A date or time that does not exist (`2025-02-30`, `T24:00`) is refused, not rolled
 * over to the next day.
 *
 * @param name The parameter.
 * @param raw Its text, or undefined.
 * @returns Milliseconds since the epoch, or undefined when not given.
 * @throws {HttpError} 400 for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTime } from "./params.ts";
 * assert.equal(parseTime("from", "2025-11-12T10:30:00Z"), 1762943400000);
 * assert.throws(() => parseTime("from", "2025-02-30"), {
 *   message: /^Invalid from "2025-02-30": no such date or time \(February 2025 has 28 days\);/,
 * });
 * ```
 */
export function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = ISO_TIME.exec(raw);
  const why = match === null ? null : calendarProblem(match.slice(1));
  const ms = match === null || why !== null ? NaN : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new HttpError(
      400,
      `Invalid ${name} ${quoteValue(raw)}: ${
        why === null ? "" : `no such date or time (${why}); `
      }expected an ISO-8601 time with a zone, such as 2025-11-12T10:30:00Z`,
    );
  }
  return ms;
}

/**
 * Checks that a time range runs forwards.
 *
 * @param from The start, if given.
 * @param to The end, if given.
 * @throws {HttpError} 400 when `from` is not before `to`.
 *
 * @example
 * ```ts
 * import { checkRange } from "./params.ts";
 * checkRange(1, 2); // fine
 * ```
 */
export function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from >= to) {
    throw new HttpError(
      400,
      `Invalid time range: from ${new Date(from).toISOString()} is not before to ${
        new Date(to).toISOString()
      }; from must come first`,
    );
  }
}

/**
 * Checks a limit: a whole number from 1 to `max`.
 *
 * @param raw The text, or undefined for the default.
 * @param range The default and the largest allowed.
 * @returns The limit.
 * @throws {HttpError} 400 for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLimit } from "./params.ts";
 * assert.equal(parseLimit(undefined, { fallback: 500, max: 5000 }), 500);
 * ```
 */
export function parseLimit(
  raw: string | undefined,
  range: { fallback: number; max: number },
): number {
  if (raw === undefined) return range.fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= range.max)) {
    throw new HttpError(
      400,
      `Invalid limit ${quoteValue(raw)}: expected a whole number from 1 to ${range.max}`,
    );
  }
  return value;
}

const WINDOW_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Checks a statistics window such as `24h`: minutes, hours or days, from 1 minute to 30 days.
 *
 * @param raw The text, or undefined for `24h`.
 * @returns The window's text and length in milliseconds.
 * @throws {HttpError} 400 for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWindow } from "./params.ts";
 * assert.deepEqual(parseWindow("1h"), { text: "1h", ms: 3600000 });
 * ```
 */
export function parseWindow(raw: string | undefined): { text: string; ms: number } {
  const text = raw ?? "24h";
  const match = /^(\d{1,5})([mhd])$/.exec(text);
  const ms = match ? Number(match[1]) * WINDOW_UNITS[match[2] as keyof typeof WINDOW_UNITS] : NaN;
  if (!(ms >= 60_000 && ms <= 30 * 86_400_000)) {
    throw new HttpError(
      400,
      `Invalid window ${
        quoteValue(text)
      }: expected minutes, hours or days such as 15m, 24h or 7d, from 1m to 30d`,
    );
  }
  return { text, ms };
}
