/**
 * A message encoded for its topic: what a producer sends, but for the partition, which the
 * sender chooses.
 *
 * @module
 */

/** A message encoded for its topic. */
export interface EncodedRecord {
  /** The record key: the message's symbol, so that a symbol's messages share a partition. */
  key: string;
  /** The JSON value: as text, or as its UTF-8 bytes (the replay worker hands over bytes). */
  value: string | Uint8Array;
  /** `content-type` and `schema` (see docs/messages.md). */
  headers: Record<string, string>;
  /**
   * The message's event time (or fetch time), ms since the epoch. Not the record's Kafka
   * timestamp: the producer transport stamps every record with the time of writing.
   */
  timestamp: number;
}
