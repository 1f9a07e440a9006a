/**
 * Parsers for configuration values. Each takes the name of the flag or variable it came from,
 * so that its error says what was wrong where.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import type { Coin } from "./types.ts";

/**
 * A value for an error line, quoted, any password in it hidden ({@linkcode redactUrl}).
 *
 * @param value The text as given.
 * @returns The text to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoted } from "./values.ts";
 * assert.equal(quoted(" redis://:s3cret@cache"), "\" redis://:***@cache\"");
 * ```
 */
export function quoted(value: string): string {
  return JSON.stringify(redactUrl(value));
}

const quote = quoted;

/**
 * Parses a number within `[min, max]`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @param range The bounds and whether it must be an integer.
 * @returns The number.
 * @throws {ConfigError} When the text is not such a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNumber } from "./values.ts";
 * assert.equal(parseNumber("PRODUCER_FETCH_INTERVAL", "2.5", { min: 0.01 }), 2.5);
 * ```
 */
export function parseNumber(
  name: string,
  raw: string,
  range: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): number {
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false, exclusiveMin = false } = range;
  const text = raw.trim();
  const value = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  const kind = integer ? "a whole number" : "a number";
  const lower = exclusiveMin ? `greater than ${min}` : `at least ${min}`;
  const ok = Number.isFinite(value) && (integer ? Number.isInteger(value) : true) &&
    (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    throw new ConfigError(
      `Cannot parse ${name} as ${kind} ${lower} and at most ${max}: current value is ${quote(raw)}`,
    );
  }
  return value;
}

/**
 * Parses a boolean: `true/false`, `1/0`, `yes/no`, `on/off`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The boolean.
 * @throws {ConfigError} For anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBoolean } from "./values.ts";
 * assert.equal(parseBoolean("KAFKA_SSL", "yes"), true);
 * ```
 */
export function parseBoolean(name: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(text)) return true;
  if (["false", "0", "no", "off"].includes(text)) return false;
  throw new ConfigError(
    `Cannot parse ${name} as a boolean (true or false): current value is ${quote(raw)}`,
  );
}

/**
 * Parses one of a fixed set of words, case-insensitively.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @param allowed The words allowed, lower case.
 * @returns The word, lower case.
 * @throws {ConfigError} For any other word.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseChoice } from "./values.ts";
 * assert.equal(parseChoice("LOG_FORMAT", "JSON", ["pretty", "json"] as const), "json");
 * ```
 */
export function parseChoice<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  const text = raw.trim().toLowerCase();
  const found = allowed.find((word) => word === text);
  if (found === undefined) {
    throw new ConfigError(
      `Invalid ${name}: expected one of ${allowed.join(", ")}, current value is ${quote(raw)}`,
    );
  }
  return found;
}

/**
 * Parses a list of Kafka bootstrap servers, `host:port,host:port`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The `host:port` entries.
 * @throws {ConfigError} When an entry lacks a host or a port from 1 to 65535.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBrokers } from "./values.ts";
 * assert.deepEqual(parseBrokers("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"), ["localhost:9092"]);
 * ```
 */
export function parseBrokers(name: string, raw: string): string[] {
  const entries = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const valid = (entry: string) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    return match !== null && port >= 1 && port <= 65535;
  };
  if (entries.length === 0 || !entries.every(valid)) {
    throw new ConfigError(
      `Invalid ${name}: expected host:port[,host:port...] with ports 1-65535, current value is ${
        quote(raw)
      }`,
    );
  }
  return entries;
}

/**
 * Parses a Kafka topic name: 1 to 249 of `a-z A-Z 0-9 . _ -`, not `.` or `..`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The topic name.
 * @throws {ConfigError} When Kafka would refuse the name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTopic } from "./values.ts";
 * assert.equal(parseTopic("KAFKA_TOPIC", "crypto-prices"), "crypto-prices");
 * ```
 */
export function parseTopic(name: string, raw: string): string {
  const text = raw.trim();
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(text) || text === "." || text === "..") {
    throw new ConfigError(
      `Invalid ${name}: a topic name is 1-249 characters of a-z, A-Z, 0-9, '.', '_' and '-', current value is ${
        quote(raw)
      }`,
    );
  }
  return text;
}

/**
 * Parses a static member's instance id (Kafka's `group.instance.id`): 1 to 249 of
 * `a-z A-Z 0-9 . _ -`, not `.` or `..`, as the broker allows.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @param maxLength The longest id allowed, shorter where a suffix is added to it.
 * @returns The id.
 * @throws {ConfigError} When the broker would refuse it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInstanceId } from "./values.ts";
 * assert.equal(parseInstanceId("KAFKA_INSTANCE_ID", " candles-1 "), "candles-1");
 * ```
 */
export function parseInstanceId(name: string, raw: string, maxLength = 249): string {
  const text = raw.trim();
  if (
    text.length > maxLength || !/^[A-Za-z0-9._-]+$/.test(text) || text === "." || text === ".."
  ) {
    throw new ConfigError(
      `Invalid ${name}: an instance id is 1-${maxLength} characters of a-z, A-Z, 0-9, '.', '_' and '-', current value is ${
        shown(raw)
      }`,
    );
  }
  return text;
}

/** The longest coin id accepted: CoinGecko's are well below it. */
const MAX_COIN_ID_LENGTH = 100;

/** The longest symbol accepted (the message key). */
const MAX_SYMBOL_LENGTH = 15;

const COIN_ID = new RegExp(`^[a-z0-9][a-z0-9._-]{0,${MAX_COIN_ID_LENGTH - 1}}$`);
const SYMBOL = new RegExp(`^[A-Za-z0-9]{1,${MAX_SYMBOL_LENGTH}}$`);

/**
 * A value for an error line: quoted, any password in it hidden, and cut with its length when
 * long, so the line stays short.
 *
 * @param raw The text as given.
 * @returns The text to show.
 */
export function shown(raw: string): string {
  const value = redactUrl(raw);
  return value.length <= 40
    ? JSON.stringify(value)
    : `${JSON.stringify(`${value.slice(0, 32)}...`)} (${value.length} characters)`;
}

/**
 * Parses the coins to fetch, `coin_id:SYMBOL,...` (`bitcoin:BTC,ethereum:ETH`): a coin id is 1-100
 * characters of `a-z 0-9 . _ -` starting with a letter or digit, a symbol 1-15 of `A-Z 0-9`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The coins, symbols upper case.
 * @throws {ConfigError} When an entry is malformed, an id or symbol is out of bounds, or repeats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCoins } from "./values.ts";
 * assert.deepEqual(parseCoins("CRYPTO_COINS", "bitcoin:btc"), [{ id: "bitcoin", symbol: "BTC" }]);
 * ```
 */
export function parseCoins(name: string, raw: string): Coin[] {
  const entries = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const coins: Coin[] = [];
  for (const entry of entries) {
    const parts = entry.split(":");
    if (parts.length !== 2) {
      throw new ConfigError(
        `Invalid ${name}: expected coin_id:SYMBOL[,coin_id:SYMBOL...] such as bitcoin:BTC, but ${
          shown(entry)
        } is not of that form`,
      );
    }
    const [id, symbol] = parts as [string, string];
    if (!COIN_ID.test(id)) {
      throw new ConfigError(
        `Invalid ${name}: in coin_id:SYMBOL, a coin id is 1-${MAX_COIN_ID_LENGTH} characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, but the entry is ${
          shown(entry)
        }`,
      );
    }
    if (!SYMBOL.test(symbol)) {
      throw new ConfigError(
        `Invalid ${name}: in coin_id:SYMBOL, a symbol is 1-${MAX_SYMBOL_LENGTH} characters of A-Z and 0-9, but the entry is ${
          shown(entry)
        }`,
      );
    }
    const coin = { id, symbol: symbol.toUpperCase() };
    if (coins.some((c) => c.id === coin.id || c.symbol === coin.symbol)) {
      throw new ConfigError(`Invalid ${name}: ${shown(entry)} repeats a coin id or symbol`);
    }
    coins.push(coin);
  }
  if (coins.length === 0) {
    throw new ConfigError(
      `Invalid ${name}: at least one coin_id:SYMBOL is needed, current value is ${shown(raw)}`,
    );
  }
  return coins;
}

/**
 * Parses an http(s) URL, without a trailing slash.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The URL text.
 * @throws {ConfigError} For anything but an absolute http or https URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHttpUrl } from "./values.ts";
 * assert.equal(
 *   parseHttpUrl("COINGECKO_BASE_URL", "http://127.0.0.1:8080/api/v3/"),
 *   "http://127.0.0.1:8080/api/v3",
 * );
 * ```
 */
export function parseHttpUrl(name: string, raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw.trim());
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(
      `Invalid ${name}: expected an http:// or https:// URL, current value is ${quote(raw)}`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Checks a secret without ever putting it in the error.
 *
 * @param name The variable.
 * @param raw Its text.
 * @returns The secret.
 * @throws {ConfigError} When it is empty or has spaces or control characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSecret } from "./values.ts";
 * assert.equal(parseSecret("COINGECKO_API_KEY", "CG-abc").length, 6);
 * ```
 */
export function parseSecret(name: string, raw: string): string {
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      `Invalid ${name}: expected printable characters without spaces (the value is not shown)`,
    );
  }
  return raw;
}

/** A scheme and its `//`: where the authority of a URL starts. */
const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;

/**
 * Text fit to show: the password of every URL in it replaced by `***`, whatever shape the URL is
 * in. It is the one function anything that may print a URL goes through (configuration errors,
 * start-up lines, logs, `/readyz` reasons), and it works on the raw text, before any trimming or
 * parsing, hiding more rather than less:
 *
 * - `scheme://user:password@host`: the user part runs to the last `@` (a password may hold an
 *   unescaped `@`, `/` or space), and all of it after the user's `:` is hidden, percent-encoded
 *   or not;
 * - `scheme://user:password/path`, with no `@`: what follows the `:` is hidden unless it is a
 *   port (digits), `scheme://[::1]:5432` showing as it is;
 * - `user:password@host`, without a scheme, alike;
 * - `password=` (and `pass=`, `pwd=`, `sslpassword=`) parameters.
 *
 * @param text A URL as given, or a line that may hold URLs.
 * @returns The text without passwords.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactUrl } from "./values.ts";
 * assert.equal(
 *   redactUrl("postgres://crypto:s3cret@db:5432/market"),
 *   "postgres://crypto:***@db:5432/market",
 * );
 * assert.equal(redactUrl(" postgres://crypto:s3cret"), " postgres://crypto:***");
 * ```
 */
export function redactUrl(text: string): string {
  const params = text.replace(/([?&;](?:ssl)?(?:password|pass|pwd)=)[^&#;]*/gi, "$1***");
  let out = "";
  let from = 0;
  let schemes = 0;
  for (const match of params.matchAll(SCHEME)) {
    if (match.index < from) continue;
    schemes++;
    const start = match.index + match[0].length;
    out += params.slice(from, start);
    const rest = params.slice(start);
    const at = rest.lastIndexOf("@");
    if (at >= 0) {
      const colon = rest.slice(0, at).indexOf(":");
      out += colon < 0 ? rest.slice(0, at + 1) : `${rest.slice(0, colon)}:***@`;
      from = start + at + 1;
      continue;
    }
    // No user part: a `:` in the authority is a port's, or a password's with its `@` missing.
    const authority = /^[^/?#\s]*/.exec(rest)![0];
    const host = /^\[[^\]]*\]?/.exec(authority)?.[0] ?? "";
    const colon = authority.indexOf(":", host.length);
    if (colon >= 0 && !/^\d*$/.test(authority.slice(colon + 1))) {
      out += `${authority.slice(0, colon)}:***`;
    } else out += authority;
    from = start + authority.length;
  }
  out += params.slice(from);
  // `user:password@host` without a scheme.
  return schemes > 0 ? out : out.replace(/(^|[\s"'(=,])([^\s"'(=,:@/]*):[^@]*@/s, "$1$2:***@");
}

/**
 * Parses the candle store's URL: `sqlite:PATH` (a file, created when missing) or
 * `postgres://user:password@host:port/database` (also `postgresql://`).
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The URL, trimmed.
 * @throws {ConfigError} For anything else; the message never shows the password.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStoreUrl } from "./values.ts";
 * assert.equal(parseStoreUrl("CANDLE_STORE", "sqlite:.data/market.db"), "sqlite:.data/market.db");
 * ```
 */
export function parseStoreUrl(name: string, raw: string): string {
  const text = raw.trim();
  if (/^sqlite:./.test(text) && !/^sqlite:\/\/$/.test(text)) return text;
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL | null = null;
    try {
      url = new URL(text);
    } catch {
      url = null;
    }
    if (url && url.hostname !== "" && !/[\s]/.test(text)) return text;
  }
  throw new ConfigError(
    `Invalid ${name}: expected sqlite:PATH or postgres://user:password@host:port/database, current value is ${
      quote(raw)
    }`,
  );
}

/**
 * Parses a Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The URL, trimmed.
 * @throws {ConfigError} For anything else; the message never shows the password.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRedisUrl } from "./values.ts";
 * assert.equal(parseRedisUrl("REDIS_URL", "redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
 * ```
 */
export function parseRedisUrl(name: string, raw: string): string {
  const text = raw.trim();
  let url: URL | null = null;
  try {
    url = /^rediss?:\/\//i.test(text) && !/\s/.test(text) ? new URL(text) : null;
  } catch {
    url = null;
  }
  const port = url?.port === "" ? 6379 : Number(url?.port);
  if (
    !url || url.hostname === "" || url.hostname.length > 253 || !(port >= 1 && port <= 65535) ||
    !/^(\/\d*)?$/.test(url.pathname)
  ) {
    throw new ConfigError(
      `Invalid ${name}: expected redis://[user:password@]host[:port][/db] or rediss://…, current value is ${
        quote(raw)
      }`,
    );
  }
  return text;
}

/** The most Coinbase products one feed subscribes to. */
const MAX_PRODUCTS = 100;

const PRODUCT = new RegExp(
  `^[A-Za-z0-9]{1,${MAX_SYMBOL_LENGTH}}-[A-Za-z0-9]{1,${MAX_SYMBOL_LENGTH}}$`,
);

/**
 * Parses the Coinbase products to subscribe to, `BASE-QUOTE,...` (`BTC-USD,ETH-USD`): each part
 * 1-15 characters of `A-Z 0-9`. Each product is a market of its own, so several products of one
 * base currency (`BTC-USD,BTC-EUR`) may be given; a product given twice is refused.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The product ids, upper case, in the order given.
 * @throws {ConfigError} When an entry is malformed, a product is given twice, or there are none
 *   or more than 100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProducts } from "./values.ts";
 * assert.deepEqual(parseProducts("COINBASE_PRODUCTS", "btc-usd,BTC-EUR"), ["BTC-USD", "BTC-EUR"]);
 * ```
 */
export function parseProducts(name: string, raw: string): string[] {
  const entries = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const products: string[] = [];
  for (const entry of entries) {
    if (!PRODUCT.test(entry)) {
      throw new ConfigError(
        `Invalid ${name}: expected BASE-QUOTE[,BASE-QUOTE...] such as BTC-USD,ETH-USD, each part 1-${MAX_SYMBOL_LENGTH} characters of A-Z and 0-9, but the entry is ${
          shown(entry)
        }`,
      );
    }
    const product = entry.toUpperCase();
    if (products.includes(product)) {
      throw new ConfigError(`Invalid ${name}: ${shown(entry)} names ${quote(product)} twice`);
    }
    products.push(product);
  }
  if (products.length === 0 || products.length > MAX_PRODUCTS) {
    throw new ConfigError(
      `Invalid ${name}: expected 1-${MAX_PRODUCTS} products BASE-QUOTE such as BTC-USD, current value is ${
        shown(raw)
      }`,
    );
  }
  return products;
}

/**
 * Parses a WebSocket URL, `ws://` or `wss://`.
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The URL text.
 * @throws {ConfigError} For anything but an absolute ws or wss URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWebSocketUrl } from "./values.ts";
 * assert.equal(
 *   parseWebSocketUrl("COINBASE_WS_URL", "wss://ws-feed.exchange.coinbase.com"),
 *   "wss://ws-feed.exchange.coinbase.com",
 * );
 * ```
 */
export function parseWebSocketUrl(name: string, raw: string): string {
  let url: URL | null = null;
  try {
    url = /\s/.test(raw.trim()) ? null : new URL(raw.trim());
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "ws:" && url.protocol !== "wss:") || url.hostname === "") {
    throw new ConfigError(
      `Invalid ${name}: expected a ws:// or wss:// URL, current value is ${shown(raw)}`,
    );
  }
  const text = url.href;
  return url.pathname === "/" && !raw.trim().endsWith("/") && url.search === ""
    ? text.replace(/\/$/, "")
    : text;
}
