/**
 * What the actors need of a message log, so the Kafka client can be swapped without touching
 * them: connect, make sure the topic exists, send records and get their offsets back.
 *
 * @module
 */

/**
 * A record to publish. The partition is chosen by the caller; the record's Kafka timestamp is
 * the time it is written, set by the transport, so that the topic keeps it for its whole
 * retention whatever time its value speaks of (a replay of old prices, old trades).
 */
export interface OutRecord {
  /** The key, UTF-8, or null for none (a dead letter keeps a refused record's missing key). */
  key: string | null;
  /** The value: text, or its UTF-8 bytes; null for none (a tombstone's dead letter). */
  value: string | Uint8Array | null;
  /** Header names and values. */
  headers: Record<string, string>;
  /** The partition. */
  partition: number;
}

/** Where a record landed. */
export interface Delivery {
  /** The partition. */
  partition: number;
  /** The offset, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
}

/** What `ensureTopic` found or made. */
export interface TopicInfo {
  /** The topic's partition count. */
  partitions: number;
  /** Whether this call created it. */
  created: boolean;
}

/** The topic to make sure of. */
export interface TopicSpec {
  /** The name. */
  topic: string;
  /** Partitions when created. */
  partitions: number;
  /** Replication factor when created. */
  replicationFactor: number;
}

/** A send that failed. `retriable` says whether the same records may be sent again later. */
export class DeliveryError extends Error {
  /** Whether sending again may succeed (the broker was away, a leader moved…). */
  readonly retriable: boolean;
  /**
   * @param message What went wrong.
   * @param options The cause and whether it is retriable.
   */
  constructor(message: string, options: ErrorOptions & { retriable: boolean }) {
    super(message, options);
    this.name = "DeliveryError";
    this.retriable = options.retriable;
  }
}

/** The broker could not be reached in time. */
export class BrokerUnreachableError extends Error {
  /**
   * @param message What was tried.
   * @param options The last cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerUnreachableError";
  }
}

/** The broker refused the credentials: retrying will not help. */
export class BrokerAuthenticationError extends Error {
  /**
   * @param message What was refused.
   * @param options The client's error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerAuthenticationError";
  }
}

/**
 * The broker fenced this static member of a consumer group: another process joined the group with
 * the same instance id (`--instance-id`) and holds its partitions now. Retrying would fence the
 * other one in turn, so it is not retried.
 */
export class InstanceFencedError extends Error {
  /** The instance id. */
  readonly instanceId: string;
  /** The consumer group. */
  readonly group: string;
  /**
   * @param instanceId The instance id.
   * @param group The consumer group.
   * @param options The client's error.
   */
  constructor(instanceId: string, group: string, options?: ErrorOptions) {
    super(
      `Kafka: another process joined consumer group ${group} with instance id ${
        JSON.stringify(instanceId)
      }, and the broker fenced this one; give each process its own --instance-id (KAFKA_INSTANCE_ID)`,
      options,
    );
    this.name = "InstanceFencedError";
    this.instanceId = instanceId;
    this.group = group;
  }
}

/** The producing side of a message log. */
export interface ProducerTransport {
  /** Connects, retrying until the deadline; throws {@linkcode BrokerUnreachableError} past it. */
  connect(options?: { signal?: AbortSignal }): Promise<void>;
  /** Creates the topic when missing; returns its partition count. */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo>;
  /**
   * Sends records (acks from all in-sync replicas), stamped with the time of writing; returns
   * one delivery per record, in order.
   */
  send(topic: string, records: readonly OutRecord[]): Promise<Delivery[]>;
  /** Disconnects. */
  disconnect(): Promise<void>;
}

/** A record as consumed. */
export interface InRecord {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The offset, as a decimal string. */
  offset: string;
  /** The key, UTF-8, or null when the record has none. */
  key: string | null;
  /** The value, UTF-8, or null (a tombstone). */
  value: string | null;
  /** Header names and values. */
  headers: Record<string, string>;
  /**
   * The parts whose bytes were not UTF-8 (their text above has U+FFFD in place of the bad
   * bytes); absent when both were.
   */
  notUtf8?: readonly ("key" | "value")[];
}

/** Where a consumer group stands on one partition. */
export interface PartitionLag {
  /** The partition. */
  partition: number;
  /** The group's committed offset (the next to read), or null when it has none. */
  committed: string | null;
  /** The partition's end offset. */
  end: string;
  /** The oldest offset still retained. */
  start: string;
  /** Records the group has yet to read. */
  lag: number;
}

/** An offset to commit: the next record to read on a partition. */
export interface CommitOffset {
  /** The partition. */
  partition: number;
  /** The next offset to read. */
  offset: string;
}

/** What `consume` needs. */
export interface ConsumeOptions {
  /** The topic. */
  topic: string;
  /** Start at the oldest retained record when the group has no committed offset. */
  fromBeginning: boolean;
  /**
   * Handles one record; the next record of the same partition waits for its promise, so a slow
   * handler slows consumption down rather than piling records up.
   */
  handle: (record: InRecord) => Promise<void>;
  /**
   * Handles a run of one partition's records, in order, when the transport reads records in
   * batches (it then calls this rather than `handle`). Resolves to how many records, from the
   * front, were taken; the ones after them are read again when consumption resumes. The next
   * batch of the same partition waits for the promise.
   */
  handleBatch?: (records: InRecord[]) => Promise<number>;
  /** Told the partitions assigned to this consumer after each rebalance. */
  onAssign?: (partitions: number[]) => void;
}

/** The consuming side of a message log: one member of a consumer group. */
export interface ConsumerTransport {
  /** The consumer group, named where the member's partitions are logged. */
  readonly group?: string;
  /** Connects and joins the group, retrying until the deadline; throws {@linkcode BrokerUnreachableError} past it. */
  connect(options?: { signal?: AbortSignal }): Promise<void>;
  /** Starts handing records to `handle`; resolves once consumption has started. */
  consume(options: ConsumeOptions): Promise<void>;
  /**
   * Stops fetching but stays in the group, so the offsets of records already handled can still
   * be committed; `consume` again resumes.
   */
  stop(): Promise<void>;
  /** Commits the next offsets to read. */
  commit(topic: string, offsets: readonly CommitOffset[]): Promise<void>;
  /** Leaves the group and disconnects. */
  disconnect(): Promise<void>;
}
