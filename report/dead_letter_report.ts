/**
 * The counts of the dead letters (docs/messages.md#dead-letters), and their summary on stop.
 *
 * @module
 */
import type { DeadLetter } from "../market/messages/dead_letter_message.ts";

/** What `/api/v1/pipeline` shows of one of the latest dead letters. */
export interface DeadLetterSummary {
  /** Where the refused record was read (or, for an alert, the topic it was meant for). */
  topic: string;
  partition: number | null;
  offset: string | null;
  /** Why it was refused. */
  reason: string;
  /** When, ms since the epoch. */
  at: number;
}

/** How many of the latest dead letters are kept to show. */
const LATEST = 10;

/** Counts of the dead letters, kept across restarts of the actors that write them. */
export class DeadLetterReport {
  /** Records written to the dead-letter topic (acknowledged by the log). */
  written = 0;
  /** Of them, refused at the door (a decoder's reason). */
  refusedAtDoor = 0;
  /** Of them, refused by the store (its reason). */
  refusedByStore = 0;
  /** Failed sends to the dead-letter topic (each retried). */
  sendErrors = 0;
  /** Dead letters the log would not take even without their value: logged, and let go. */
  lost = 0;
  #latest: DeadLetterSummary[] = [];

  /**
   * Dead letters were acknowledged.
   *
   * @param letters The dead letters.
   * @param source `door` (a decoder refused them) or `store`.
   */
  wrote(letters: readonly DeadLetter[], source: "door" | "store"): void {
    this.written += letters.length;
    if (source === "door") this.refusedAtDoor += letters.length;
    else this.refusedByStore += letters.length;
    for (const { topic, partition, offset, reason, at } of letters.slice(-LATEST)) {
      this.#latest.push({ topic, partition, offset, reason, at });
    }
    if (this.#latest.length > LATEST) this.#latest.splice(0, this.#latest.length - LATEST);
  }

  /** The latest dead letters written, oldest first (at most ten). */
  get latest(): readonly DeadLetterSummary[] {
    return this.#latest;
  }

  /**
   * The closing line.
   *
   * @param topic The dead-letter topic.
   * @returns The line.
   */
  summary(topic: string): string {
    return `  Dead-lettered to ${topic}: ${this.written} (refused when read: ${this.refusedAtDoor}, by the store: ${this.refusedByStore})${
      this.lost > 0 ? `, lost: ${this.lost}` : ""
    }`;
  }
}
