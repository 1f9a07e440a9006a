/**
 * What `serve` reads besides the store: live events from Redis pub/sub or from the Kafka topics,
 * and the candle group's lag. Each runs in the background, retries on its own, and never stops
 * the server from answering.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createClient } from "redis";
import type { KafkaConfig } from "../config/types.ts";
import { fetchLag } from "../kafka/lag.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import type { InstanceFencedError } from "../kafka/transport.ts";
import { deadline } from "../runtime/deadline.ts";
import { decodeLiveMessage } from "./live_decode.ts";
import type { LiveHub } from "./live_hub.ts";
import type { LagSnapshot } from "./pipeline_snapshot.ts";

const log = getLogger(["crypto", "http", "feed"]);

/** Live events read in the background. */
export interface Feed {
  /** Resolves while the feed is connected, rejects with the reason when it is not. */
  ready(): Promise<void>;
  /** Events decoded and published, and messages refused. */
  counts(): { events: number; refused: number };
  close(): Promise<void>;
}

/** How long closing the Redis feed waits for the connection, then for the client to close, ms. */
const CLOSE_MS = 1_000;

const REDIS_CHANNELS = {
  "crypto:prices": "price",
  "crypto:candles": "candle",
  "crypto:alerts": "alert",
} as const;

/**
 * Publishes the messages of Redis `crypto:prices`, `crypto:candles` and `crypto:alerts` to the
 * hub. The client reconnects and subscribes again by itself.
 *
 * @param url The Redis URL (may hold a password: never logged).
 * @param hub Where events go.
 * @returns The feed.
 */
export function redisFeed(url: string, hub: LiveHub): Feed {
  let events = 0;
  let refused = 0;
  let lastError = "not connected yet";
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  });
  client.on("error", (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== lastError) log.warn("Redis: {message}", { message });
    lastError = message;
  });
  const listener = (message: string, channel: string) => {
    const kind = REDIS_CHANNELS[channel as keyof typeof REDIS_CHANNELS];
    const event = kind === undefined ? null : decodeLiveMessage(kind, message);
    if (event === null) {
      refused++;
      return;
    }
    events++;
    hub.publish(event);
  };
  const started = client.connect()
    .then(() => client.subscribe(Object.keys(REDIS_CHANNELS), listener))
    .catch((error: unknown) => {
      lastError = error instanceof Error ? error.message : String(error);
    });
  return {
    ready: () =>
      client.isReady ? Promise.resolve() : Promise.reject(new Error(`Redis: ${lastError}`)),
    counts: () => ({ events, refused }),
    async close() {
      // A Redis that never answered leaves the connection retrying for ever: it is not waited
      // for past CLOSE_MS, and a client not closed by then is destroyed.
      await deadline(started, CLOSE_MS).catch(() => {});
      if (client.isReady) await deadline(client.close(), CLOSE_MS).catch(() => {});
      if (client.isOpen) client.destroy();
    },
  };
}

/** How the Kafka feed's consumers belong to their groups. */
export interface FeedMembership {
  /**
   * With an id, the feed's groups are `crypto-serve-<id>-candle` and `-price`, and this process
   * their static member under the id; without one, new groups each run.
   */
  instanceId: string | null;
  /** How long the broker waits for a member that stopped heartbeating, ms. */
  sessionTimeoutMs: number;
  /** Called when the broker fences this member: another process joined with its id. */
  onFenced?: (error: InstanceFencedError) => void;
}

/**
 * Publishes the records of the candle topic and the price topic to the hub, from their end (a
 * consumer group of its own, nothing committed).
 *
 * @param config Where the broker is.
 * @param topics The candle and price topics.
 * @param hub Where events go.
 * @param membership The instance id, if any, and the session timeout.
 * @returns The feed.
 */
export function kafkaFeed(
  config: KafkaConfig,
  topics: { candles: string; prices: string },
  hub: LiveHub,
  membership: FeedMembership = { instanceId: null, sessionTimeoutMs: 30_000 },
): Feed {
  let events = 0;
  let refused = 0;
  let running = false;
  let lastError = "not connected yet";
  let stopped = false;
  const { instanceId, sessionTimeoutMs, onFenced } = membership;
  const groupId = `crypto-serve-${instanceId ?? crypto.randomUUID().slice(0, 8)}`;
  // A consumer (and a group) a topic: each reads its topic from the end, committing nothing.
  const readers = ([[topics.candles, "candle"], [topics.prices, "price"]] as const).map((
    [topic, kind],
  ) => ({
    topic,
    kind,
    transport: new PlatformaticConsumerTransport(config, `${groupId}-${kind}`, {
      instanceId,
      sessionTimeoutMs,
      ...(onFenced ? { onFenced } : {}),
    }),
  }));
  const start = async () => {
    while (!stopped) {
      try {
        for (const { topic, kind, transport } of readers) {
          await transport.connect();
          await transport.consume({
            topic,
            fromBeginning: false,
            handle: (record) => {
              const event = record.value === null ? null : decodeLiveMessage(kind, record.value);
              if (event === null) refused++;
              else {
                events++;
                hub.publish(event);
              }
              return Promise.resolve();
            },
            onAssign: () => (running = true),
          });
        }
        return;
      } catch (error) {
        running = false;
        lastError = error instanceof Error ? error.message : String(error);
        log.warn("Kafka live feed: {message}; trying again in 5 s", { message: lastError });
        for (const { transport } of readers) await transport.disconnect().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
    }
  };
  const starting = start();
  return {
    ready: () =>
      running ? Promise.resolve() : Promise.reject(new Error(`Kafka feed: ${lastError}`)),
    counts: () => ({ events, refused }),
    async close() {
      stopped = true;
      for (const { transport } of readers) await transport.disconnect().catch(() => {});
      // A start caught in its wait between two tries is not waited for.
      await deadline(starting, 100).catch(() => {});
    },
  };
}

/** A consumer group's lag, refreshed in the background. */
export interface LagPoller {
  /** The lag as last read (empty before the first read and while the broker is away). */
  lag(): LagSnapshot[];
  close(): void;
}

/**
 * Reads a consumer group's lag every `everyMs`.
 *
 * @param config Where the broker is.
 * @param options The group, topic, what reads through the group (shown beside it) and period.
 * @returns The poller.
 */
export function lagPoller(
  config: KafkaConfig,
  options: { group: string; topic: string; consumer?: string; everyMs?: number },
): LagPoller {
  let current: LagSnapshot[] = [];
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = async () => {
    try {
      const partitions = await fetchLag({ ...config, connectTimeoutMs: 3000 }, options);
      current = partitions.map((p) => ({
        topic: options.topic,
        group: options.group,
        ...(options.consumer === undefined ? {} : { consumer: options.consumer }),
        partition: p.partition,
        lag: p.lag,
      }));
    } catch {
      current = [];
    }
    if (!stopped) timer = setTimeout(poll, options.everyMs ?? 5000);
  };
  void poll();
  return {
    lag: () => current,
    close: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
