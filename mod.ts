/**
 * Real-Time Cryptocurrency Market Analyzer: live CoinGecko prices into Apache Kafka through a
 * small actor runtime — typed bounded channels and a supervisor that restarts failed actors
 * with backoff.
 *
 * The runtime on its own:
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel, Supervisor } from "./mod.ts";
 *
 * const numbers = new Channel<number>(8);
 * const doubled: number[] = [];
 * await new Supervisor([
 *   { name: "doubler", inbox: numbers, restart: "transient", actor: async (inbox) => {
 *     for await (const n of inbox) doubled.push(n * 2);
 *   } },
 *   { name: "counter", outbox: numbers, restart: "transient", actor: async (_inbox, outbox) => {
 *     for (let n = 1; n <= 3; n++) await outbox.send(n);
 *   } },
 * ]).run();
 * assert.deepEqual(doubled, [2, 4, 6]);
 * ```
 *
 * Candles of markets as a library: fold trades of two markets of one base currency into
 * candles, store them, read them back, and look for alerts.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   candleAlerts,
 *   CandleBook,
 *   type Market,
 *   DEFAULT_ALERT_RULES,
 *   marketKey,
 *   openStore,
 *   takerSide,
 * } from "./mod.ts";
 *
 * const book = new CandleBook({
 *   intervals: ["1m"],
 *   outOfOrdernessMs: 0,
 *   allowedLatenessMs: 0,
 *   idleTimeoutMs: 60_000,
 * });
 * const usd: Market = { source: "coinbase", product: "BTC-USD" };
 * const eur: Market = { source: "coinbase", product: "BTC-EUR" };
 * const store = await openStore("sqlite::memory:");
 * for (const market of [usd, eur]) book.claim(market, await store.loadMarket(market, book.horizonMs), 0);
 * // Coinbase names the maker's side: "sell" is a trade a buyer initiated.
 * const trade = (market: Market, id: number, time: number, price: number, side: "buy" | "sell") =>
 *   book.apply({ ...market, time, price, size: 0.5, taker: takerSide(side), id: -(id + 1) }, 0);
 * trade(usd, 1, 1_000, 100, "sell");
 * trade(usd, 2, 2_000, 110, "buy");
 * trade(eur, 1, 1_500, 90, "sell");
 * trade(usd, 3, 61_000, 111, "sell"); // closes BTC-USD's first minute
 * trade(eur, 2, 61_000, 91, "sell"); // and BTC-EUR's
 * const { write, closed } = book.flush([marketKey(usd), marketKey(eur)]);
 * await store.write(write);
 *
 * const [candle] = await store.candles({ ...usd, interval: "1m", to: 60_000 });
 * assert.deepEqual(
 *   [candle!.open, candle!.close, candle!.trades, candle!.buyVolume, candle!.sellVolume, candle!.vwap],
 *   [100, 110, 2, 0.5, 0.5, 105],
 * );
 * assert.deepEqual(
 *   (await store.markets()).map((m) => `${m.product} · ${m.source}`),
 *   ["BTC-EUR · coinbase", "BTC-USD · coinbase"],
 * );
 * // BTC-USD rose 10 % in its minute: a move alert (5 % by default).
 * const rising = closed.find((c) => c.product === "BTC-USD")!;
 * const alerts = candleAlerts(rising, { history: [], rules: DEFAULT_ALERT_RULES, createdAt: 0 });
 * assert.deepEqual(alerts.map((a) => [a.product, a.kind, a.direction]), [["BTC-USD", "move", "up"]]);
 * await store.close();
 * ```
 *
 * The commands are `deno task start`, `produce`, `consume`, `lag`, `kafka:up` and `test`; see
 * README.md.
 *
 * @module
 */

export { type Actor, type ActorContext, noInbox, noOutbox } from "./runtime/actor.ts";
export { backoffDelay, type BackoffOptions } from "./runtime/backoff.ts";
export {
  Channel,
  ChannelClosedError,
  type ChannelOptions,
  type Inbox,
  type Outbox,
  type OverflowPolicy,
} from "./runtime/channel.ts";
export { type Clock, delay, type DelayOptions, systemClock } from "./runtime/delay.ts";
export {
  type ChildSpec,
  type RestartType,
  Supervisor,
  SupervisorError,
  type SupervisorEvent,
  type SupervisorOptions,
} from "./runtime/supervisor.ts";
export { murmur2, partitionFor } from "./kafka/partitioner.ts";
export {
  BrokerAuthenticationError,
  BrokerUnreachableError,
  type CommitOffset,
  type ConsumeOptions,
  type ConsumerTransport,
  type Delivery,
  DeliveryError,
  type InRecord,
  InstanceFencedError,
  type OutRecord,
  type PartitionLag,
  type ProducerTransport,
} from "./kafka/transport.ts";
export {
  type PlatformaticProducerOptions,
  PlatformaticProducerTransport,
} from "./kafka/platformatic_producer.ts";
export {
  type PlatformaticConsumerOptions,
  PlatformaticConsumerTransport,
} from "./kafka/platformatic_consumer.ts";
export { fetchLag } from "./kafka/lag.ts";
export { toInRecord } from "./kafka/in_record.ts";
export { MemoryLog, type MemoryLogOptions } from "./kafka/memory_log.ts";
export { CoinGeckoClient, CoinGeckoError, parsePrices } from "./sources/coingecko.ts";
export {
  decodePrice,
  type EncodedPrice,
  encodePrice,
  type PriceMessage,
  PRODUCER_ID,
} from "./market/messages/price_message.ts";
export { encoder } from "./actors/encoder.ts";
export { MessageIds } from "./market/messages/message_ids.ts";
export { fetcher, type FetcherState } from "./actors/fetcher.ts";
export { publisher } from "./actors/publisher.ts";
export { producerChildren, producerTopology } from "./actors/producer_topology.ts";
export { consumerChildren } from "./actors/consumer_topology.ts";
export { subscriber } from "./actors/subscriber.ts";
export { printer } from "./actors/printer.ts";
export { committer, CommitTracker } from "./actors/commit_tracker.ts";
export { ConsumeReport } from "./report/consume_report.ts";
export { formatMessage, type OutputFormat } from "./report/consume_format.ts";
export { parseReplayLine, replaySource } from "./sources/replay.ts";
export { FeedError, readFeed } from "./sources/coinbase.ts";
export { parseFeedFrame, subscribeFrame, tradeMessage } from "./sources/coinbase_protocol.ts";
export { tradeSource, type TradeSourceState, tradeSourceState } from "./actors/trade_source.ts";
export { tradeChildren } from "./actors/trade_topology.ts";
export {
  decodeTrade,
  type EncodedTrade,
  encodeTrade,
  type TradeMessage,
} from "./market/messages/trade_message.ts";
export {
  type DeadLetter,
  decodeDeadLetter,
  DLQ_HEADERS,
  encodeDeadLetter,
} from "./market/messages/dead_letter_message.ts";
export type { ReadTime } from "./market/messages/checks.ts";
export {
  isPermanentStoreError,
  StoreRefusedError,
  StoreUnavailableError,
} from "./store/store_error.ts";
export { TradeReport } from "./report/trade_report.ts";
export { TradeSequence, TradeSequences } from "./market/trade_sequence.ts";
export type { PriceTick } from "./market/price_tick.ts";
export type { SkippedCoin } from "./market/skipped_coin.ts";
export { formatChange, formatUsd, formatWholeUsd } from "./report/format.ts";
export { loadConsumerConfig } from "./config/consume.ts";
export { loadLagConfig } from "./config/lag.ts";
export { loadProducerConfig } from "./config/produce.ts";
export { loadStartConfig } from "./config/start.ts";
export type {
  ConsumerConfig,
  LagConfig,
  Membership,
  ProducerConfig,
  StartConfig,
} from "./config/types.ts";
export { ConfigError } from "./config/config_error.ts";
export {
  isSource,
  type Market,
  marketKey,
  parseMarketKey,
  priceMarket,
  productParts,
  type Source,
  SOURCES,
} from "./market/market.ts";
export {
  type Candle,
  type CandleKey,
  type Interval,
  intervalMs,
  INTERVALS,
  isInterval,
} from "./market/candle.ts";
export {
  type BookCounts,
  CandleBook,
  type CandleBookOptions,
  candleOrder,
  type Flush,
  type MarketRef,
  type Outcome,
} from "./market/candle_book.ts";
export {
  type Observation,
  priceEventTime,
  priceObservation,
  tradeIdentity,
} from "./market/observation.ts";
export { takerSide } from "./market/messages/trade_message.ts";
export type { LatestPrice } from "./market/latest_price.ts";
export type { MarketState } from "./market/market_state.ts";
export type { LoadedMarket } from "./market/loaded_market.ts";
export { marketsOfWrite, partOfWrite, type StoreWrite } from "./market/store_write.ts";
export {
  type CandleJson,
  candleJson,
  decodeCandle,
  encodeCandle,
} from "./market/messages/candle_message.ts";
export type { Alert, AlertDirection, AlertKind } from "./market/alert.ts";
export {
  type AlertRules,
  candleAlerts,
  changePct,
  DEFAULT_ALERT_RULES,
  returnScore,
} from "./market/alert_rules.ts";
export { alertJson, decodeAlert, encodeAlert } from "./market/messages/alert_message.ts";
export { openStore, type OpenStoreOptions } from "./store/open_store.ts";
export type { AlertQuery, CandleQuery, CandleStore, KnownMarket } from "./store/candle_store.ts";
