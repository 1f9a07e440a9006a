/**
 * Which offsets the candle store has made safe to commit. A record's offset may be committed
 * only once everything it contributed to is in the store, for any number of topics and
 * partitions and whatever the order in which series are written (README, "Candles"): so the
 * first unwritten record is kept per series **and per partition**, and a partition is safe up to
 * just before the first unwritten record of any series on it.
 *
 * A series is named by an opaque key (the market it belongs to).
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";

/** The last offset of a partition that is safe to commit. */
export interface CommitPoint {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The last offset whose effects are all in the store, decimal. */
  offset: string;
}

/** Where a partition stands. */
interface Position {
  topic: string;
  partition: number;
  /** The last offset handled, decimal, as the record carries it. */
  last: string;
  /** Per series with changes not yet taken for a write, its first such record's offset here. */
  firstUnwritten: Map<string, string>;
}

/**
 * Offsets handled, and what each write makes safe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingOffsets } from "./pending_offsets.ts";
 * const offsets = new PendingOffsets();
 * const at = (partition: number, offset: string) => ({ topic: "t", partition, offset });
 * offsets.processed(at(1, "10"), "BTC");
 * offsets.processed(at(2, "20"), "BTC");
 * offsets.processed(at(2, "21"), "ETH");
 * // ETH is written, BTC is not: each partition stays below BTC's first record on it.
 * assert.deepEqual(offsets.written(["ETH"]), [
 *   { topic: "t", partition: 1, offset: "9" },
 *   { topic: "t", partition: 2, offset: "19" },
 * ]);
 * ```
 */
export class PendingOffsets {
  /** Per topic and partition, where it stands. */
  #positions = new Map<string, Map<number, Position>>();
  /** Per series with changes not yet taken for a write, the partitions holding them. */
  #unwrittenOn = new Map<string, Set<Position>>();
  /** Per series, the partition of its last change. */
  #owner = new Map<string, Position>();
  #assigned = new Map<string, Set<number>>();

  /**
   * Whether a record's partition is this process's: false for a record of a partition that went
   * to another process while the record waited in the channel (the new owner reads it again).
   *
   * @param record The record.
   * @returns True unless its partition was revoked.
   */
  owns(record: Pick<InRecord, "topic" | "partition">): boolean {
    return this.#assigned.get(record.topic)?.has(record.partition) ?? true;
  }

  /**
   * A record was handled. (Called for every record: it keeps offsets as the records' own text,
   * and works with 64-bit numbers only when a write is taken.)
   *
   * @param record The record.
   * @param changed The series whose state it changed, or null when it changed nothing.
   */
  processed(
    record: Pick<InRecord, "topic" | "partition" | "offset">,
    changed: string | null,
  ): void {
    let partitions = this.#positions.get(record.topic);
    if (!partitions) this.#positions.set(record.topic, partitions = new Map());
    let position = partitions.get(record.partition);
    if (!position) {
      position = {
        topic: record.topic,
        partition: record.partition,
        last: record.offset,
        firstUnwritten: new Map(),
      };
      partitions.set(record.partition, position);
    }
    position.last = record.offset;
    if (changed === null) return;
    this.#owner.set(changed, position);
    if (position.firstUnwritten.has(changed)) return;
    position.firstUnwritten.set(changed, record.offset);
    let on = this.#unwrittenOn.get(changed);
    if (!on) this.#unwrittenOn.set(changed, on = new Set());
    on.add(position);
  }

  /**
   * The series' changes were taken for a write: works out what that write makes safe.
   *
   * @param keys The series written.
   * @returns Per partition, the last offset safe to commit once the write is in the store.
   */
  written(keys: readonly string[]): CommitPoint[] {
    for (const key of keys) this.#forget(key);
    const points: CommitPoint[] = [];
    for (const partitions of this.#positions.values()) {
      for (const position of partitions.values()) {
        let safe = BigInt(position.last);
        for (const offset of position.firstUnwritten.values()) {
          const before = BigInt(offset) - 1n;
          if (before < safe) safe = before;
        }
        if (safe >= 0n) {
          points.push({ topic: position.topic, partition: position.partition, offset: `${safe}` });
        }
      }
    }
    return points;
  }

  /**
   * The last offset handled on a partition, or null.
   *
   * @param topic The topic.
   * @param partition The partition.
   * @returns The offset.
   */
  position(topic: string, partition: number): bigint | null {
    const last = this.#positions.get(topic)?.get(partition)?.last;
    return last === undefined ? null : BigInt(last);
  }

  /**
   * Forgets the partitions of a topic not in `partitions` (they went to another process), and
   * returns the series to let go: those last changed by a record of one of them, or with
   * unwritten changes from one. Such a series' unwritten changes from partitions still assigned
   * keep holding those partitions back until the series is written again.
   *
   * @param topic The topic.
   * @param partitions The partitions still assigned.
   * @returns The series to let go.
   */
  revoke(topic: string, partitions: readonly number[]): string[] {
    const kept = new Set(partitions);
    this.#assigned.set(topic, kept);
    const byPartition = this.#positions.get(topic);
    const gone = new Set<Position>();
    for (const [partition, position] of byPartition ?? []) {
      if (kept.has(partition)) continue;
      byPartition!.delete(partition);
      gone.add(position);
    }
    if (gone.size === 0) return [];
    const keys = new Set<string>();
    for (const [key, position] of this.#owner) if (gone.has(position)) keys.add(key);
    for (const position of gone) for (const key of position.firstUnwritten.keys()) keys.add(key);
    for (const key of keys) {
      this.#owner.delete(key);
      const on = this.#unwrittenOn.get(key);
      for (const position of gone) on?.delete(position);
      if (on?.size === 0) this.#unwrittenOn.delete(key);
    }
    return [...keys];
  }

  /** The series' changes were taken for a write: they hold no partition back any more. */
  #forget(key: string): void {
    const on = this.#unwrittenOn.get(key);
    if (!on) return;
    for (const position of on) position.firstUnwritten.delete(key);
    this.#unwrittenOn.delete(key);
  }
}
