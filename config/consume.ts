/**
 * The `consume` command's configuration: its flags, and the consuming side that `start` and
 * `lag` share (`docs/configuration.md`).
 *
 * @module
 */
import { loadDlqTopic, loadMaxAhead } from "./candles.ts";
import { type CommandSpec, commonFlags, type FlagSpec, parseFlags } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { loadFaultInjection } from "./fault_injection.ts";
import { instanceIdFlag, loadKafka, loadMembership } from "./kafka.ts";
import { loadLog } from "./logging.ts";
import { Settings } from "./settings.ts";
import type { ConsumerConfig, Env } from "./types.ts";
import { parseChoice, parseNumber, quoted, shown } from "./values.ts";

/** The actors `FAULT_INJECT` may name in `consume`. */
export const CONSUMER_ACTORS = ["printer"] as const;

/** The flags of the consuming side; `start` and `lag` take some of them. */
export const consumeFlags: readonly FlagSpec[] = [
  {
    name: "filter",
    type: "string",
    value: "<SYMBOL,...>",
    help: "print only these symbols (case-insensitive)",
  },
  {
    name: "from-beginning",
    type: "boolean",
    help: "start at the oldest message when the group has no committed offset",
  },
  {
    name: "max-messages",
    type: "string",
    value: "<n>",
    help: "exit 0 after printing n messages (their offsets committed)",
  },
  {
    name: "format",
    type: "string",
    value: "<pretty|line|json>",
    help: "how each message is printed (default: pretty)",
  },
  {
    name: "group",
    type: "string",
    value: "<id>",
    help: "consumer group",
    env: "KAFKA_CONSUMER_GROUP",
  },
  instanceIdFlag,
];

/** The `consume` command and its flags. */
export const consumeCommand: CommandSpec = {
  name: "consume",
  summary:
    "Read prices from the Kafka topic and print them; offsets are committed after printing (at-least-once).",
  flags: [...consumeFlags, ...commonFlags],
};

/**
 * Loads the `consume` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConsumerConfig } from "./consume.ts";
 * const config = loadConsumerConfig(["--filter", "btc"], () => undefined);
 * assert.deepEqual(config?.filter, new Set(["BTC"]));
 * ```
 */
export function loadConsumerConfig(args: readonly string[], env: Env): ConsumerConfig | null {
  const parsed = parseFlags(consumeCommand, args);
  if (parsed.help) return null;
  return loadConsumerSettings(new Settings(parsed.values, env), parsed.values, CONSUMER_ACTORS);
}

/**
 * Reads the consuming side's settings, for `consume`, `start` and `lag`.
 *
 * @param s The settings.
 * @param flags The parsed flags.
 * @param faultActors The actors `FAULT_INJECT` may name in this command; only the consumer's
 *   are kept.
 * @param instanceSuffix What this command adds to the instance id for the consumer's group.
 * @returns The consumer's configuration.
 * @throws {ConfigError} For any bad flag or value.
 */
export function loadConsumerSettings(
  s: Settings,
  flags: Map<string, string | boolean>,
  faultActors: readonly string[],
  instanceSuffix = "",
): ConsumerConfig {
  const log = loadLog(s);
  const kafka = loadKafka(s, "crypto-price-consumer");
  const [groupName, groupRaw] = s.get("KAFKA_CONSUMER_GROUP", "group", "crypto-analyzer-group");
  const group = groupRaw.trim();
  if (group === "" || group.length > 255 || /[\s]/.test(group)) {
    throw new ConfigError(
      `Invalid ${groupName}: expected 1-255 characters without spaces, current value is ${
        quoted(groupRaw)
      }`,
    );
  }
  const filterRaw = flags.get("filter");
  let filter: Set<string> | null = null;
  if (typeof filterRaw === "string") {
    const symbols = filterRaw.split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (symbols.length === 0 || !symbols.every((x) => /^[A-Za-z0-9]{1,15}$/.test(x))) {
      throw new ConfigError(
        `Invalid --filter: expected SYMBOL[,SYMBOL...] such as BTC,ETH, each 1-15 characters of A-Z and 0-9, current value is ${
          shown(filterRaw)
        }`,
      );
    }
    filter = new Set(symbols.map((x) => x.toUpperCase()));
  }
  const maxRaw = flags.get("max-messages");
  const maxMessages = typeof maxRaw === "string"
    ? parseNumber("--max-messages", maxRaw, { min: 1, max: 1e12, integer: true })
    : null;
  const formatRaw = flags.get("format");
  const format = typeof formatRaw === "string"
    ? parseChoice("--format", formatRaw, ["pretty", "line", "json"] as const)
    : "pretty";
  return {
    kafka,
    group,
    membership: loadMembership(s, instanceSuffix),
    filter,
    fromBeginning: flags.get("from-beginning") === true,
    maxMessages,
    format,
    faults: loadFaultInjection(s, faultActors).filter((f) =>
      CONSUMER_ACTORS.some((a) => a === f.actor)
    ),
    log,
    maxAheadMs: loadMaxAhead(s),
    dlqTopic: loadDlqTopic(s),
  };
}
