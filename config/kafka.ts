/**
 * How to reach Kafka, which every command reads: `KAFKA_BOOTSTRAP_SERVERS` (`--brokers`),
 * `KAFKA_TOPIC` (`--topic`), the topic's partitions and replication, the client id, TLS, SASL and
 * the connect timeout; and how a process belongs to its consumer groups: `--instance-id`
 * (`KAFKA_INSTANCE_ID`) and `KAFKA_SESSION_TIMEOUT` (`docs/configuration.md`,
 * `docs/operating.md`).
 *
 * @module
 */
import type { FlagSpec } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import type { Settings } from "./settings.ts";
import type { KafkaConfig, Membership, SaslConfig } from "./types.ts";
import {
  parseBoolean,
  parseBrokers,
  parseChoice,
  parseInstanceId,
  parseNumber,
  parseSecret,
  parseTopic,
  quoted,
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
 * import assert from "node:assert/strict";
 * import { loadKafka } from "./kafka.ts";
 * import { Settings } from "./settings.ts";
 * const kafka = loadKafka(new Settings(new Map(), () => undefined), "crypto-lag");
 * assert.deepEqual(
 *   [kafka.brokers, kafka.topic, kafka.clientId],
 *   [["localhost:9092"], "crypto-prices", "crypto-lag"],
 * );
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
        quoted(clientIdRaw)
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

/** The session timeout when `KAFKA_SESSION_TIMEOUT` is not set, in seconds. */
export const DEFAULT_SESSION_TIMEOUT_S = 30;

/** `--instance-id <id>`, which `consume`, `candles`, `serve` and `start` share. */
export const instanceIdFlag: FlagSpec = {
  name: "instance-id",
  type: "string",
  value: "<id>",
  help:
    `a static member of the consumer group under this id: restarted with the same id, the process gets its partitions back at once (default: none; a killed member's partitions then wait for its session timeout, KAFKA_SESSION_TIMEOUT, ${DEFAULT_SESSION_TIMEOUT_S} s)`,
  env: "KAFKA_INSTANCE_ID",
};

/**
 * Reads how the process belongs to its consumer groups.
 *
 * @param s The settings.
 * @param suffix What the process adds to the id for one of its groups (`start`: `-printer` and
 *   `-candles`); the id given may be that much shorter than 249.
 * @returns The instance id with its suffix (null when none is set) and the session timeout.
 * @throws {ConfigError} For an id the broker would refuse, or a session timeout outside
 *   6-1800 s (the broker's own bounds by default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMembership } from "./kafka.ts";
 * import { Settings } from "./settings.ts";
 * const s = new Settings(new Map([["instance-id", "candles-1"]]), () => undefined);
 * assert.deepEqual(loadMembership(s), { instanceId: "candles-1", sessionTimeoutMs: 30000 });
 * ```
 */
export function loadMembership(s: Settings, suffix = ""): Membership {
  const [name, raw] = s.get("KAFKA_INSTANCE_ID", "instance-id", "");
  // An empty KAFKA_INSTANCE_ID means none; an empty --instance-id is a mistake.
  const instanceId = raw.trim() === "" && name !== "--instance-id"
    ? null
    : parseInstanceId(name, raw, 249 - suffix.length) + suffix;
  const sessionTimeoutMs = 1000 *
    parseNumber(...s.get("KAFKA_SESSION_TIMEOUT", null, String(DEFAULT_SESSION_TIMEOUT_S)), {
      min: 6,
      max: 1800,
    });
  return { instanceId, sessionTimeoutMs };
}
