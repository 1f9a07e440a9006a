/**
 * What the Aggregator keeps of the records themselves, across its restarts, for the dead-letter
 * topic (docs/messages.md#dead-letters): the records refused and not yet handed to the sink, and
 * each market's records since its last write, which go to the dead-letter topic should the store
 * refuse that write for good.
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { DeadLetter } from "../market/messages/dead_letter_message.ts";

/** A refused record as its dead letter. */
export function deadLetterOf(record: InRecord, reason: string, at: number): DeadLetter {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    reason,
    at,
    key: record.key,
    value: record.value,
    headers: { ...record.headers },
  };
}

/** The records the Aggregator must be able to dead-letter. */
export class RecordTrail {
  #refused: DeadLetter[] = [];
  #since = new Map<string, InRecord[]>();

  /**
   * A record was refused: its dead letter waits for the next batch. A record refused twice in a
   * row (handed again to the actor's next run after a crash) is kept once.
   *
   * @param letter The dead letter.
   */
  refuse(letter: DeadLetter): void {
    const last = this.#refused[this.#refused.length - 1];
    if (
      last && last.topic === letter.topic && last.partition === letter.partition &&
      last.offset === letter.offset
    ) return;
    this.#refused.push(letter);
  }

  /**
   * A record changed a market: it is among the records of the market's next write.
   *
   * @param market The market.
   * @param record The record.
   */
  added(market: string, record: InRecord): void {
    let records = this.#since.get(market);
    if (!records) this.#since.set(market, records = []);
    records.push(record);
  }

  /**
   * Forgets a market's records (it was let go, or taken over afresh).
   *
   * @param market The market.
   */
  forget(market: string): void {
    this.#since.delete(market);
  }

  /** How many refused records wait for the next batch. */
  get refusedWaiting(): number {
    return this.#refused.length;
  }

  /**
   * Takes what goes with a write of the given markets: every refused record waiting, and the
   * markets' records since their last write.
   *
   * @param markets The markets written.
   * @returns The dead letters, and the records per market.
   */
  take(
    markets: readonly string[],
  ): { deadLetters: DeadLetter[]; sources: Map<string, InRecord[]> } {
    const deadLetters = this.#refused;
    this.#refused = [];
    const sources = new Map<string, InRecord[]>();
    for (const market of markets) {
      const records = this.#since.get(market);
      if (records === undefined) continue;
      sources.set(market, records);
      this.#since.delete(market);
    }
    return { deadLetters, sources };
  }
}
