/**
 * How to reach Kafka, which every command reads: `KAFKA_BOOTSTRAP_SERVERS` (`--brokers`),
 * `KAFKA_TOPIC` (`--topic`), the topic's partitions and replication, the client id, TLS, SASL and
 * the connect timeout (`docs/configuration.md`).
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import type { Settings } from "./settings.ts";
import type { KafkaConfig, SaslConfig } from "./types.ts";
import {
  parseBoolean,
  parseBrokers,
  parseChoice,
  parseNumber,
  parseSecret,
  parseTopic,
} from "./values.ts";

const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;

/**
 * Reads how to reach Kafka.
 *
 * @param s The settings.
 * @param defaultClientId The client id when `KAFKA_CLIENT_ID` is not set.
 * @returns The Kafka configuration.
 * @throws {ConfigError} For a bad value, or a SASL mechanism without its user name or password.
 *
 * @example
 * ```ts
 * import { loadKafka } from "./kafka.ts";
 * import { Settings } from "./settings.ts";
 * const kafka = loadKafka(new Settings(new Map(), () => undefined), "crypto-lag");
 * console.log(kafka.brokers, kafka.topic, kafka.clientId); // ["localhost:9092"] "crypto-prices" "crypto-lag"
 * ```
 */
export function loadKafka(s: Settings, defaultClientId: string): KafkaConfig {
  const brokers = parseBrokers(...s.get("KAFKA_BOOTSTRAP_SERVERS", "brokers", "localhost:9092"));
  const topic = parseTopic(...s.get("KAFKA_TOPIC", "topic", "crypto-prices"));
  const partitions = parseNumber(...s.get("KAFKA_TOPIC_PARTITIONS", null, "3"), {
    min: 1,
    max: 10_000,
    integer: true,
  });
  const replicationFactor = parseNumber(...s.get("KAFKA_REPLICATION_FACTOR", null, "1"), {
    min: 1,
    max: 32,
    integer: true,
  });
  const [clientIdName, clientIdRaw] = s.get("KAFKA_CLIENT_ID", null, defaultClientId);
  const clientId = clientIdRaw.trim();
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(clientId)) {
    throw new ConfigError(
      `Invalid ${clientIdName}: expected 1-255 characters of a-z, A-Z, 0-9, '.', '_' and '-', current value is ${
        JSON.stringify(clientIdRaw)
      }`,
    );
  }
  const ssl = parseBoolean(...s.get("KAFKA_SSL", null, "false"));
  const connectTimeoutMs = 1000 * parseNumber(...s.get("KAFKA_CONNECT_TIMEOUT", null, "30"), {
    min: 1,
    max: 3600,
  });
  const mechanismRaw = s.optional("KAFKA_SASL_MECHANISM");
  let sasl: SaslConfig | null = null;
  if (mechanismRaw !== undefined) {
    const mechanism = parseChoice("KAFKA_SASL_MECHANISM", mechanismRaw, SASL_MECHANISMS);
    const username = s.optional("KAFKA_SASL_USERNAME");
    const password = s.optional("KAFKA_SASL_PASSWORD");
    if (username === undefined) {
      throw new ConfigError("KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set");
    }
    if (password === undefined) {
      throw new ConfigError("KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is set");
    }
    sasl = { mechanism, username, password: parseSecret("KAFKA_SASL_PASSWORD", password) };
  }
  return { brokers, topic, partitions, replicationFactor, clientId, ssl, sasl, connectTimeoutMs };
}
