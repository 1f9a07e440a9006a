/**
 * Kafka's Fetch request (version 17) through `@platformatic/kafka`'s connections, with the
 * records of each partition left as bytes for `record_batches.ts` to decode. The request is the
 * client's own (`fetchV17.createRequest`); only the reading of the response differs from its
 * `fetchV17.parseResponse`, which turns every record into objects and `Buffer`s before anyone
 * asks for them (the larger part of consuming, measured in bench/ANALYSIS.md).
 *
 * @module
 */
import {
  type Connection,
  createAPI,
  fetchV17,
  type Reader,
  readKnownTaggedFields,
  ResponseError,
} from "@platformatic/kafka";
import type { AbortedTransaction } from "./record_batches.ts";

/** The Fetch request's API key and the version this module reads. */
export const FETCH_KEY = 1;
export const FETCH_VERSION = 17;

/** One partition of a Fetch response, its records as bytes. */
export interface RawFetchPartition {
  /** The partition. */
  partitionIndex: number;
  /** Kafka's error code for the partition, 0 when none. */
  errorCode: number;
  /** The offset after the last record written. */
  highWatermark: bigint;
  /** The oldest offset retained. */
  logStartOffset: bigint;
  /** Transactions aborted among the records (read_committed only). */
  abortedTransactions: AbortedTransaction[] | null;
  /** The record batches' bytes, or null when there were none. */
  records: Uint8Array | null;
}

/** A Fetch response with the records as bytes. */
export interface RawFetchResponse {
  /** Kafka's error code for the whole request, 0 when none. */
  errorCode: number;
  /** Per topic (by id), the partitions. */
  responses: { topicId: string; partitions: RawFetchPartition[] }[];
}

/** What a Fetch asks for: per topic id, each partition and where to read from. */
export interface RawFetchTopic {
  /** The topic's id (a UUID). */
  topicId: string;
  /** The partitions. */
  partitions: {
    partition: number;
    fetchOffset: bigint;
    partitionMaxBytes: number;
    currentLeaderEpoch: number;
    lastFetchedEpoch: number;
  }[];
}

/** Reads a Fetch v17 response as the client does, but keeps each partition's records as bytes. */
function parseResponse(
  _correlationId: number,
  apiKey: number,
  apiVersion: number,
  reader: Reader,
): RawFetchResponse {
  const errors: [string, [number, null]][] = [];
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(["", [errorCode, null]]);
  reader.readInt32(); // session id: sessions are not used
  const response: RawFetchResponse = {
    errorCode,
    responses: reader.readArray((r, i) => ({
      topicId: r.readUUID(),
      partitions: r.readArray(
        (r, j) => {
          const partition: RawFetchPartition = {
            partitionIndex: r.readInt32(),
            errorCode: r.readInt16(),
            highWatermark: r.readInt64(),
            logStartOffset: 0n,
            abortedTransactions: null,
            records: null,
          };
          r.readInt64(); // last stable offset
          partition.logStartOffset = r.readInt64();
          partition.abortedTransactions = r.readNullableArray((r) => ({
            producerId: r.readInt64(),
            firstOffset: r.readInt64(),
          }));
          r.readInt32(); // preferred read replica
          if (partition.errorCode !== 0) {
            errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode, null]]);
          }
          // COMPACT_RECORDS: the length plus one, 0 for null.
          const size = r.readUnsignedVarInt();
          if (size > 1) {
            // One contiguous copy of the partition's bytes (a response arrives in many chunks).
            partition.records = r.buffer.slice(r.position, r.position + size - 1);
            r.skip(size - 1);
          }
          readKnownTaggedFields(r, {});
          return partition;
        },
        true,
        false,
      ),
    })),
  };
  readKnownTaggedFields(reader, {});
  if (errors.length > 0) {
    throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  }
  return response;
}

const fetchApi = createAPI<unknown[], RawFetchResponse>(
  FETCH_KEY,
  FETCH_VERSION,
  fetchV17.createRequest,
  parseResponse,
);

/** What {@linkcode rawFetch} sends. */
export interface RawFetchOptions {
  /** How long the broker may wait for `minBytes`, ms. */
  maxWaitMs: number;
  /** The bytes the broker waits for before answering. */
  minBytes: number;
  /** The most bytes in the answer. */
  maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  /** What to read. */
  topics: RawFetchTopic[];
}

/**
 * Sends one Fetch (v17, no fetch session) on a connection and reads the answer, records as bytes.
 *
 * @param connection A connection to the partitions' leader.
 * @param options What to fetch, and the wait and size limits.
 * @returns The response.
 */
export function rawFetch(
  connection: Connection,
  options: RawFetchOptions,
): Promise<RawFetchResponse> {
  return new Promise((resolve, reject) => {
    fetchApi(
      connection,
      options.maxWaitMs,
      options.minBytes,
      options.maxBytes,
      options.isolationLevel,
      0, // session id: none
      -1, // session epoch: a full fetch, no session made
      options.topics,
      [],
      "",
      (error: Error | null, response?: RawFetchResponse) => {
        if (error) reject(error);
        else resolve(response!);
      },
    );
  });
}
