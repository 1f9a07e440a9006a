/**
 * A local stand-in for CoinGecko's `/simple/price`, with its failure modes on demand: status
 * codes, `Retry-After`, HTML error pages, slow answers, answers cut off mid-body, missing coins
 * and bad prices. It serves `/coins/{id}/market_chart/range?vs_currency=usd&from=&to=` too: a
 * point every five minutes (by default) of a price that moves with time, with answers of its own
 * scripted on demand; and a rate limit, when set, answered with 429 and `Retry-After`.
 *
 * Run it by hand: `deno run --allow-net tests/support/coingecko_stub.ts --port 8089`, then
 * `COINGECKO_BASE_URL=http://127.0.0.1:8089/api/v3 deno task produce`.
 *
 * @module
 */

/** One scripted answer. */
export interface StubAnswer {
  /** HTTP status. @default {200} */
  status?: number;
  /**
   * The body: text as it is, a function of the live prices (made when the request comes),
   * anything else as JSON. @default the live prices
   */
  body?: unknown | ((live: Record<string, Record<string, number>>) => unknown);
  /** Response headers. */
  headers?: Record<string, string>;
  /** Wait this long before answering, ms (a hung connection: longer than the client's timeout). */
  delayMs?: number;
  /**
   * Send only this many bytes of the body, with a `content-length` of the whole, and close the
   * connection: an answer broken off mid-body.
   */
  cutAfter?: number;
}

/** A request the stand-in received. */
export interface StubRequest {
  /** When, ms since the epoch. */
  at: number;
  /** The URL. */
  url: URL;
  /** The request headers. */
  headers: Headers;
  /** The status answered (unset until the answer is made). */
  status?: number;
  /** The body text answered, as far as it was sent (unset until the answer is made). */
  body?: string;
}

const BASE_PRICES: Record<string, number> = {
  bitcoin: 45234.56,
  ethereum: 3198.23,
  solana: 142.5,
  cardano: 0.45,
  dogecoin: 0.081,
  "shiba-inu": 0.000012345,
};

/** The stand-in server. */
export class CoinGeckoStub {
  /** The base URL to put in `COINGECKO_BASE_URL`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: StubRequest[] = [];
  /** Coin ids answered as if CoinGecko did not know them. */
  readonly unknown = new Set<string>();
  /** Time between two points of a chart, ms. */
  chartStepMs = 300_000;
  /** Requests a minute before 429 (with `Retry-After`), or null for no limit. */
  perMinute: number | null = null;
  #queue: StubAnswer[] = [];
  #chartQueue: StubAnswer[] = [];
  #server: Deno.HttpServer;
  #lifetime = new AbortController();
  #served = 0;

  private constructor(server: Deno.HttpServer, port: number) {
    this.#server = server;
    this.url = `http://127.0.0.1:${port}/api/v3`;
  }

  /**
   * Starts the stand-in on 127.0.0.1.
   *
   * @param port The port; 0 picks a free one.
   * @returns The running stand-in.
   */
  static start(port = 0): Promise<CoinGeckoStub> {
    let stub: CoinGeckoStub | null = null;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      (request) => stub!.#handle(request),
    );
    stub = new CoinGeckoStub(server, server.addr.port);
    return Promise.resolve(stub);
  }

  /**
   * Scripts the next answers, in order; once used up, live prices are served again.
   *
   * @param answers The answers.
   */
  enqueue(...answers: StubAnswer[]): void {
    this.#queue.push(...answers);
  }

  /**
   * Scripts the next chart answers, in order; once used up, charts are served again.
   *
   * @param answers The answers.
   */
  chartEnqueue(...answers: StubAnswer[]): void {
    this.#chartQueue.push(...answers);
  }

  /**
   * A coin's chart between two times: a point every {@linkcode chartStepMs} (7.123 s past each
   * step), its price a function of the time.
   *
   * @param id The coin id.
   * @param fromMs The start, ms since the epoch.
   * @param toMs The end, ms.
   * @returns The `market_chart/range` body.
   */
  chartFor(
    id: string,
    fromMs: number,
    toMs: number,
  ): {
    prices: [number, number][];
    market_caps: [number, number][];
    total_volumes: [number, number][];
  } {
    const base = BASE_PRICES[id] ?? 1 + [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0);
    const step = this.chartStepMs;
    const prices: [number, number][] = [];
    const caps: [number, number][] = [];
    const volumes: [number, number][] = [];
    for (let t = Math.floor(fromMs / step) * step + 7_123; t <= toMs; t += step) {
      if (t < fromMs) continue;
      const price = Number((base * (1 + 0.001 * Math.sin(t / step))).toPrecision(10));
      prices.push([t, price]);
      caps.push([t, Number((price * 19_500_000).toFixed(2))]);
      volumes.push([t, Number((price * 630_000).toFixed(2))]);
    }
    return { prices, market_caps: caps, total_volumes: volumes };
  }

  /** Whether a request may go now, under the per-minute limit: null, or the seconds to wait. */
  #limited(now: number): number | null {
    if (this.perMinute === null) return null;
    const recent = this.requests.filter((r) => r.at > now - 60_000 && r.status !== 429);
    if (recent.length < this.perMinute) return null;
    return Math.max(1, Math.ceil((recent[0]!.at + 60_000 - now) / 1000));
  }

  /**
   * The live answer for the request's ids: each known coin's price moves a little on each call.
   *
   * @param ids The coin ids asked for.
   * @returns The `/simple/price` body.
   */
  pricesFor(ids: string[]): Record<string, Record<string, number>> {
    const n = ++this.#served;
    const body: Record<string, Record<string, number>> = {};
    for (const id of ids) {
      if (this.unknown.has(id)) continue;
      const base = BASE_PRICES[id] ?? 1 + [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0);
      const price = Number((base * (1 + 0.0001 * n)).toPrecision(10));
      body[id] = {
        usd: price,
        usd_market_cap: Number((price * 19_500_000).toFixed(2)),
        usd_24h_vol: Number((price * 630_000).toFixed(2)),
        usd_24h_change: Number((((n % 7) - 3) * 0.78).toFixed(2)),
        last_updated_at: 1_699_876_543 + n,
      };
    }
    return body;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const record: StubRequest = { at: Date.now(), url, headers: request.headers };
    this.requests.push(record);
    if (url.pathname.endsWith("/ping")) return Response.json({ gecko_says: "(V3) To the Moon!" });
    const wait = this.#limited(record.at);
    if (wait !== null) {
      record.status = 429;
      return Response.json({
        status: { error_code: 429, error_message: "You've exceeded the Rate Limit." },
      }, { status: 429, headers: { "retry-after": String(wait) } });
    }
    const chart = /\/coins\/([^/]+)\/market_chart\/range$/.exec(url.pathname);
    if (chart) return this.#chart(record, decodeURIComponent(chart[1]!));
    if (!url.pathname.endsWith("/simple/price")) {
      return Response.json({ error: "Not found" }, { status: 404 });
    }
    const answer = this.#queue.shift();
    if (answer?.delayMs) {
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, answer.delayMs);
          this.#lifetime.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new Error("stand-in closed"));
          }, { once: true });
        });
      } catch {
        return new Response(null, { status: 503 });
      }
    }
    const ids = (url.searchParams.get("ids") ?? "").split(",").filter((s) => s !== "");
    const scripted = answer && "body" in answer ? answer.body : undefined;
    const body = scripted === undefined
      ? this.pricesFor(ids)
      : typeof scripted === "function"
      ? scripted(this.pricesFor(ids))
      : scripted;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const headers = new Headers(answer?.headers ?? {});
    if (!headers.has("content-type")) {
      headers.set("content-type", typeof body === "string" ? "text/html" : "application/json");
    }
    record.status = answer?.status ?? 200;
    if (answer?.cutAfter === undefined) {
      record.body = text;
      return new Response(text, { status: record.status, headers });
    }
    const bytes = new TextEncoder().encode(text);
    const sent = bytes.slice(0, Math.min(answer.cutAfter, bytes.length - 1));
    record.body = new TextDecoder().decode(sent);
    headers.set("content-length", String(bytes.length));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(sent);
        controller.close();
      },
    });
    return new Response(stream, { status: record.status, headers });
  }

  #chart(record: StubRequest, id: string): Response {
    const params = record.url.searchParams;
    const from = Number(params.get("from"));
    const to = Number(params.get("to"));
    const answer = this.#chartQueue.shift();
    let status = answer?.status ?? 200;
    let body: unknown;
    if (answer && "body" in answer) body = answer.body;
    else if (params.get("vs_currency") !== "usd" || !(from >= 0) || !(to >= from)) {
      status = 400;
      body = { error: "invalid vs_currency, from or to" };
    } else if (this.unknown.has(id)) {
      status = 404;
      body = { error: "coin not found" };
    } else body = this.chartFor(id, from * 1000, to * 1000);
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const headers = new Headers(answer?.headers ?? {});
    if (!headers.has("content-type")) {
      headers.set("content-type", typeof body === "string" ? "text/html" : "application/json");
    }
    record.status = status;
    record.body = text;
    return new Response(text, { status, headers });
  }

  /** Stops the server, ending hung answers. */
  async close(): Promise<void> {
    this.#lifetime.abort();
    await this.#server.shutdown();
  }
}

if (import.meta.main) {
  const index = Deno.args.indexOf("--port");
  const port = index >= 0 ? Number(Deno.args[index + 1]) : 8089;
  const stub = await CoinGeckoStub.start(port);
  console.log(`CoinGecko stand-in on ${stub.url}`);
}
