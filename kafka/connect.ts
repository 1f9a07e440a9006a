/**
 * Connecting within a deadline and disconnecting within a bound, whatever the client: a broker
 * that is not there yet is retried until `KAFKA_CONNECT_TIMEOUT`, one that refuses the
 * credentials ends the attempt at once, and one that stopped answering cannot hold up the exit.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { KafkaConfig } from "../config/types.ts";
import { deadline, DeadlineError } from "../runtime/deadline.ts";
import { delay } from "../runtime/delay.ts";
import { describeClientError, refusedCredentials } from "./client_errors.ts";
import { BrokerAuthenticationError, BrokerUnreachableError } from "./transport.ts";

const logger = getLogger(["crypto", "kafka"]);

/** How long disconnecting may take before the program goes on without it, ms. */
export const DISCONNECT_TIMEOUT_MS = 5_000;

/**
 * Disconnects clients one after the other, giving up on one that has not finished within
 * `timeoutMs` (a broker that stopped answering keeps a request open for its whole request
 * timeout, which would hold up the exit). A client whose disconnect fails counts as done.
 *
 * @param clients What to disconnect, in order.
 * @param timeoutMs The time allowed each.
 * @returns The clients that did not finish in time, by index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disconnectWithin } from "./connect.ts";
 * const late = await disconnectWithin([{ disconnect: () => new Promise<void>(() => {}) }], 10);
 * assert.deepEqual(late, [0]);
 * ```
 */
export async function disconnectWithin(
  clients: readonly { disconnect(): Promise<void> }[],
  timeoutMs: number = DISCONNECT_TIMEOUT_MS,
): Promise<number[]> {
  const late: number[] = [];
  for (const [i, client] of clients.entries()) {
    try {
      await deadline(client.disconnect(), timeoutMs);
    } catch (error) {
      if (error instanceof DeadlineError) {
        late.push(i);
        logger.warn("Kafka did not confirm the disconnect within {seconds} s; going on", {
          seconds: timeoutMs / 1000,
        });
      }
    }
  }
  return late;
}

/** What {@linkcode connectWithin} retries. */
export interface ConnectAttempt {
  /** One try at reaching the broker (and authenticating). */
  attempt: () => Promise<void>;
  /** Aborting gives up at once. */
  signal?: AbortSignal;
}

/**
 * Retries `attempt` until it succeeds or `connectTimeoutMs` has passed.
 *
 * @param config Brokers, credentials and the deadline.
 * @param connect The attempt.
 * @returns Resolves once connected.
 * @throws {BrokerUnreachableError} Past the deadline, with the last error the client gave.
 * @throws {BrokerAuthenticationError} When the broker refuses the credentials.
 *
 * @example
 * ```ts
 * import { connectWithin } from "./connect.ts";
 * await connectWithin({ brokers: ["localhost:9092"], clientId: "x", ssl: false, sasl: null,
 *   topic: "t", partitions: 3, replicationFactor: 1, connectTimeoutMs: 1_000 },
 *   { attempt: () => Promise.resolve() });
 * ```
 */
export async function connectWithin(config: KafkaConfig, connect: ConnectAttempt): Promise<void> {
  const until = Date.now() + config.connectTimeoutMs;
  // The client's own last error says more than "no answer before the deadline".
  let last: unknown = null;
  let attempt = 0;
  while (Date.now() < until) {
    connect.signal?.throwIfAborted();
    try {
      await deadline(connect.attempt(), until - Date.now());
      return;
    } catch (thrown) {
      // An attempt that never answered says so in words of its own, without the timer's.
      const error = thrown instanceof DeadlineError
        ? new Error("no answer before the deadline")
        : thrown;
      if (!(thrown instanceof DeadlineError) || last === null) last = error;
      attempt++;
      if (refusedCredentials(error)) {
        const who = config.sasl
          ? `user ${JSON.stringify(config.sasl.username)} (${config.sasl.mechanism.toUpperCase()})`
          : "this client";
        throw new BrokerAuthenticationError(
          `Kafka at ${
            config.brokers.join(",")
          } refused the credentials of ${who}: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`,
          { cause: error },
        );
      }
      logger.debug("Kafka not reachable yet (attempt {attempt}): {error}", {
        attempt,
        error: describeClientError(error),
      });
      const wait = Math.min(1_000, Math.max(0, until - Date.now()));
      await delay(wait, connect.signal ? { signal: connect.signal } : {});
    }
  }
  const seconds = Math.round(config.connectTimeoutMs / 1000);
  throw new BrokerUnreachableError(
    `Cannot reach Kafka at ${config.brokers.join(",")} within ${seconds}s: ${
      describeClientError(last)
    }`,
    { cause: last },
  );
}
