/**
 * A Coinbase Exchange REST client for one route: `GET /products/{product}/trades`, a page of a
 * product's trades, newest first, `after=<trade_id>` for the page below an id (the `cb-after`
 * header names the next cursor). Each trade is checked and converted as the feed's are; at most
 * ten requests a second; a 429 waited out (`Retry-After`, capped), a 5xx or a lost connection
 * retried with backoff; an answer that is not a page of trades is an error, never retried.
 * See docs/trades.md#gap-repair-and-backfill.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { backoffDelay } from "../runtime/backoff.ts";
import { type Clock, systemClock } from "../runtime/delay.ts";
import { checkTrade, type FeedTrade } from "./coinbase_protocol.ts";
import { parseRetryAfter } from "./coingecko.ts";

const logger = getLogger(["crypto", "coinbase", "rest"]);

/** The most trades a page holds, and what each request asks for at most. */
export const PAGE_LIMIT = 1000;

/** Why a request gave no page. */
export type RestFailure =
  /** No answer, or a 5xx or 429, after the retries. */
  | "unavailable"
  /** A 4xx: asking again gives the same answer. */
  | "refused"
  /** An answer that is not a page of the product's trades, newest first, below the cursor. */
  | "bad-answer";

/** A request that gave no page. */
export class CoinbaseRestError extends Error {
  /** Why. */
  readonly failure: RestFailure;
  /** The last HTTP status, or null when no answer came. */
  readonly status: number | null;
  /**
   * @param message One line: what was asked and what came.
   * @param options Why, the last status and the cause.
   */
  constructor(
    message: string,
    options: ErrorOptions & { failure: RestFailure; status: number | null },
  ) {
    super(message, options);
    this.name = "CoinbaseRestError";
    this.failure = options.failure;
    this.status = options.status;
  }
}

/** What the client needs to know. */
export interface CoinbaseRestConfig {
  /** The API's base URL, without a trailing slash: `https://api.exchange.coinbase.com`. */
  baseUrl: string;
  /** Time allowed for one request, ms. */
  timeoutMs: number;
  /** Retries of a request that got a 429, a 5xx or no answer. */
  maxRetries: number;
  /** The longest `Retry-After` honoured, ms; a longer one is cut to it. */
  maxRetryAfterMs: number;
}

/** Options for {@linkcode CoinbaseRestClient}. */
export interface CoinbaseRestClientOptions {
  /** The HTTP client. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** The clock for the request spacing, the waits and the backoff. @default {systemClock} */
  clock?: Clock;
  /** Random source for the jitter. @default {Math.random} */
  random?: () => number;
  /** Least time between two requests, ms: Coinbase allows 10 public requests a second. @default {100} */
  minGapMs?: number;
  /** The backoff of 5xx answers and lost connections. @default {{ minMs: 500, maxMs: 30_000 }} */
  backoff?: { minMs: number; maxMs: number };
}

/** One page of trades. */
export interface TradePage {
  /** The trades, newest first, each checked (no `sequence`: REST gives none). */
  trades: FeedTrade[];
  /** The `cb-after` cursor, for the page below this one; null when the answer had none. */
  next: number | null;
}

/** Options of one page request. */
export interface PageRequest {
  /** Only trades with an id below this one; null for the newest. @default {null} */
  after?: number | null;
  /** How many trades at most, 1 to 1000. @default {1000} */
  limit?: number;
  /** Aborting stops waiting and requesting. */
  signal?: AbortSignal;
}

/** The part of the client that reads pages: what the repairer and the backfill use. */
export interface TradePages {
  /**
   * A page of a product's trades.
   *
   * @param product `BTC-USD`.
   * @param request The cursor, the limit and the abort signal.
   * @returns The page.
   */
  trades(product: string, request?: PageRequest): Promise<TradePage>;
}

type Attempt =
  | { page: TradePage }
  | { error: CoinbaseRestError; retry: boolean; retryAfterMs: number | null };

/**
 * Reads pages of trades from the Coinbase Exchange REST API.
 *
 * @example
 * ```ts ignore
 * import { CoinbaseRestClient } from "./coinbase_rest.ts";
 * const rest = new CoinbaseRestClient({ baseUrl: "https://api.exchange.coinbase.com",
 *   timeoutMs: 10_000, maxRetries: 3, maxRetryAfterMs: 300_000 });
 * const { trades, next } = await rest.trades("BTC-USD", { limit: 10 });
 * console.log(trades[0]?.tradeId, next);
 * ```
 */
export class CoinbaseRestClient implements TradePages {
  #config: CoinbaseRestConfig;
  #fetch: typeof fetch;
  #clock: Clock;
  #random: () => number;
  #minGapMs: number;
  #backoff: { minMs: number; maxMs: number };
  /** The time the next request may go: requests are spaced, whoever makes them. */
  #nextSlot = -Infinity;

  /**
   * @param config Base URL, timeout, retries and the `Retry-After` cap.
   * @param options HTTP client, clock, random source, spacing and backoff.
   */
  constructor(config: CoinbaseRestConfig, options: CoinbaseRestClientOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#minGapMs = options.minGapMs ?? 100;
    this.#backoff = options.backoff ?? { minMs: 500, maxMs: 30_000 };
  }

  /**
   * The URL of a page.
   *
   * @param product The product.
   * @param after The cursor, or null.
   * @param limit How many trades.
   * @returns The URL.
   */
  urlFor(product: string, after: number | null, limit: number): string {
    const query = after === null ? `limit=${limit}` : `limit=${limit}&after=${after}`;
    return `${this.#config.baseUrl}/products/${encodeURIComponent(product)}/trades?${query}`;
  }

  /**
   * A page of a product's trades, retrying as configured.
   *
   * @param product `BTC-USD`.
   * @param request The cursor, the limit and the abort signal.
   * @returns The trades, newest first, and the next cursor.
   * @throws {CoinbaseRestError} When no page came, or the answer was not one.
   */
  async trades(product: string, request: PageRequest = {}): Promise<TradePage> {
    const after = request.after ?? null;
    const limit = Math.max(1, Math.min(PAGE_LIMIT, Math.floor(request.limit ?? PAGE_LIMIT)));
    const url = this.urlFor(product, after, limit);
    const { signal } = request;
    for (let attempt = 0;; attempt++) {
      await this.#waitForSlot(signal);
      const result = await this.#request(url, product, after, limit, signal);
      if ("page" in result) return result.page;
      const { error } = result;
      if (!result.retry || attempt >= this.#config.maxRetries) {
        const tries = attempt + 1;
        if (!result.retry) throw error;
        throw new CoinbaseRestError(
          `${error.message} (after ${tries} attempt${tries === 1 ? "" : "s"})`,
          { failure: error.failure, status: error.status, cause: error },
        );
      }
      const wait = this.#capRetryAfter(result.retryAfterMs) ??
        backoffDelay(attempt, { ...this.#backoff, jitter: 0.5, random: this.#random });
      logger.warn("{message}; retry {retry} of {maxRetries} in {seconds} s", {
        message: error.message,
        retry: attempt + 1,
        maxRetries: this.#config.maxRetries,
        seconds: (wait / 1000).toFixed(1),
      });
      // The wait holds back every request of this client, not only this one.
      this.#nextSlot = Math.max(this.#nextSlot, this.#clock.now() + wait);
    }
  }

  /** Waits for this request's turn: no two requests closer than the least gap. */
  async #waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    const now = this.#clock.now();
    const at = Math.max(now, this.#nextSlot);
    this.#nextSlot = at + this.#minGapMs;
    if (at > now) await this.#clock.sleep(at - now, signal ? { signal } : {});
    signal?.throwIfAborted();
  }

  /** A `Retry-After` wait cut to `maxRetryAfterMs`, with a warning when it was longer. */
  #capRetryAfter(askedMs: number | null): number | null {
    const { maxRetryAfterMs } = this.#config;
    if (askedMs === null || askedMs <= maxRetryAfterMs) return askedMs;
    logger.warn(
      "Coinbase's Retry-After asks to wait {asked} s; waiting {cap} s instead, the most API_MAX_RETRY_AFTER allows",
      { asked: askedMs / 1000, cap: maxRetryAfterMs / 1000 },
    );
    return maxRetryAfterMs;
  }

  async #request(
    url: string,
    product: string,
    after: number | null,
    limit: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    const { timeoutMs } = this.#config;
    const what = `Coinbase REST ${product} trades${after === null ? "" : ` after ${after}`}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number | null = null;
    const fail = (
      message: string,
      failure: RestFailure,
      retry: boolean,
      retryAfterMs: number | null = null,
    ): Attempt => ({
      error: new CoinbaseRestError(`${what}: ${message}`, { failure, status }),
      retry,
      retryAfterMs,
    });
    let text: string;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        headers: { accept: "application/json" },
        signal: combined,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return fail(
        timeout.aborted
          ? `no answer within ${timeoutMs / 1000} s`
          : `cannot reach ${new URL(url).origin}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        "unavailable",
        true,
      );
    }
    const type = response.headers.get("content-type") ?? "no content type";
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"), this.#clock.now());
      return fail(
        `HTTP ${response.status}${response.status === 429 ? " (rate limited)" : ""}: ${
          snippet(text, type)
        }`,
        "unavailable",
        true,
        retryAfter,
      );
    }
    if (!response.ok) {
      return fail(`HTTP ${response.status}: ${snippet(text, type)}`, "refused", false);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return fail(
        `HTTP ${response.status} with a body that is not JSON (${type}): ${snippet(text, type)}`,
        "bad-answer",
        false,
      );
    }
    if (!Array.isArray(body)) {
      return fail(
        `HTTP ${response.status} with JSON that is not a list of trades: ${snippet(text, type)}`,
        "bad-answer",
        false,
      );
    }
    if (body.length > limit) {
      return fail(`${body.length} trades in a page of at most ${limit}`, "bad-answer", false);
    }
    const trades: FeedTrade[] = [];
    for (const [index, entry] of body.entries()) {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        return fail(
          `entry ${index} is not a trade: ${snippet(JSON.stringify(entry), "json")}`,
          "bad-answer",
          false,
        );
      }
      const event = checkTrade({ ...entry, type: "trade", product_id: product });
      if (event.type !== "trade") {
        return fail(
          `entry ${index} is a ${
            event.type === "malformed" ? event.reason : "trade that cannot be read"
          }`,
          "bad-answer",
          false,
        );
      }
      const trade = event.trade;
      const above = trades.at(-1)?.tradeId ?? after;
      if (above !== null && trade.tradeId >= above) {
        return fail(
          `entry ${index} has trade_id ${trade.tradeId}, not below ${above} (a page is newest first, below its cursor)`,
          "bad-answer",
          false,
        );
      }
      trades.push(trade);
    }
    const header = response.headers.get("cb-after");
    let next: number | null = null;
    if (header !== null && header.trim() !== "") {
      next = /^\d{1,16}$/.test(header.trim()) ? Number(header.trim()) : NaN;
      if (!Number.isSafeInteger(next)) {
        return fail(
          `cb-after is not a trade id: ${JSON.stringify(header.slice(0, 40))}`,
          "bad-answer",
          false,
        );
      }
    }
    return { page: { trades, next } };
  }
}

/** The gist of an answer's body, one short line. */
function snippet(text: string, type: string): string {
  let plain = text;
  if (type.includes("html") || /^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
    plain = title ?? text.replace(/<[^>]*>/g, " ");
  } else {
    try {
      const message = JSON.parse(text)?.message;
      if (typeof message === "string") plain = message;
    } catch {
      // not JSON: the text itself
    }
  }
  plain = plain.replace(/\s+/g, " ").trim();
  if (plain === "") return "(empty body)";
  return plain.length > 120 ? `${plain.slice(0, 117)}...` : plain;
}
