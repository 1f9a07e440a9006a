/**
 * A fake `fetch` that answers as the Coinbase Exchange REST API's trades route, on a fake clock:
 * for unit tests of the REST client, the range reader and the backfill, without a socket or a
 * real wait. Scripted answers come first, in order; then pages of its trades.
 *
 * @module
 */
import type { Clock } from "../../runtime/delay.ts";

/** A trade as REST gives it. */
export interface FakeRestTrade {
  time: string;
  trade_id: number;
  price: string;
  size: string;
  side: "buy" | "sell";
}

/** A scripted answer: a status, headers and a body (text as it is, else JSON). */
export interface FakeAnswer {
  /** @default {200} */
  status?: number;
  /** Headers. */
  headers?: Record<string, string>;
  /** The body. */
  body?: unknown;
  /** Fail the request itself (no answer), with this message. */
  networkError?: string;
}

/** A request received. */
export interface FakeRequest {
  /** The fake clock's time when it came. */
  at: number;
  /** The URL. */
  url: URL;
}

/** The fake exchange. */
export class FakeExchange {
  /** Its trades, per product, in trade id order. */
  readonly trades = new Map<string, FakeRestTrade[]>();
  /** Requests received, in order. */
  readonly requests: FakeRequest[] = [];
  /** Scripted answers, used first. */
  readonly script: FakeAnswer[] = [];
  /** REST keeps no trade below this id. */
  oldest = -Infinity;
  #clock: Clock;

  /** @param clock The clock requests are timed by. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Adds `count` trades of a product, ids from `firstId`, one every `stepMs` from `startMs`.
   *
   * @param product The product.
   * @param options First id, count, first time and step.
   * @returns The trades added.
   */
  add(
    product: string,
    options: { firstId: number; count: number; startMs: number; stepMs: number },
  ): FakeRestTrade[] {
    let list = this.trades.get(product);
    if (!list) this.trades.set(product, list = []);
    const added: FakeRestTrade[] = [];
    for (let i = 0; i < options.count; i++) {
      const trade: FakeRestTrade = {
        time: new Date(options.startMs + i * options.stepMs).toISOString().replace("Z", "123Z"),
        trade_id: options.firstId + i,
        price: (100 + (i % 50) / 100).toFixed(2),
        size: `0.${String(1 + (i % 9)).padStart(8, "0")}`,
        side: i % 2 === 0 ? "buy" : "sell",
      };
      added.push(trade);
    }
    list.push(...added);
    list.sort((a, b) => a.trade_id - b.trade_id);
    return added;
  }

  /** The `fetch` to give the client. */
  readonly fetch: typeof fetch = (input, _init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    this.requests.push({ at: this.#clock.now(), url });
    const scripted = this.script.shift();
    if (scripted?.networkError !== undefined) {
      return Promise.reject(new TypeError(scripted.networkError));
    }
    if (scripted) {
      const text = typeof scripted.body === "string"
        ? scripted.body
        : JSON.stringify(scripted.body ?? {});
      const headers = new Headers(scripted.headers ?? {});
      if (!headers.has("content-type")) {
        headers.set(
          "content-type",
          typeof scripted.body === "string" ? "text/html" : "application/json",
        );
      }
      return Promise.resolve(new Response(text, { status: scripted.status ?? 200, headers }));
    }
    const route = /^\/products\/([^/]+)\/trades$/.exec(url.pathname);
    const list = route ? this.trades.get(decodeURIComponent(route[1]!)) ?? [] : [];
    const limit = Number(url.searchParams.get("limit") ?? "1000");
    const afterRaw = url.searchParams.get("after");
    const after = afterRaw === null ? Infinity : Number(afterRaw);
    const page = list.filter((t) => t.trade_id < after && t.trade_id >= this.oldest).reverse()
      .slice(0, limit);
    const headers = new Headers({ "content-type": "application/json" });
    if (page.length > 0) headers.set("cb-after", String(page.at(-1)!.trade_id));
    return Promise.resolve(new Response(JSON.stringify(page), { status: 200, headers }));
  };
}
