/**
 * The `lag` command's configuration: the consumer group and Kafka, as `consume` reads them
 * (`docs/configuration.md`).
 *
 * @module
 */
import { type CommandSpec, commonFlags, parseFlags } from "./cli.ts";
import { consumeFlags, loadConsumerSettings } from "./consume.ts";
import { Settings } from "./settings.ts";
import type { Env, LagConfig } from "./types.ts";

/** The `lag` command and its flags. */
export const lagCommand: CommandSpec = {
  name: "lag",
  summary:
    "Show a consumer group's committed offset, end offset and lag per partition, and the total.",
  flags: [consumeFlags.find((f) => f.name === "group")!, ...commonFlags],
};

/**
 * Loads the `lag` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadLagConfig } from "./lag.ts";
 * assert.equal(loadLagConfig([], () => undefined)?.group, "crypto-analyzer-group");
 * ```
 */
export function loadLagConfig(args: readonly string[], env: Env): LagConfig | null {
  const parsed = parseFlags(lagCommand, args);
  if (parsed.help) return null;
  const { kafka, group, log } = loadConsumerSettings(
    new Settings(parsed.values, env),
    parsed.values,
    [],
  );
  return { kafka, group, log };
}
