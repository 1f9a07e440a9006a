/**
 * Real-Time Cryptocurrency Market Analyzer: live CoinGecko prices into Apache Kafka through a
 * small actor runtime — typed bounded channels and a supervisor that restarts failed actors
 * with backoff.
 *
 * The runtime on its own:
 *
 * ```ts
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
 * console.log(doubled); // [2, 4, 6]
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
