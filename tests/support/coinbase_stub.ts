/**
 * A local stand-in for the Coinbase Exchange WebSocket feed (`wss://ws-feed.exchange.coinbase.com`),
 * speaking its protocol: a `subscribe` for `matches` and `heartbeat` is answered with
 * `subscriptions` (or an `error` naming a product it does not know), a `last_match` per product,
 * a heartbeat per product every second, and the trades scripted (or a random walk at a rate).
 * On demand: a dropped connection, a silent stall, a replay of trades already sent after the next
 * reconnection, a gap in the trade ids, and malformed frames.
 *
 * On the same port, plain HTTP, the Exchange REST API's `GET /products/{product}/trades?limit=&after=`:
 * every trade made (those the socket never sent included), newest first, `cb-after` naming the
 * next cursor, ten requests a second (a burst of fifteen) before it answers 429. On demand: trades
 * made but not sent on the socket, a past of trades before the first live one, a REST that
 * forgets what is older than an id, and scripted answers (429, 503, HTML, bad pages).
 *
 * Run it by hand: `deno task coinbase:stub` (127.0.0.1:8090, 5 trades a second per product, an
 * hour of past trades), then
 * `COINBASE_WS_URL=ws://127.0.0.1:8090 COINBASE_REST_URL=http://127.0.0.1:8090 deno task start --source coinbase`.
 *
 * @module
 */

/** A match as the stand-in sent it (the feed's own form: price and size are decimal strings). */
export interface StubMatch {
  type: "match" | "last_match";
  trade_id: number;
  maker_order_id: string;
  taker_order_id: string;
  side: "buy" | "sell";
  size: string;
  price: string;
  product_id: string;
  sequence: number;
  time: string;
}

/** A trade to script. */
export interface StubTrade {
  /** The product, `BTC-USD`. */
  product: string;
  /** The price, as the decimal string the feed sends (or a number, written with `String`). */
  price: string | number;
  /** The size, likewise. */
  size: string | number;
  /** Coinbase's `side`: the maker's (a `sell` is a trade a buyer took). @default {"buy"} */
  side?: "buy" | "sell";
  /** The trade's time, ISO-8601. @default now, with microseconds */
  time?: string;
}

/** Options for {@linkcode CoinbaseStub.start}. */
export interface CoinbaseStubOptions {
  /** The port; 0 picks a free one. @default {0} */
  port?: number;
  /** Time between two heartbeats of a product, ms; 0 for none. @default {1_000} */
  heartbeatMs?: number;
  /**
   * A past of trades each product has on REST before its first live trade: this long, ms, up to
   * the moment the product is first asked for. @default {0}
   */
  historyMs?: number;
  /** Trades a second in that past. @default {1} */
  historyPerSecond?: number;
  /** REST requests a second before 429 (with a burst of half as many again); 0 for no limit. @default {10} */
  restPerSecond?: number;
}

/** A trade as REST gives it. */
export interface RestTrade {
  time: string;
  trade_id: number;
  price: string;
  size: string;
  side: "buy" | "sell";
}

/** A REST request the stand-in received. */
export interface RestRequest {
  /** When, ms since the epoch. */
  at: number;
  /** The product asked for. */
  product: string;
  /** The cursor, or null. */
  after: number | null;
  /** The limit asked for. */
  limit: number;
  /** The status answered. */
  status: number;
}

/** A page as the stand-in would serve it, for a scripted answer to change. */
export interface RestPage {
  /** The trades, newest first. */
  trades: Record<string, unknown>[];
  /** The `cb-after` header, or null for none. */
  next: number | null;
}

/** A scripted REST answer. */
export interface RestAnswer {
  /** HTTP status. @default {200} */
  status?: number;
  /** Headers. */
  headers?: Record<string, string>;
  /** A body served as it is (text) or as JSON, in place of the page. */
  body?: unknown;
  /** Changes the page served (the request's cursor given). */
  page?: (page: RestPage, after: number | null) => RestPage;
}

/** One client connection. */
interface Client {
  socket: WebSocket;
  products: Set<string>;
  /** Nothing is sent to it before this time (a stall): what comes meanwhile is lost to it. */
  silentUntil: number;
}

const BASE_PRICES: Record<string, number> = {
  BTC: 45234.56,
  ETH: 3198.23,
  SOL: 142.5,
  ADA: 0.45,
  DOGE: 0.081,
  XRP: 0.62,
  LTC: 71.3,
};

const PRODUCT = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/;
const MAKER = "ac928c66-ca53-498f-9c13-a110027a60e8";
const TAKER = "132fb6ae-456b-4654-b4e0-d681ac05cea1";

/**
 * A time in the feed's form, with microseconds: `2025-11-12T10:30:45.123456Z`.
 *
 * @param ms Milliseconds since the epoch (a fraction gives the microseconds).
 * @returns The text.
 */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000).toString().padStart(3, "0");
  return `${new Date(whole).toISOString().slice(0, 23)}${micros.slice(0, 3)}Z`;
}

/** The stand-in server. */
export class CoinbaseStub {
  /** The URL to put in `COINBASE_WS_URL`. */
  readonly url: string;
  /** Products answered with an `error` as unknown (besides any not of the form `BASE-QUOTE`). */
  readonly unknown = new Set<string>();
  /** Whether a product is known; by default every `BASE-QUOTE` not in {@linkcode unknown}. */
  knows: (product: string) => boolean = () => true;
  /** Every distinct match sent, per product, in trade id order (replays not repeated here). */
  readonly sent = new Map<string, StubMatch[]>();
  /** Every subscription request received (its product ids), in order. */
  readonly subscriptions: string[][] = [];
  /** Connections accepted so far. */
  connections = 0;
  /** Trade ids skipped (a gap no one ever gets, REST included), per product. */
  readonly skipped = new Map<string, number[]>();
  /** Every trade made, per product, in trade id order: those sent and those kept off the socket. */
  readonly history = new Map<string, StubMatch[]>();
  /** Every REST request received, in order. */
  readonly restRequests: RestRequest[] = [];
  /** Every `n`th trade of the flow is kept off the socket (REST has it); 0 for none. */
  withholdEvery = 0;
  /** How many trades of the product in a row each of those is (a gap of that many ids). */
  withholdRun = 1;
  #withholdLeft = new Map<string, number>();
  /** Answers REST with this for every request while set (a persistent fault), or null. */
  restFault: ((after: number | null) => RestAnswer | null) | null = null;
  #restQueue: RestAnswer[] = [];
  #restOldest = new Map<string, number>();
  #restTokens = 0;
  #restFilledAt = 0;
  #restPerSecond: number;
  #historyMs: number;
  #historyPerSecond: number;
  #flowCount = 0;
  #server: Deno.HttpServer;
  #clients = new Set<Client>();
  #next = new Map<string, { tradeId: number; sequence: number }>();
  #replay = 0;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #flow: ReturnType<typeof setInterval> | null = null;
  #prices = new Map<string, number>();
  #onSend: ((match: StubMatch, at: number) => void) | null = null;

  /** The URL to put in `COINBASE_REST_URL`. */
  readonly restUrl: string;
  /** Heartbeats sent so far, all clients and products. */
  heartbeatsSent = 0;

  private constructor(server: Deno.HttpServer, port: number, options: CoinbaseStubOptions) {
    this.#server = server;
    this.url = `ws://127.0.0.1:${port}`;
    this.restUrl = `http://127.0.0.1:${port}`;
    this.#historyMs = options.historyMs ?? 0;
    this.#historyPerSecond = options.historyPerSecond ?? 1;
    this.#restPerSecond = options.restPerSecond ?? 10;
    this.#restTokens = this.#restPerSecond * 1.5;
  }

  /**
   * Starts the stand-in on 127.0.0.1.
   *
   * @param options Port and heartbeat interval.
   * @returns The running stand-in.
   */
  static start(options: CoinbaseStubOptions = {}): Promise<CoinbaseStub> {
    let stub: CoinbaseStub | null = null;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
      (request) => stub!.#handle(request),
    );
    stub = new CoinbaseStub(server, server.addr.port, options);
    const every = options.heartbeatMs ?? 1_000;
    if (every > 0) stub.#heartbeat = setInterval(() => stub!.#heartbeats(), every);
    return Promise.resolve(stub);
  }

  /** Clients connected and subscribed now. */
  get subscribed(): number {
    return [...this.#clients].filter((c) => c.products.size > 0).length;
  }

  /**
   * Called with each match as it is sent (to time frames in benchmarks), or null.
   *
   * @param listener The listener.
   */
  onSend(listener: ((match: StubMatch, at: number) => void) | null): void {
    this.#onSend = listener;
  }

  /**
   * Sends a trade as a `match` to every client subscribed to its product (or, with
   * `{ socket: false }`, makes it without sending it: REST has it, the feed missed it).
   *
   * @param trade The trade.
   * @param options Whether it goes on the socket. @default {{ socket: true }}
   * @returns The match made.
   */
  trade(trade: StubTrade, options: { socket?: boolean } = {}): StubMatch {
    const ids = this.#ids(trade.product);
    const match: StubMatch = {
      type: "match",
      trade_id: ids.tradeId++,
      maker_order_id: crypto.randomUUID(),
      taker_order_id: crypto.randomUUID(),
      side: trade.side ?? "buy",
      size: String(trade.size),
      price: String(trade.price),
      product_id: trade.product,
      sequence: ids.sequence++,
      time: trade.time ?? microTime(Date.now()),
    };
    let made = this.history.get(trade.product);
    if (!made) this.history.set(trade.product, made = []);
    made.push(match);
    if (options.socket === false) return match;
    let list = this.sent.get(trade.product);
    if (!list) this.sent.set(trade.product, list = []);
    list.push(match);
    const text = JSON.stringify(match);
    const at = performance.now();
    this.#broadcast(trade.product, text);
    this.#onSend?.(match, at);
    return match;
  }

  /**
   * Skips trade ids of a product without sending them: the next trade shows a gap.
   *
   * @param product The product.
   * @param count How many ids to skip.
   */
  skip(product: string, count: number): void {
    const ids = this.#ids(product);
    let list = this.skipped.get(product);
    if (!list) this.skipped.set(product, list = []);
    for (let i = 0; i < count; i++) list.push(ids.tradeId++);
  }

  /**
   * Makes REST forget a product's trades below an id, as a REST that keeps only so much.
   *
   * @param product The product.
   * @param tradeId The oldest id REST still has.
   */
  forgetBelow(product: string, tradeId: number): void {
    this.#restOldest.set(product, tradeId);
  }

  /**
   * Scripts the next REST answers, in order; once used up, pages are served again.
   *
   * @param answers The answers.
   */
  restEnqueue(...answers: RestAnswer[]): void {
    this.#restQueue.push(...answers);
  }

  /**
   * After the next subscription, sends the last `count` matches of each product again (as
   * `match`, after the `last_match`): trades the client has seen already.
   *
   * @param count How many.
   */
  replayOnReconnect(count: number): void {
    this.#replay = count;
  }

  /**
   * Sends a frame as it is (malformed ones) to every subscribed client.
   *
   * @param text The frame.
   */
  raw(text: string): void {
    for (const client of this.#clients) {
      if (client.products.size > 0) this.#send(client, text);
    }
  }

  /**
   * Sends `count` matches as fast as it can, round robin over the products subscribed to (made
   * up front, so that making them costs nothing while sending); not kept in {@linkcode sent}.
   *
   * @param count How many.
   * @returns When the first and the last were handed to the sockets, ms since the epoch.
   */
  burst(count: number): { firstAt: number; lastAt: number } {
    const products = [...new Set([...this.#clients].flatMap((c) => [...c.products]))];
    const time = microTime(Date.now());
    const frames: string[] = [];
    for (let i = 0; i < count; i++) {
      const product = products[i % products.length]!;
      const ids = this.#ids(product);
      const price = ((BASE_PRICES[product.split("-")[0]!] ?? 100) + (i % 100) / 100).toFixed(2);
      const tradeId = ids.tradeId++;
      const sequence = ids.sequence++;
      frames.push(
        `{"type":"match","trade_id":${tradeId},"maker_order_id":"${MAKER}","taker_order_id":"${TAKER}","side":"buy","size":"0.01000000","price":"${price}","product_id":"${product}","sequence":${sequence},"time":"${time}"}`,
      );
    }
    const clients = [...this.#clients].filter((c) => c.products.size > 0);
    const firstAt = performance.timeOrigin + performance.now();
    for (const frame of frames) for (const client of clients) this.#send(client, frame);
    return { firstAt, lastAt: performance.timeOrigin + performance.now() };
  }

  /** Drops every connection (a close frame with code 1011, as a server that failed). */
  drop(): void {
    for (const client of this.#clients) {
      try {
        client.socket.close(1011, "stand-in dropped the connection");
      } catch {
        // closing already
      }
    }
  }

  /**
   * Stops sending anything (heartbeats included) on the connections open now, for `ms`; what
   * they would have been sent meanwhile is lost to them. New connections are not affected.
   *
   * @param ms How long.
   */
  stall(ms: number): void {
    const until = Date.now() + ms;
    for (const client of this.#clients) client.silentUntil = until;
  }

  /**
   * Sends a random walk of trades, `perSecond` a second for each product any client is subscribed
   * to (or the ones given), until {@linkcode CoinbaseStub.stopFlow}.
   *
   * @param perSecond Trades a second per product.
   * @param products The products, or all subscribed ones.
   */
  startFlow(perSecond: number, products?: readonly string[]): void {
    this.stopFlow();
    const everyMs = Math.max(1, 1000 / perSecond);
    let due = performance.now();
    this.#flow = setInterval(() => {
      const now = performance.now();
      while (due <= now) {
        due += everyMs;
        const wanted = products ??
          [...new Set([...this.#clients].flatMap((c) => [...c.products]))];
        for (const product of wanted) {
          if (this.withholdEvery > 0 && ++this.#flowCount % this.withholdEvery === 0) {
            this.#withholdLeft.set(product, this.withholdRun);
          }
          const left = this.#withholdLeft.get(product) ?? 0;
          if (left > 0) this.#withholdLeft.set(product, left - 1);
          this.trade(this.#walk(product), { socket: left === 0 });
        }
      }
    }, Math.min(everyMs, 20));
  }

  /** Stops the random walk (and ends a run kept off the socket). */
  stopFlow(): void {
    if (this.#flow !== null) clearInterval(this.#flow);
    this.#flow = null;
    this.#withholdLeft.clear();
  }

  /**
   * The next trade of a random walk for a product (not sent).
   *
   * @param product The product.
   * @returns The trade.
   */
  #walk(product: string): StubTrade {
    const base = BASE_PRICES[product.split("-")[0]!] ?? 100;
    const last = this.#prices.get(product) ?? base;
    const price = Math.max(base / 2, last * (1 + (Math.random() - 0.5) * 0.0004));
    this.#prices.set(product, price);
    const digits = price >= 1 ? 2 : 6;
    return {
      product,
      price: price.toFixed(digits),
      size: (Math.random() * 0.5 + 0.0001).toFixed(8),
      side: Math.random() < 0.5 ? "buy" : "sell",
    };
  }

  #ids(product: string): { tradeId: number; sequence: number } {
    let ids = this.#next.get(product);
    if (!ids) {
      // Ids start where an earlier run of the stand-in cannot have reached (10,000 a second of
      // wall-clock time), so that trades of two runs on one topic never share an id.
      const start = Date.now() * 10;
      this.#next.set(product, ids = { tradeId: start, sequence: start * 2 });
      if (this.#historyMs > 0) this.#seed(product);
    }
    return ids;
  }

  /** Makes the product's past: trades at the history's rate up to now, kept off the socket. */
  #seed(product: string): void {
    const now = Date.now();
    const count = Math.floor((this.#historyMs / 1000) * this.#historyPerSecond);
    const stepMs = this.#historyMs / Math.max(1, count);
    for (let i = 0; i < count; i++) {
      const trade = this.#walk(product);
      const ids = this.#next.get(product)!;
      const match: StubMatch = {
        type: "match",
        trade_id: ids.tradeId++,
        maker_order_id: MAKER,
        taker_order_id: TAKER,
        side: trade.side ?? "buy",
        size: String(trade.size),
        price: String(trade.price),
        product_id: product,
        sequence: ids.sequence++,
        time: microTime(now - this.#historyMs + i * stepMs + Math.random() * stepMs * 0.5),
      };
      let made = this.history.get(product);
      if (!made) this.history.set(product, made = []);
      made.push(match);
    }
  }

  /** Whether a REST request may go now (a token bucket: the rate, and a burst of half again). */
  #restAllowed(): boolean {
    if (this.#restPerSecond <= 0) return true;
    const now = performance.now();
    const burst = this.#restPerSecond * 1.5;
    this.#restTokens = Math.min(
      burst,
      this.#restTokens + ((now - this.#restFilledAt) / 1000) * this.#restPerSecond,
    );
    this.#restFilledAt = now;
    if (this.#restTokens < 1) return false;
    this.#restTokens--;
    return true;
  }

  /** The REST API: `GET /products/{product}/trades?limit=&after=`. */
  #rest(request: Request): Response {
    const url = new URL(request.url);
    const route = /^\/products\/([^/]+)\/trades\/?$/.exec(url.pathname);
    if (request.method !== "GET" || route === null) {
      return Response.json({ message: "NotFound" }, { status: 404 });
    }
    const product = decodeURIComponent(route[1]!);
    const limitRaw = url.searchParams.get("limit") ?? "1000";
    const afterRaw = url.searchParams.get("after");
    const limit = Number(limitRaw);
    const after = afterRaw === null ? null : Number(afterRaw);
    const record: RestRequest = { at: Date.now(), product, after, limit, status: 200 };
    this.restRequests.push(record);
    const answer = (response: Response) => {
      record.status = response.status;
      return response;
    };
    if (!this.#restAllowed()) {
      return answer(
        Response.json({ message: "Public rate limit exceeded" }, {
          status: 429,
          headers: { "retry-after": "1" },
        }),
      );
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return answer(Response.json({ message: "Invalid limit" }, { status: 400 }));
    }
    if (after !== null && !Number.isSafeInteger(after)) {
      return answer(Response.json({ message: "Invalid after" }, { status: 400 }));
    }
    if (!PRODUCT.test(product) || this.unknown.has(product) || !this.knows(product)) {
      return answer(Response.json({ message: "NotFound" }, { status: 404 }));
    }
    this.#ids(product);
    const scripted = this.#restQueue.shift() ?? this.restFault?.(after) ?? null;
    if (scripted?.body !== undefined) {
      const text = typeof scripted.body === "string"
        ? scripted.body
        : JSON.stringify(scripted.body);
      const headers = new Headers(scripted.headers ?? {});
      if (!headers.has("content-type")) {
        headers.set(
          "content-type",
          typeof scripted.body === "string" ? "text/html" : "application/json",
        );
      }
      return answer(new Response(text, { status: scripted.status ?? 200, headers }));
    }
    if (scripted?.status !== undefined && scripted.status !== 200) {
      return answer(
        Response.json({ message: `HTTP ${scripted.status}` }, {
          status: scripted.status,
          headers: scripted.headers ?? {},
        }),
      );
    }
    let page = this.#page(product, after, limit);
    if (scripted?.page) page = scripted.page(page, after);
    const headers = new Headers(scripted?.headers ?? {});
    headers.set("content-type", "application/json");
    if (page.next !== null) headers.set("cb-after", String(page.next));
    const newest = page.trades[0]?.trade_id;
    if (typeof newest === "number") headers.set("cb-before", String(newest));
    return answer(new Response(JSON.stringify(page.trades), { status: 200, headers }));
  }

  /** The page REST serves: trades below `after` (or the newest), newest first. */
  #page(product: string, after: number | null, limit: number): RestPage {
    const made = this.history.get(product) ?? [];
    const oldest = this.#restOldest.get(product) ?? -Infinity;
    // The first trade at or above the cursor: those below it, back from there.
    let lo = 0;
    let hi = made.length;
    const bound = after ?? Infinity;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (made[mid]!.trade_id < bound) lo = mid + 1;
      else hi = mid;
    }
    const trades: Record<string, unknown>[] = [];
    for (let i = lo - 1; i >= 0 && trades.length < limit; i--) {
      const m = made[i]!;
      if (m.trade_id < oldest) break;
      const trade: RestTrade = {
        time: m.time,
        trade_id: m.trade_id,
        price: m.price,
        size: m.size,
        side: m.side,
      };
      trades.push({ ...trade });
    }
    const last = trades.at(-1)?.trade_id;
    return { trades, next: typeof last === "number" ? last : null };
  }

  /** Sends a frame to a client; false when it was not sent (the client silenced or gone). */
  #send(client: Client, text: string): boolean {
    if (Date.now() < client.silentUntil) return false;
    if (client.socket.readyState !== WebSocket.OPEN) return false;
    try {
      client.socket.send(text);
      return true;
    } catch {
      // the client went away
      return false;
    }
  }

  #broadcast(product: string, text: string): void {
    for (const client of this.#clients) {
      if (client.products.has(product)) this.#send(client, text);
    }
  }

  #heartbeats(): void {
    const time = microTime(Date.now());
    for (const client of this.#clients) {
      for (const product of client.products) {
        const ids = this.#ids(product);
        const last = this.history.get(product)?.at(-1)?.trade_id ?? ids.tradeId - 1;
        const sent = this.#send(
          client,
          JSON.stringify({
            type: "heartbeat",
            last_trade_id: last,
            product_id: product,
            sequence: ids.sequence,
            time,
          }),
        );
        if (sent) this.heartbeatsSent++;
      }
    }
  }

  #subscribe(client: Client, text: string): void {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(text);
    } catch {
      this.#send(client, JSON.stringify({ type: "error", message: "Malformed JSON" }));
      return;
    }
    if (request.type !== "subscribe") return;
    const products = Array.isArray(request.product_ids)
      ? request.product_ids.filter((p): p is string => typeof p === "string")
      : [];
    this.subscriptions.push(products);
    const bad = products.find((p) => this.unknown.has(p) || !PRODUCT.test(p) || !this.knows(p));
    if (bad !== undefined) {
      this.#send(
        client,
        JSON.stringify({
          type: "error",
          message: "Failed to subscribe",
          reason: `${bad} is not a valid product`,
        }),
      );
      return;
    }
    const channels = Array.isArray(request.channels) ? request.channels : [];
    for (const p of products) client.products.add(p);
    this.#send(
      client,
      JSON.stringify({
        type: "subscriptions",
        channels: channels.map((name) => ({ name, product_ids: [...client.products] })),
      }),
    );
    const replay = this.#replay;
    this.#replay = 0;
    for (const product of products) {
      const history = this.sent.get(product) ?? [];
      const last = history.at(-1);
      if (last) this.#send(client, JSON.stringify({ ...last, type: "last_match" }));
      if (replay > 0) {
        for (const match of history.slice(-replay)) this.#send(client, JSON.stringify(match));
      }
    }
  }

  #handle(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return this.#rest(request);
    const { socket, response } = Deno.upgradeWebSocket(request);
    const client: Client = { socket, products: new Set(), silentUntil: 0 };
    this.connections++;
    this.#clients.add(client);
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.#subscribe(client, event.data);
    };
    socket.onclose = () => this.#clients.delete(client);
    socket.onerror = () => this.#clients.delete(client);
    return response;
  }

  /** Stops the server and closes every connection. */
  async close(): Promise<void> {
    this.stopFlow();
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    for (const client of this.#clients) {
      try {
        client.socket.close(1001, "stand-in closing");
      } catch {
        // closing already
      }
    }
    this.#clients.clear();
    await this.#server.shutdown();
  }
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const index = Deno.args.indexOf(`--${name}`);
    return index >= 0 ? Number(Deno.args[index + 1]) : fallback;
  };
  const stub = await CoinbaseStub.start({
    port: flag("port", 8090),
    historyMs: flag("history", 1) * 3_600_000,
    historyPerSecond: flag("rate", 5),
  });
  stub.withholdEvery = flag("withhold-every", 0);
  // By hand, it knows the products of a few base currencies, as the exchange knows its own.
  stub.knows = (product) => product.split("-")[0]! in BASE_PRICES;
  const rate = flag("rate", 5);
  const burst = flag("burst", 0);
  if (burst > 0) {
    // For the benchmarks: once a client is subscribed, `burst` trades at full speed, then the
    // times as one JSON line.
    while (stub.subscribed === 0) await new Promise((r) => setTimeout(r, 2));
    console.log(JSON.stringify(stub.burst(burst)));
  } else {
    if (rate > 0) stub.startFlow(rate);
    console.log(
      `Coinbase feed stand-in on ${stub.url} (REST on ${stub.restUrl}): ${rate} trade(s) a second per product subscribed to, of ${
        Object.keys(BASE_PRICES).join(", ")
      } (any quote currency)${
        stub.withholdEvery > 0 ? `; every ${stub.withholdEvery}th kept off the socket` : ""
      }`,
    );
  }
}
