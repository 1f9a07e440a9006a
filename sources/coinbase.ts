/**
 * One connection to the Coinbase Exchange feed: open the WebSocket, subscribe, hand over each
 * frame read, and end with a {@linkcode FeedError} when the connection fails, closes, or stays
 * silent (heartbeats included) past the staleness limit. Reconnecting is the caller's policy.
 *
 * @module
 */
import { redactUrl } from "../config/values.ts";
import { type Clock, systemClock } from "../runtime/delay.ts";
import { type FeedEvent, parseFeedFrame, subscribeFrame } from "./coinbase_protocol.ts";

/** Why a connection to the feed ended. */
export type FeedFailure = "unreachable" | "closed" | "stale";

/** A connection to the feed that ended; the caller reconnects. */
export class FeedError extends Error {
  /** `unreachable` (never opened), `closed` (by the feed or the network) or `stale` (silent). */
  readonly failure: FeedFailure;
  /**
   * @param message One line on what happened.
   * @param options Why, and the cause.
   */
  constructor(message: string, options: ErrorOptions & { failure: FeedFailure }) {
    super(message, options);
    this.name = "FeedError";
    this.failure = options.failure;
  }
}

/** A frame read, parsed, with when it came. */
export interface FeedFrame {
  /** What it is. */
  event: FeedEvent;
  /** When it was read, ms since the epoch (the clock's). */
  receivedAt: number;
}

/** The part of the WebSocket API a feed connection uses (the global `WebSocket` has it). */
export interface FeedSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Called once the connection is open. */
  onopen: ((event: Event) => void) | null;
  /** Called with each frame. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Called when the connection fails (an `ErrorEvent` with a message, in Deno). */
  onerror: ((event: Event) => void) | null;
  /** Called once the connection is closed, whoever closed it. */
  onclose: ((event: CloseEvent) => void) | null;
  /** Sends a text frame. */
  send(data: string): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
}

/** What a connection needs. */
export interface FeedOptions {
  /** The feed's URL, `wss://…`. */
  url: string;
  /** The products to subscribe to. */
  products: readonly string[];
  /** Silence after which the connection is taken as dead, ms. */
  staleAfterMs: number;
  /** Aborting closes the connection and ends the reading with the signal's reason. */
  signal: AbortSignal;
  /** The clock for the silence limit and the receive times. @default {systemClock} */
  clock?: Clock;
  /** Opens the socket. @default {(url) => new WebSocket(url)} */
  connect?: (url: string) => FeedSocket;
}

/** `NetworkError: failed to connect to WebSocket: dns error` → `dns error`. */
function networkReason(message: string): string {
  const text = message.replace(/^\w*Error: /, "").replace(/^failed to connect to WebSocket: /, "");
  return text === "" ? "connection failed" : text;
}

/**
 * Opens a connection, subscribes to the products' `matches` and `heartbeat`, and yields the
 * frames as they are read: all those read since the last batch, in order, as one batch.
 *
 * @param options The URL, the products, the silence limit and the abort signal.
 * @returns Batches of frames; the iteration throws a {@linkcode FeedError} when the connection
 *   ends, and the signal's reason once it is aborted.
 *
 * @example
 * ```ts ignore
 * import { readFeed } from "./coinbase.ts";
 * for await (const frames of readFeed({ url: "wss://ws-feed.exchange.coinbase.com",
 *   products: ["BTC-USD"], staleAfterMs: 30_000, signal: AbortSignal.timeout(10_000) })) {
 *   for (const { event } of frames) console.log(event.type);
 * }
 * ```
 */
export async function* readFeed(options: FeedOptions): AsyncGenerator<FeedFrame[]> {
  const { url, products, staleAfterMs, signal } = options;
  const clock = options.clock ?? systemClock;
  signal.throwIfAborted();
  const socket = (options.connect ?? ((u: string) => new WebSocket(u)))(url);
  let queue: { data: unknown; at: number }[] = [];
  let opened = false;
  let errorMessage = "";
  let ended: FeedError | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  socket.onopen = () => {
    opened = true;
    socket.send(subscribeFrame(products));
  };
  socket.onmessage = (event) => {
    queue.push({ data: event.data, at: clock.now() });
    if (wake) poke();
  };
  socket.onerror = (event) => {
    errorMessage = (event as ErrorEvent).message ?? "";
  };
  socket.onclose = (event) => {
    ended ??= opened
      ? new FeedError(
        `the feed closed the connection (code ${event.code}${
          event.reason ? `: ${event.reason.slice(0, 120)}` : ""
        })`,
        { failure: "closed" },
      )
      : new FeedError(`cannot connect to ${redactUrl(url)}: ${networkReason(errorMessage)}`, {
        failure: "unreachable",
      });
    poke();
  };
  const onAbort = () => poke();
  signal.addEventListener("abort", onAbort);
  try {
    let lastFrameAt = clock.now();
    while (true) {
      if (queue.length > 0) {
        // Everything read so far, in one go: a busy feed costs one wake-up per batch.
        const taken = queue;
        queue = [];
        lastFrameAt = taken[taken.length - 1]!.at;
        yield taken.map(({ data, at }) => ({ event: parseFeedFrame(data), receivedAt: at }));
        continue;
      }
      signal.throwIfAborted();
      if (ended) throw ended;
      const left = lastFrameAt + staleAfterMs - clock.now();
      if (left <= 0) {
        const seconds = staleAfterMs / 1000;
        throw opened
          ? new FeedError(`no message from the feed for ${seconds} s`, { failure: "stale" })
          : new FeedError(`cannot connect to ${redactUrl(url)}: no answer within ${seconds} s`, {
            failure: "unreachable",
          });
      }
      const woken = new AbortController();
      wake = () => woken.abort();
      try {
        await clock.sleep(left, { signal: woken.signal });
      } catch {
        // woken: a frame came, the connection ended, or the signal aborted
      }
      wake = null;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    socket.onopen =
      socket.onmessage =
      socket.onerror =
      socket.onclose =
        null;
    if (socket.readyState === 0 || socket.readyState === 1) {
      try {
        socket.close();
      } catch {
        // already closing
      }
    }
  }
}
