/**
 * The {@linkcode ConsumerTransport} over `@platformatic/kafka`: one member of a consumer group
 * (the client joins, heartbeats and rejoins), fetching the assigned partitions itself and handing
 * each partition's records on as one batch, with manual commits.
 *
 * The client's `MessagesStream` is not used: it turns every record into a message object with a
 * commit function of its own and a diagnostics context, and it moves its fetch position as soon
 * as records are read, where a stopped Subscriber needs the records it did not take to be read
 * again. Here the next offset to fetch is the offset after the last record handed on, per
 * partition. The Fetch requests go through the client's connections; their records are decoded
 * by `record_batches.ts` straight into the records the actors see (the client's own reader makes
 * a dozen objects a record first, more than half of the consume profile), or by the client's
 * reader with a broker that does not take Fetch version 17 (Kafka 4.4 does) or `clientDecoding`.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { tracingChannel } from "node:diagnostics_channel";
import { getLogger } from "@logtape/logtape";
import {
  Admin,
  type Broker,
  ConnectionPool,
  Consumer,
  type ConsumerOptions,
  FetchIsolationLevels,
  type GroupOptions,
  ListOffsetTimestamps,
  type RecordsBatch,
} from "@platformatic/kafka";
import type { KafkaConfig } from "../config/types.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { describeClientError, protocolError } from "./client_errors.ts";
import { connectWithin, disconnectWithin } from "./connect.ts";
import { toInRecord } from "./in_record.ts";
import { decodeRecordBatches, type PartitionRecords } from "./record_batches.ts";
import { FETCH_KEY, FETCH_VERSION, rawFetch, type RawFetchTopic } from "./raw_fetch.ts";
import { committedOffsets, ensureTopicWith, partitionOffsets } from "./platformatic_admin.ts";
import { clientOptions } from "./platformatic_options.ts";
import {
  type CommitOffset,
  type ConsumeOptions,
  type ConsumerTransport,
  type InRecord,
  InstanceFencedError,
  type TopicInfo,
  type TopicSpec,
} from "./transport.ts";

const logger = getLogger(["crypto", "kafka"]);

/**
 * Group membership: a heartbeat every 3 s; a member that stops heartbeating is out after the
 * session timeout (30 s unless set), and a rebalance waits up to 60 s for the members to rejoin.
 */
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 60_000;
const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * The broker's answers that say another process holds this member's instance id: the classic
 * protocol fences the older member (`FENCED_INSTANCE_ID`), the consumer protocol refuses the newer
 * one (`UNRELEASED_INSTANCE_ID`).
 */
const FENCED = ["FENCED_INSTANCE_ID", "UNRELEASED_INSTANCE_ID"];

/**
 * The client's operations whose failures are watched for fencing. Their errors are published to
 * these diagnostics channels before the client acts on them, and the client answers fencing by
 * joining again, which would fence the other process in turn.
 */
const GROUP_CHANNELS = ["plt:kafka:consumer:heartbeat", "plt:kafka:consumer:group"];

/**
 * Fetch sizes: the broker answers as soon as one byte is there (the first record is not held
 * back to fill a larger fetch), or after `MAX_WAIT_MS` with nothing; at most 1 MB a partition and
 * 4 MB in all, so a backlog is decoded and handed on a few thousand records at a time.
 */
const MIN_BYTES = 1;
const MAX_WAIT_MS = 1_000;
const MAX_PARTITION_BYTES = 1_048_576;
const MAX_BYTES = 4 * MAX_PARTITION_BYTES;

/** Bit 5 of a record batch's attributes: a transaction marker, not records. */
const IS_CONTROL = 1 << 5;

type ClientConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
type FetchPartition = RawFetchTopic["partitions"][number];
type FetchResponse = Awaited<ReturnType<ClientConsumer["fetch"]>>;

/** One fetch from one broker: the offsets asked for, and what came back. */
interface NodeFetch {
  node: number;
  requested: Map<number, bigint>;
  /** Each partition's records, decoded when the answer came. */
  records: Map<number, PartitionRecords> | null;
  error: unknown;
}

/**
 * The records of a partition's fetched batches from offset `from` on, as the actors see them, and
 * the offset after the last one: records before `from` (a compressed batch starts where it
 * starts) and transaction markers are left out, but the markers still move the offset on.
 * Offsets are worked out as numbers while exact, as BigInt beyond (a BigInt a record is what this
 * avoids).
 *
 * @param topic The topic.
 * @param partition The partition.
 * @param batches The partition's record batches, as the client decoded them.
 * @param from The offset the fetch asked for.
 * @returns The records and the next offset to fetch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchRecords } from "./platformatic_consumer.ts";
 * const { records, end } = batchRecords("t", 0, [], 5n);
 * assert.deepEqual([records.length, end], [0, 5n]);
 * ```
 */
export function batchRecords(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  from: bigint,
): PartitionRecords {
  const records: InRecord[] = [];
  let end = from;
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (last + 1n > end) end = last + 1n;
    if ((batch.attributes & IS_CONTROL) !== 0 || last < from) continue;
    const exact = Number.isSafeInteger(Number(last) + 1);
    const first = Number(batch.firstOffset);
    const start = Number(from);
    for (const record of batch.records) {
      let offset: string;
      if (exact) {
        const n = first + record.offsetDelta;
        if (n < start) continue;
        offset = String(n);
      } else {
        const n = batch.firstOffset + BigInt(record.offsetDelta);
        if (n < from) continue;
        offset = n.toString();
      }
      records.push(toInRecord(topic, partition, {
        offset,
        key: record.key,
        value: record.value,
        headers: record.headers,
      }));
    }
  }
  return { records, end };
}

/** Options for {@linkcode PlatformaticConsumerTransport}. */
export interface PlatformaticConsumerOptions {
  /**
   * Read fetched records with the client's own Fetch reader rather than `record_batches.ts`
   * (which needs a broker that takes Fetch version 17; with another the client's reader is used
   * anyway).
   * @default {false}
   */
  clientDecoding?: boolean;
  /**
   * Joins as a static member under this id (`--instance-id`): restarted with the same id, the
   * process gets its partitions back without a rebalance. Null or absent: a dynamic member.
   */
  instanceId?: string | null;
  /**
   * How long the broker waits for a member that stopped heartbeating before its partitions move.
   * @default {30_000}
   */
  sessionTimeoutMs?: number;
  /**
   * Called once when the broker fences this static member (another process joined with its
   * instance id); the transport has stopped by then. Without it the error is logged.
   */
  onFenced?: (error: InstanceFencedError) => void;
}

/** One member of a consumer group, over `@platformatic/kafka`. */
export class PlatformaticConsumerTransport implements ConsumerTransport {
  #config: KafkaConfig;
  #groupId: string;
  #consumer: ClientConsumer;
  #admin: Admin;
  /** Fetches go on connections of their own, so a long poll never delays a heartbeat. */
  #fetchPool: ConnectionPool;
  #topic: string | null = null;
  #fromBeginning = false;
  #handle: (record: InRecord) => Promise<void> = () => Promise.resolve();
  #handleBatch: ((records: InRecord[]) => Promise<number>) | null = null;
  #onAssign: ((partitions: number[]) => void) | undefined;
  /** Handing records on (between `consume` and `stop`). */
  #active = false;
  #closed = false;
  #loop: Promise<void> | null = null;
  #woken = false;
  #wakeUp: () => void = () => {};
  /** The assigned partitions and the next offset to fetch on each. */
  #positions = new Map<number, bigint>();
  /** Every partition this member handed records of on, and the offset after the last one. */
  #handed = new Map<number, bigint>();
  /** The group's assignment changed: positions to work out again. */
  #reassigned = true;
  #inflight = new Map<number, Promise<NodeFetch>>();
  /** Records are decoded here (null until the broker's Fetch versions are known). */
  #ownDecoding: boolean | null;
  #group: GroupOptions;
  #instanceId: string | null;
  #onFenced: ((error: InstanceFencedError) => void) | undefined;
  /** Set once the broker has fenced this member: nothing is tried again. */
  #fenced: InstanceFencedError | null = null;
  #unwatch: () => void = () => {};

  /**
   * @param config Where and how to connect.
   * @param groupId The consumer group.
   * @param options Whose Fetch reader reads the records, and the group membership.
   *
   * @example
   * ```ts
   * import { PlatformaticConsumerTransport } from "./platformatic_consumer.ts";
   * const transport = new PlatformaticConsumerTransport({ brokers: ["localhost:9092"],
   *   clientId: "x", ssl: false, sasl: null, topic: "t", partitions: 3, replicationFactor: 1,
   *   connectTimeoutMs: 30_000 }, "my-group");
   * await transport.disconnect();
   * ```
   */
  constructor(config: KafkaConfig, groupId: string, options: PlatformaticConsumerOptions = {}) {
    this.#config = config;
    this.#groupId = groupId;
    this.#ownDecoding = options.clientDecoding ? false : null;
    this.#instanceId = options.instanceId ?? null;
    this.#onFenced = options.onFenced;
    this.#group = {
      sessionTimeout: options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    };
    const base = clientOptions(config);
    const consumerOptions: ConsumerOptions<Buffer, Buffer, Buffer, Buffer> = {
      ...base,
      ...this.#group,
      groupId,
      ...(this.#instanceId === null ? {} : { groupInstanceId: this.#instanceId }),
      // Offsets are committed by the Committer once records are handled (at-least-once).
      autocommit: false,
      minBytes: MIN_BYTES,
      maxBytes: MAX_BYTES,
      maxBytesPerPartition: MAX_PARTITION_BYTES,
      maxWaitTime: MAX_WAIT_MS,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    };
    this.#consumer = new Consumer(consumerOptions);
    if (this.#instanceId !== null) this.#unwatch = this.#watchFencing();
    this.#fetchPool = new ConnectionPool(config.clientId, clientOptions(config));
    this.#admin = new Admin(clientOptions(config));
    // A rejoin the client starts by itself and fails is reported here (unheard, it would throw).
    this.#consumer.on("error", (error: Error) => {
      if (this.#closed || this.#fenced) return;
      logger.warn("Kafka consumer group: {error}", { error: describeClientError(error) });
      this.#wake();
    });
    this.#consumer.on("consumer:group:join", (payload) => {
      this.#reassigned = true;
      const topic = this.#topic;
      if (topic !== null) {
        const mine = (payload.assignments ?? []).filter((a) => a.topic === topic);
        this.#onAssign?.(mine.flatMap((a) => a.partitions).sort((a, b) => a - b));
      }
      this.#wake();
    });
  }

  /** The consumer group. */
  get group(): string {
    return this.#groupId;
  }

  /**
   * Reaches the broker, retrying until `connectTimeoutMs`.
   *
   * @param options Aborting gives up.
   * @returns Resolves once connected.
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return connectWithin(this.#config, {
      attempt: async () => {
        await this.#consumer.metadata({ topics: [], retries: 0 });
      },
      ...options,
    });
  }

  /**
   * Creates the topic when missing, so a consumer may start before any producer.
   *
   * @param spec The topic, partitions and replication factor.
   * @returns Its partition count and whether it was created.
   */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return ensureTopicWith(this.#admin, spec);
  }

  /**
   * For a group with no committed offset yet, commits the topic's current end offsets, so the
   * group starts exactly here rather than wherever "latest" is when it has joined.
   *
   * @param topic The topic.
   * @returns Whether offsets were set.
   */
  async startAtEndIfNew(topic: string): Promise<boolean> {
    const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, i) => i);
    const committed = await committedOffsets(this.#admin, {
      group: this.#groupId,
      topic,
      partitions,
    });
    if (committed.size > 0) return false;
    const ends = await partitionOffsets(this.#admin, topic, { partitions, at: "latest" });
    await this.#admin.alterConsumerGroupOffsets({
      groupId: this.#groupId,
      topics: [{
        name: topic,
        partitionOffsets: [...ends].map(([partition, offset]) => ({ partition, offset })),
      }],
    });
    return true;
  }

  /**
   * Joins the group and starts handing records over, one partition's records in order. Called
   * again after `stop`, it goes on where the last records handed on end.
   *
   * @param options The topic, where a new group starts, and the handlers.
   * @returns Resolves once the first attempt to join the group has ended (a failed one is
   *   logged and tried again).
   */
  async consume(options: ConsumeOptions): Promise<void> {
    if (this.#fenced) throw this.#fenced;
    if (this.#closed) throw new Error("Cannot consume: the Kafka consumer is disconnected");
    this.#handle = options.handle;
    this.#handleBatch = options.handleBatch ?? null;
    this.#onAssign = options.onAssign;
    this.#fromBeginning = options.fromBeginning;
    this.#active = true;
    if (this.#topic === null) {
      this.#topic = options.topic;
      this.#consumer.topics.track(options.topic);
      try {
        await this.#join();
      } catch (error) {
        this.#failed(error, 0);
      }
    }
    this.#loop ??= this.#run();
    this.#wake();
  }

  /** Stops handing records on but stays in the group, so handled offsets can still be committed. */
  stop(): Promise<void> {
    this.#active = false;
    this.#wake();
    return Promise.resolve();
  }

  /**
   * Commits the next offsets to read.
   *
   * @param topic The topic.
   * @param offsets The next offset to read, per partition.
   * @returns Resolves once the group's coordinator has them.
   */
  async commit(topic: string, offsets: readonly CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#consumer.commit({
      offsets: offsets.map((o) => ({
        topic,
        partition: o.partition,
        offset: BigInt(o.offset),
        leaderEpoch: -1,
      })),
    });
  }

  /** Leaves the group and disconnects, each client within `DISCONNECT_TIMEOUT_MS`. */
  async disconnect(): Promise<void> {
    this.#closed = true;
    this.#active = false;
    this.#unwatch();
    this.#wake();
    await disconnectWithin([
      { disconnect: () => this.#fetchPool.close() },
      { disconnect: () => this.#consumer.close(true) },
      { disconnect: () => this.#admin.close() },
      { disconnect: () => this.#loop ?? Promise.resolve() },
    ]);
  }

  /** Joins (or rejoins) the group; the assignment arrives as a `consumer:group:join` event. */
  async #join(): Promise<void> {
    await this.#consumer.joinGroup({ ...this.#group });
  }

  /**
   * Watches this member's group operations for the broker's word that another process holds its
   * instance id. The client would answer it by joining again and fence the other process, which
   * would do the same: instead this member stops at once (leaving the group by its old member id
   * removes nobody) and says so through `onFenced`.
   *
   * @returns Stops watching.
   */
  #watchFencing(): () => void {
    const onError = (message: unknown) => {
      const { client, error } = message as { client?: unknown; error?: unknown };
      if (client !== this.#consumer || this.#fenced || this.#closed) return;
      const cause = FENCED.map((id) => protocolError(error, id)).find((e) => e !== null);
      if (!cause) return;
      const fenced = new InstanceFencedError(this.#instanceId!, this.#groupId, { cause });
      this.#fenced = fenced;
      this.#closed = true;
      this.#active = false;
      // Closing marks the client closed before it reads the error, so it does not join again.
      void this.#consumer.close(true).catch(() => {});
      this.#wake();
      queueMicrotask(() => {
        if (this.#onFenced) this.#onFenced(fenced);
        else logger.error("{message}", { message: fenced.message });
      });
    };
    const channels = GROUP_CHANNELS.map((name) => tracingChannel(name).error);
    for (const channel of channels) channel.subscribe(onError);
    return () => {
      for (const channel of channels) channel.unsubscribe(onError);
    };
  }

  /** Logs a failure of the consuming loop; returns the time to wait before the next try. */
  #failed(error: unknown, failures: number): number {
    const ms = Math.round(backoffDelay(failures, { minMs: 500, maxMs: 5_000, jitter: 0.2 }));
    logger.warn("Kafka consumer failed ({error}); trying again in {seconds} s", {
      error: describeClientError(error),
      seconds: (ms / 1000).toFixed(1),
    });
    return ms;
  }

  /** Wakes the loop from its wait, or makes its next wait end at once. */
  #wake(): void {
    this.#woken = true;
    this.#wakeUp();
  }

  /** Waits until woken (a stop, a new assignment, a fetch that came back) or `ms` passed. */
  #sleep(ms: number | null, also: Promise<unknown>[] = []): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let over = false;
      // A fetch that settles after this wait ended (it was woken first) must not clear the wake-up
      // of a later wait: a stop would then wait for nothing.
      const done = () => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        if (this.#wakeUp === done) this.#wakeUp = () => {};
        this.#woken = false;
        resolve();
      };
      this.#wakeUp = done;
      if (ms !== null) timer = setTimeout(done, ms);
      for (const p of also) p.then(done, done);
    });
  }

  /** The consuming loop: fetch from each partition's leader, hand the records on, again. */
  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      if (!this.#active) {
        await this.#sleep(null);
        continue;
      }
      try {
        if (!this.#consumer.isActive()) await this.#join();
        if (this.#reassigned) await this.#resolvePositions();
        this.#ownDecoding ??= await this.#brokerFetches(FETCH_VERSION);
        await this.#startFetches();
        if (this.#inflight.size === 0) {
          // Nothing assigned to this member: wait for a rebalance.
          await this.#sleep(1_000);
          continue;
        }
        const done = await this.#nextFetch();
        if (done === null || this.#closed) continue;
        if (done.error !== null) {
          if (await this.#outOfRange(done)) continue;
          throw done.error;
        }
        failures = 0;
        await this.#deliver(done);
      } catch (error) {
        if (this.#closed) break;
        this.#consumer.clearMetadata();
        await this.#sleep(this.#failed(error, failures++));
      }
    }
  }

  /**
   * Where to fetch on each assigned partition: after the last record this member handed on, or
   * at the group's committed offset when that is further, or (neither) at the oldest or newest
   * record as `fromBeginning` says.
   */
  async #resolvePositions(): Promise<void> {
    const topic = this.#topic!;
    this.#reassigned = false;
    const assigned = (this.#consumer.assignments ?? [])
      .filter((a) => a.topic === topic)
      .flatMap((a) => a.partitions);
    const positions = new Map<number, bigint>();
    if (assigned.length > 0) {
      const committed = await this.#consumer.listCommittedOffsets({
        topics: [{ topic, partitions: assigned }],
      });
      const byPartition = committed.get(topic) ?? [];
      const missing: number[] = [];
      for (const partition of assigned) {
        const group = byPartition[partition];
        const handed = this.#handed.get(partition);
        let at = group !== undefined && group >= 0n ? group : null;
        if (handed !== undefined && (at === null || handed > at)) at = handed;
        if (at === null) missing.push(partition);
        else positions.set(partition, at);
      }
      if (missing.length > 0) {
        for (const [partition, offset] of await this.#startOffsets(missing)) {
          positions.set(partition, offset);
        }
      }
    }
    if (this.#reassigned) return this.#resolvePositions();
    this.#positions = positions;
  }

  /** Whether the broker answers Fetch requests of this version. */
  async #brokerFetches(version: number): Promise<boolean> {
    const apis = await this.#consumer.listApis();
    const fetch = apis.find((api) => api.apiKey === FETCH_KEY);
    return fetch !== undefined && fetch.minVersion <= version && version <= fetch.maxVersion;
  }

  /** The oldest or the end offsets of partitions, as `fromBeginning` says. */
  async #startOffsets(partitions: number[]): Promise<Map<number, bigint>> {
    const topic = this.#topic!;
    const listed = await this.#consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: partitions },
      timestamp: this.#fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
    const offsets = listed.get(topic) ?? [];
    const result = new Map<number, bigint>();
    for (const partition of partitions) {
      const offset = offsets[partition];
      if (offset === undefined || offset < 0n) {
        throw new Error(`No start offset for partition ${partition} of ${topic}`);
      }
      result.set(partition, offset);
    }
    return result;
  }

  /**
   * Starts a fetch from every leader that has none under way, for its partitions at `from` (the
   * offsets the records being handed on end at) or else their positions.
   */
  async #startFetches(from?: Map<number, bigint>): Promise<void> {
    if (this.#positions.size === 0) return;
    const topic = this.#topic!;
    const metadata = await this.#consumer.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic);
    if (!info) throw new Error(`No metadata for topic ${topic}`);
    const byNode = new Map<number, Map<number, bigint>>();
    for (const [partition, position] of this.#positions) {
      const leader = info.partitions[partition]?.leader ?? -1;
      if (leader < 0) continue;
      if (this.#inflight.has(leader)) continue;
      let requested = byNode.get(leader);
      if (!requested) byNode.set(leader, requested = new Map());
      requested.set(partition, from?.get(partition) ?? position);
    }
    for (const [node, requested] of byNode) {
      const fetch: NodeFetch = { node, requested, records: null, error: null };
      const partitions = [...requested].map(([partition, fetchOffset]) => ({
        partition,
        fetchOffset,
        partitionMaxBytes: MAX_PARTITION_BYTES,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      }));
      const fetched = this.#ownDecoding
        ? this.#fetchOwn(metadata.brokers.get(node), info.id, partitions, requested)
        : this.#fetchClient(node, info.id, partitions, requested);
      const done = fetched.then(
        (records) => (fetch.records = records, fetch),
        (error) => (fetch.error = error, fetch),
      );
      this.#inflight.set(node, done);
    }
  }

  /** A fetch through the client's own Fetch reader, its records made ours afterwards. */
  async #fetchClient(
    node: number,
    topicId: string,
    partitions: FetchPartition[],
    requested: Map<number, bigint>,
  ): Promise<Map<number, PartitionRecords>> {
    const topic = this.#topic!;
    const response = await this.#consumer.fetch({
      node,
      topics: [{ topicId, partitions }],
      minBytes: MIN_BYTES,
      maxBytes: MAX_BYTES,
      maxWaitTime: MAX_WAIT_MS,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      connectionPool: this.#fetchPool,
    });
    const records = new Map<number, PartitionRecords>();
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const from = requested.get(p.partitionIndex);
        if (from === undefined) continue;
        records.set(p.partitionIndex, batchRecords(topic, p.partitionIndex, p.records ?? [], from));
      }
    }
    return records;
  }

  /** A fetch whose record bytes are decoded here (`record_batches.ts`). */
  async #fetchOwn(
    broker: Broker | undefined,
    topicId: string,
    partitions: FetchPartition[],
    requested: Map<number, bigint>,
  ): Promise<Map<number, PartitionRecords>> {
    if (!broker) throw new Error("The partition's leader is not in the cluster metadata");
    const topic = this.#topic!;
    const connection = await this.#fetchPool.get(broker);
    const response = await rawFetch(connection, {
      maxWaitMs: MAX_WAIT_MS,
      minBytes: MIN_BYTES,
      maxBytes: MAX_BYTES,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      topics: [{ topicId, partitions }],
    });
    const records = new Map<number, PartitionRecords>();
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const from = requested.get(p.partitionIndex);
        if (from === undefined) continue;
        records.set(
          p.partitionIndex,
          p.records === null ? { records: [], end: from } : decodeRecordBatches(
            topic,
            p.partitionIndex,
            p.records,
            { from, aborted: p.abortedTransactions },
          ),
        );
      }
    }
    return records;
  }

  /** The first fetch to come back, or null when woken first (a stop, a new assignment). */
  async #nextFetch(): Promise<NodeFetch | null> {
    let first: NodeFetch | null = null;
    const fetches = [...this.#inflight.values()];
    const settled = fetches.map((p) => p.then((f) => (first ??= f)));
    await this.#sleep(null, settled);
    if (first === null) return null;
    this.#inflight.delete((first as NodeFetch).node);
    return first;
  }

  /**
   * Hands a fetch's records on, partition by partition. A partition whose position moved since
   * the fetch was asked for (records not all taken, a rebalance) is skipped: it is fetched again
   * from its position. The broker's next fetch is started first, from where these records end,
   * so it is under way while they are handed on.
   */
  async #deliver(fetch: NodeFetch): Promise<void> {
    const ready: [number, bigint, PartitionRecords][] = [];
    for (const [partition, records] of fetch.records!) {
      const requested = fetch.requested.get(partition)!;
      if (this.#positions.get(partition) !== requested) continue;
      ready.push([partition, requested, records]);
    }
    await this.#startFetches(new Map(ready.map(([partition, , r]) => [partition, r.end])));
    for (const [partition, requested, { records, end }] of ready) {
      if (!this.#active || this.#positions.get(partition) !== requested) return;
      const taken = records.length === 0 ? 0 : await this.#handOn(records);
      if (this.#positions.get(partition) !== requested) return;
      if (taken >= records.length) {
        this.#positions.set(partition, end);
        if (taken > 0) this.#handed.set(partition, end);
        continue;
      }
      // Stopped part way: the rest is fetched again from here when consuming resumes.
      if (taken > 0) {
        const next = BigInt(records[taken - 1]!.offset) + 1n;
        this.#positions.set(partition, next);
        this.#handed.set(partition, next);
      }
      return;
    }
  }

  /** Hands records to the batch handler, or one by one to `handle`; returns how many were taken. */
  async #handOn(records: InRecord[]): Promise<number> {
    if (this.#handleBatch) return await this.#handleBatch(records);
    let taken = 0;
    for (const record of records) {
      if (!this.#active) break;
      await this.#handle(record);
      taken++;
    }
    return taken;
  }

  /**
   * A fetch refused because a position is no longer on the partition (records deleted by
   * retention, a topic made again): such partitions start again at the oldest or newest record,
   * as a new group would. Returns whether that was the error.
   */
  async #outOfRange(fetch: NodeFetch): Promise<boolean> {
    const refused = protocolError(fetch.error, "OFFSET_OUT_OF_RANGE") as
      | (Error & { response?: FetchResponse })
      | null;
    if (!refused) return false;
    const response = (fetch.error as { response?: FetchResponse }).response ?? refused.response;
    const partitions = (response?.responses ?? [])
      .flatMap((t) => t.partitions)
      .filter((p) => p.errorCode === 1)
      .map((p) => p.partitionIndex)
      .filter((p) => this.#positions.has(p));
    if (partitions.length === 0) return false;
    const starts = await this.#startOffsets(partitions);
    for (const [partition, offset] of starts) {
      logger.warn("Offset {from} of partition {partition} is gone; going on from {to}", {
        from: String(this.#positions.get(partition)),
        partition,
        to: String(offset),
      });
      this.#positions.set(partition, offset);
    }
    return true;
  }
}
