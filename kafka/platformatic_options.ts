/**
 * The `@platformatic/kafka` client options every client of ours starts from: where the brokers
 * are, TLS and SASL, and timeouts and retries set explicitly rather than left to the client's
 * defaults.
 *
 * @module
 */
import type { BaseOptions, SASLMechanismValue } from "@platformatic/kafka";
import type { KafkaConfig, SaslConfig } from "../config/types.ts";
import { backoffDelay } from "../runtime/backoff.ts";

const MECHANISMS: Record<SaslConfig["mechanism"], SASLMechanismValue> = {
  "plain": "PLAIN",
  "scram-sha-256": "SCRAM-SHA-256",
  "scram-sha-512": "SCRAM-SHA-512",
};

/** What a client of ours may set beyond the shared options. */
export interface ClientOptionsOverrides {
  /**
   * Retries of a failed request inside the client before the caller sees the error.
   * @default {5}
   */
  retries?: number;
}

/**
 * The options shared by the producer, the consumer and the admin client: brokers, client id,
 * TLS, SASL; a connection attempt gives up after 3 s, a request after 30 s; a failed request is
 * retried `retries` times with exponential backoff from 300 ms to 5 s (about 10 s in all for 5).
 *
 * @param config Brokers, client id, TLS and SASL.
 * @param overrides Retries.
 * @returns The options, a new object each call (the clients change the one they are given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientOptions } from "./platformatic_options.ts";
 * const options = clientOptions({ brokers: ["localhost:9092"], clientId: "x", ssl: false, sasl: null,
 *   topic: "t", partitions: 3, replicationFactor: 1, connectTimeoutMs: 30_000 });
 * assert.deepEqual(options.bootstrapBrokers, ["localhost:9092"]);
 * ```
 */
export function clientOptions(
  config: KafkaConfig,
  overrides: ClientOptionsOverrides = {},
): BaseOptions {
  const options: BaseOptions = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: 3_000,
    requestTimeout: 30_000,
    // What the broker may take over a request it waits on (an acks=all produce, a topic to create).
    timeout: 30_000,
    retries: overrides.retries ?? 5,
    retryDelay: (_client, _operation, attempt) =>
      backoffDelay(attempt - 1, { minMs: 300, maxMs: 5_000, jitter: 0.2 }),
    autocreateTopics: false,
    strict: false,
  };
  if (config.ssl) options.tls = {};
  if (config.sasl) {
    options.sasl = {
      mechanism: MECHANISMS[config.sasl.mechanism],
      username: config.sasl.username,
      password: config.sasl.password,
    };
  }
  return options;
}
