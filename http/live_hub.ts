/**
 * The live hub: one place the pipeline publishes prices, candles, alerts and pipeline snapshots
 * to, and every Server-Sent Events client reads from (docs/api.md, `GET /api/v1/stream`).
 *
 * Publishing never waits: an event is encoded once, kept in a bounded replay buffer (for
 * `Last-Event-ID`) and put in each matching client's bounded queue. A client whose queue is full
 * is too slow to keep up and is dropped (its browser reconnects and catches up from the replay
 * buffer), so no client can hold the pipeline back.
 *
 * @module
 */
import type { Alert } from "../market/alert.ts";
import { alertJson } from "../market/messages/alert_message.ts";
import type { Candle } from "../market/candle.ts";
import { candleJson } from "../market/messages/candle_message.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import { latestPriceJson } from "../market/messages/latest_price_message.ts";
import { type Market, marketKey } from "../market/market.ts";

/** Something that happened, as the stream sends it: its `type` is the SSE event name. */
export type LiveEvent =
  | { type: "price"; price: LatestPrice }
  | { type: "candle"; candle: Candle }
  | { type: "alert"; alert: Alert }
  | { type: "pipeline"; pipeline: unknown };

/** The kinds of {@linkcode LiveEvent}. */
export type LiveEventType = LiveEvent["type"];

/** Options of a {@linkcode LiveHub}. */
export interface LiveHubOptions {
  /** Events kept for clients that reconnect with `Last-Event-ID`. @default {1024} */
  replay?: number;
  /** Events (and heartbeats) waiting for one client before it is dropped as too slow. @default {256} */
  clientQueue?: number;
  /** Time between heartbeat comments, in milliseconds. @default {15_000} */
  heartbeatMs?: number;
  /** The reconnection delay the stream asks browsers for, in milliseconds. @default {2_000} */
  retryMs?: number;
  /** Names this hub's event ids, so ids of an earlier run are told apart. @default {Date.now() in base 36} */
  bootId?: string;
}

/** What a client asks the stream for. */
export interface SubscribeOptions {
  /**
   * Only these symbols' prices, candles and alerts (every market of each; pipeline events go to
   * all); null for all. With `markets` too, an event of either is sent.
   */
  symbols?: ReadonlySet<string> | null;
  /** Only these markets' (keys, `coinbase:BTC-EUR`); null for all. */
  markets?: ReadonlySet<string> | null;
  /** The id of the last event the client received, from `Last-Event-ID`. */
  lastEventId?: string | null;
}

/** The hub's counters, for `/metrics`. */
export interface LiveHubStats {
  /** Clients connected now. */
  clients: number;
  /** Events published, by type. */
  published: Record<LiveEventType, number>;
  /** Clients that have connected. */
  connected: number;
  /** Clients dropped for falling behind. */
  dropped: number;
  /** Events sent again to clients that reconnected. */
  replayed: number;
}

/** Whom an event concerns: a market (and its symbol), or every client (pipeline events). */
type Topic = { symbol: string; market: string } | null;

interface Frame {
  seq: number;
  topic: Topic;
  bytes: Uint8Array;
}

/** Which events a client wants: null for all. */
type Filter = { symbols: ReadonlySet<string>; markets: ReadonlySet<string> } | null;

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  filter: Filter;
}

function wants(filter: Filter, topic: Topic): boolean {
  return filter === null || topic === null || filter.symbols.has(topic.symbol) ||
    filter.markets.has(topic.market);
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

const topicOf = (m: Market & { symbol: string }): Topic => ({
  symbol: m.symbol,
  market: marketKey(m),
});

function eventData(event: LiveEvent): { topic: Topic; data: unknown } {
  switch (event.type) {
    case "price":
      return { topic: topicOf(event.price), data: latestPriceJson(event.price) };
    case "candle":
      return { topic: topicOf(event.candle), data: candleJson(event.candle) };
    case "alert":
      return { topic: topicOf(event.alert), data: alertJson(event.alert) };
    case "pipeline":
      return { topic: null, data: event.pipeline };
  }
}

/**
 * Fans live events out to Server-Sent Events clients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LiveHub } from "./live_hub.ts";
 * const hub = new LiveHub({ bootId: "a" });
 * const stream = hub.subscribe({ symbols: new Set(["BTC"]) });
 * hub.publish({ type: "price", price: {
 *   source: "coingecko", product: "BTC-USD", symbol: "BTC", priceUsd: 45234.56, volume24h: null, marketCap: null, priceChange24h: 2.34,
 *   eventTime: Date.UTC(2025, 10, 12, 10, 30, 45),
 * } });
 * const reader = stream.getReader();
 * await reader.read(); // the retry line
 * const { value } = await reader.read();
 * const lines = new TextDecoder().decode(value).split("\n");
 * assert.deepEqual(lines.slice(0, 2), ["id: a-1", "event: price"]);
 * await reader.cancel();
 * hub.close();
 * ```
 */
export class LiveHub {
  #replay: number;
  #clientQueue: number;
  #heartbeatMs: number;
  #retry: Uint8Array;
  #bootId: string;
  #seq = 0;
  #frames: Frame[] = [];
  #clients = new Set<Client>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #listeners = new Set<(event: LiveEvent) => void>();
  #stats: LiveHubStats = {
    clients: 0,
    published: { price: 0, candle: 0, alert: 0, pipeline: 0 },
    connected: 0,
    dropped: 0,
    replayed: 0,
  };

  /** @param options Buffer sizes and timings. */
  constructor(options: LiveHubOptions = {}) {
    this.#replay = options.replay ?? 1024;
    this.#clientQueue = options.clientQueue ?? 256;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#retry = encoder.encode(`retry: ${options.retryMs ?? 2_000}\n\n`);
    this.#bootId = options.bootId ?? Date.now().toString(36);
  }

  /** The hub's counters as they stand. */
  get stats(): Readonly<LiveHubStats> {
    this.#stats.clients = this.#clients.size;
    return this.#stats;
  }

  /**
   * Sends an event to every client that wants it, and keeps it for reconnecting clients. Never
   * waits; a client that cannot keep up is dropped.
   *
   * @param event The event.
   * @returns The event's id.
   */
  publish(event: LiveEvent): string {
    const { topic, data } = eventData(event);
    const seq = ++this.#seq;
    const id = `${this.#bootId}-${seq}`;
    const frame: Frame = {
      seq,
      topic,
      bytes: encoder.encode(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`),
    };
    this.#frames.push(frame);
    if (this.#frames.length > this.#replay * 2) {
      this.#frames = this.#frames.slice(-this.#replay);
    }
    this.#stats.published[event.type]++;
    for (const listener of this.#listeners) listener(event);
    for (const client of this.#clients) {
      if (wants(client.filter, topic)) this.#send(client, frame.bytes);
    }
    return id;
  }

  /**
   * Opens a stream for one client: the retry hint, the buffered events it missed (when it gives
   * the id of the last one it saw), then live events and heartbeats.
   *
   * @param options Its symbols or markets and `Last-Event-ID`.
   * @returns The body of a `text/event-stream` response; cancelling it unsubscribes.
   */
  subscribe(options: SubscribeOptions = {}): ReadableStream<Uint8Array> {
    let client: Client;
    const symbols = options.symbols ?? null;
    const markets = options.markets ?? null;
    const filter: Filter = symbols === null && markets === null
      ? null
      : { symbols: symbols ?? new Set(), markets: markets ?? new Set() };
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller, filter };
        this.#stats.connected++;
        if (this.#closed) {
          controller.close();
          return;
        }
        controller.enqueue(this.#retry);
        for (const frame of this.#missed(options.lastEventId ?? null)) {
          if (wants(filter, frame.topic)) {
            controller.enqueue(frame.bytes);
            this.#stats.replayed++;
          }
        }
        this.#clients.add(client);
        this.#startHeartbeat();
      },
      cancel: () => this.#remove(client),
    }, { highWaterMark: 0 });
  }

  /**
   * Tells a listener of every event published from now on (synchronously: it must be quick).
   *
   * @param listener Told of each event.
   * @returns A function that stops telling it.
   */
  listen(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends every stream and the heartbeat; later subscribers get an empty stream. */
  close(): void {
    this.#closed = true;
    for (const client of [...this.#clients]) {
      this.#remove(client);
      try {
        client.controller.close();
      } catch {
        // already closed
      }
    }
  }

  /** The buffered events after the one a client names, oldest first. */
  #missed(lastEventId: string | null): Frame[] {
    if (lastEventId === null) return [];
    const match = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId.trim());
    const kept = this.#frames.slice(-this.#replay);
    // An id of an earlier run: everything kept happened after it.
    if (match === null || match[1] !== this.#bootId) return match === null ? [] : kept;
    const seq = Number(match[2]);
    return kept.filter((frame) => frame.seq > seq);
  }

  #send(client: Client, bytes: Uint8Array): void {
    const waiting = client.controller.desiredSize;
    if (waiting !== null && -waiting >= this.#clientQueue) {
      this.#stats.dropped++;
      this.#remove(client);
      try {
        client.controller.error(new Error("Client dropped: it fell too far behind the stream"));
      } catch {
        // already closed
      }
      return;
    }
    try {
      client.controller.enqueue(bytes);
    } catch {
      this.#remove(client);
    }
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #startHeartbeat(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      for (const client of this.#clients) this.#send(client, HEARTBEAT);
    }, this.#heartbeatMs);
  }
}
