/**
 * An embedded, in-process message log with Kafka's shape: topics of partitions, offsets per
 * partition, the same Java-compatible partitioning (chosen by the Publisher), and committed
 * offsets per consumer group. `deno task start` runs over it when no broker is wanted.
 *
 * @module
 */
import type {
  CommitOffset,
  ConsumeOptions,
  ConsumerTransport,
  Delivery,
  InRecord,
  OutRecord,
  PartitionLag,
  ProducerTransport,
  TopicInfo,
  TopicSpec,
} from "./transport.ts";

/** A record as kept: its value as text, or null. */
type StoredRecord = OutRecord & { value: string | null };

const utf8 = new TextDecoder();

interface Partition {
  /** The oldest retained offset. */
  start: number;
  /** Offset of `records[0]` (at most `start`: records let go are dropped from the array in bulk). */
  base: number;
  records: StoredRecord[];
}

/** Options for {@linkcode MemoryLog}. */
export interface MemoryLogOptions {
  /** Records kept per partition; older ones are let go, as Kafka's retention would. @default {100_000} */
  retention?: number;
}

/**
 * The log itself; hand out its two sides with `producer()` and `consumer(group)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLog } from "./memory_log.ts";
 * const log = new MemoryLog();
 * const producer = log.producer();
 * await producer.ensureTopic({ topic: "t", partitions: 3, replicationFactor: 1 });
 * const record = { key: "BTC", value: "{}", headers: {}, partition: 1 };
 * const [delivery] = await producer.send("t", [record]);
 * assert.deepEqual(delivery, { partition: 1, offset: "0" });
 * ```
 */
export class MemoryLog {
  #topics = new Map<string, Partition[]>();
  #committed = new Map<string, Map<number, number>>();
  #wakers = new Set<() => void>();
  #retention: number;

  /** @param options Retention. */
  constructor(options: MemoryLogOptions = {}) {
    this.#retention = options.retention ?? 100_000;
  }

  /**
   * Creates a topic unless it exists.
   *
   * @param spec Name and partition count.
   * @returns Its partition count and whether it was created.
   */
  ensureTopic(spec: TopicSpec): TopicInfo {
    const existing = this.#topics.get(spec.topic);
    if (existing) return { partitions: existing.length, created: false };
    this.#topics.set(
      spec.topic,
      Array.from({ length: spec.partitions }, () => ({ start: 0, base: 0, records: [] })),
    );
    return { partitions: spec.partitions, created: true };
  }

  /**
   * Appends records to their partitions.
   *
   * @param topic The topic.
   * @param records The records, each with its partition.
   * @returns Their offsets, in order.
   */
  append(topic: string, records: readonly OutRecord[]): Delivery[] {
    const partitions = this.#partitions(topic);
    const deliveries = records.map((record) => {
      const partition = partitions[record.partition];
      if (!partition) {
        throw new RangeError(`Topic ${topic} has no partition ${record.partition}`);
      }
      partition.records.push(
        typeof record.value === "string" || record.value === null
          ? record as StoredRecord
          : { ...record, value: utf8.decode(record.value) },
      );
      const offset = partition.base + partition.records.length - 1;
      return { partition: record.partition, offset: String(offset) };
    });
    for (const p of partitions) {
      const end = p.base + p.records.length;
      if (end - p.start > this.#retention) p.start = end - this.#retention;
      // Records let go leave the array in bulk: removing one at a time shifts the whole array.
      if (p.start - p.base >= Math.min(4096, this.#retention)) {
        p.records.splice(0, p.start - p.base);
        p.base = p.start;
      }
    }
    for (const wake of [...this.#wakers]) wake();
    return deliveries;
  }

  /**
   * Per partition: the group's committed offset, the end offset and the lag.
   *
   * @param group The consumer group.
   * @param topic The topic.
   * @returns One entry per partition.
   */
  lag(group: string, topic: string): PartitionLag[] {
    const committed = this.#committed.get(`${group}\u0000${topic}`);
    return this.#partitions(topic).map((p, partition) => {
      const end = p.base + p.records.length;
      const at = committed?.get(partition);
      return {
        partition,
        committed: at === undefined ? null : String(at),
        end: String(end),
        start: String(p.start),
        lag: end - Math.max(at ?? p.start, p.start),
      };
    });
  }

  /** The producing side. */
  producer(): ProducerTransport {
    return {
      connect: () => Promise.resolve(),
      ensureTopic: (spec) => Promise.resolve(this.ensureTopic(spec)),
      send: (topic, records) => {
        try {
          return Promise.resolve(this.append(topic, records));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      disconnect: () => Promise.resolve(),
    };
  }

  /**
   * The consuming side: the only member of its group, so it is assigned every partition.
   *
   * @param group The consumer group.
   * @returns The transport.
   */
  consumer(group: string): ConsumerTransport {
    let running: Promise<void> | null = null;
    let stopped = false;
    // Where this member stands, so consuming again after a stop resumes right there.
    const resumeAt = new Map<string, number[]>();
    let wake: (() => void) | null = null;
    return {
      group,
      connect: () => Promise.resolve(),
      consume: (options: ConsumeOptions): Promise<void> => {
        stopped = false;
        const partitions = this.#partitions(options.topic);
        const key = `${group}\u0000${options.topic}`;
        const committed = this.#committed.get(key) ?? new Map<number, number>();
        this.#committed.set(key, committed);
        const positions = resumeAt.get(options.topic) ?? partitions.map((p, i) =>
          Math.max(
            committed.get(i) ?? (options.fromBeginning ? p.start : p.base + p.records.length),
            p.start,
          )
        );
        resumeAt.set(options.topic, positions);
        options.onAssign?.(partitions.map((_, i) => i));
        running = (async () => {
          while (!stopped) {
            let delivered = false;
            for (let i = 0; i < partitions.length && !stopped; i++) {
              const p = partitions[i]!;
              positions[i] = Math.max(positions[i]!, p.start);
              const at = positions[i]!;
              const record = p.records[at - p.base];
              if (!record) continue;
              const inRecord: InRecord = {
                topic: options.topic,
                partition: i,
                offset: String(at),
                key: record.key,
                value: record.value,
                headers: { ...record.headers },
              };
              await options.handle(inRecord);
              positions[i] = at + 1;
              delivered = true;
            }
            if (!delivered && !stopped) {
              await new Promise<void>((resolve) => {
                wake = () => {
                  this.#wakers.delete(wake!);
                  resolve();
                };
                this.#wakers.add(wake);
              });
            }
          }
        })().catch(() => {});
        return Promise.resolve();
      },
      stop: async (): Promise<void> => {
        stopped = true;
        wake?.();
        await running;
      },
      commit: (topic: string, offsets: readonly CommitOffset[]): Promise<void> => {
        const key = `${group}\u0000${topic}`;
        const committed = this.#committed.get(key) ?? new Map<number, number>();
        this.#committed.set(key, committed);
        for (const o of offsets) committed.set(o.partition, Number(o.offset));
        return Promise.resolve();
      },
      disconnect: () => Promise.resolve(),
    };
  }

  #partitions(topic: string): Partition[] {
    const partitions = this.#topics.get(topic);
    if (!partitions) throw new Error(`Topic ${topic} does not exist`);
    return partitions;
  }
}
