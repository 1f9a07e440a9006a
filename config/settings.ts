/**
 * Reading settings: a flag wins over its environment variable, which wins over the default; and
 * the settings every command shares (Kafka, logging).
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import type { Env, KafkaConfig, LogConfig, SaslConfig } from "./config.ts";
import {
  parseBoolean,
  parseBrokers,
  parseChoice,
  parseNumber,
  parseSecret,
  parseTopic,
} from "./values.ts";

const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/** Reads a setting: the flag when given, else the variable when set and not blank, else the default. */
export class Settings {
  #flags: Map<string, string | boolean>;
  #env: Env;
  /**
   * @param flags The parsed flags.
   * @param env The environment lookup.
   */
  constructor(flags: Map<string, string | boolean>, env: Env) {
    this.#flags = flags;
    this.#env = env;
  }

  /**
   * The first source that has a value, or the default.
   *
   * @param variable The environment variable, or null.
   * @param flag The flag, or null.
   * @param fallback The default.
   * @returns `[name, text]`: where the value came from and the value.
   */
  get(variable: string | null, flag: string | null, fallback: string): [string, string] {
    const fromFlag = flag === null ? undefined : this.#flags.get(flag);
    if (typeof fromFlag === "string") return [`--${flag}`, fromFlag];
    if (variable !== null) {
      const fromEnv = this.#env(variable);
      if (fromEnv !== undefined && fromEnv.trim() !== "") return [variable, fromEnv];
    }
    return [variable ?? `--${flag}`, fallback];
  }

  /**
   * A variable's text.
   *
   * @param variable The variable.
   * @returns Its text, or undefined when unset or blank.
   */
  optional(variable: string): string | undefined {
    const value = this.#env(variable);
    return value === undefined || value.trim() === "" ? undefined : value;
  }

  /**
   * Whether a switch was given.
   *
   * @param name The flag.
   * @returns True when given.
   */
  flag(name: string): boolean {
    return this.#flags.get(name) === true;
  }
}

/**
 * Reads how to reach Kafka.
 *
 * @param s The settings.
 * @param defaultClientId The client id when none is set.
 * @returns The Kafka configuration.
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

/**
 * Reads the logging settings.
 *
 * @param s The settings.
 * @returns Level and format.
 */
export function loadLog(s: Settings): LogConfig {
  const [levelName, levelRaw] = s.get("LOG_LEVEL", "log-level", "info");
  return {
    level: parseChoice(levelName, levelRaw === "warn" ? "warning" : levelRaw, LOG_LEVELS),
    format: parseChoice(
      ...s.get("LOG_FORMAT", "log-format", "pretty"),
      [
        "pretty",
        "json",
      ] as const,
    ),
  };
}
