/**
 * Loading a command's configuration from `Deno.args` and the environment: `--help` prints the
 * usage and exits 0, a bad flag or value prints one line and exits 2 (`docs/configuration.md`).
 *
 * @module
 */
import { type CommandSpec, helpText } from "../../config/cli.ts";
import { ConfigError } from "../../config/config_error.ts";
import type { Env, ProducerConfig } from "../../config/types.ts";
import { print } from "./console.ts";
import { fail } from "./exit.ts";

const env: Env = (name) => Deno.env.get(name);

/**
 * Loads a command's configuration, or ends the program: exit 0 after the usage for `--help`,
 * exit 2 with the {@linkcode ConfigError}'s line for a bad flag or value.
 *
 * @param command The command's spec, for `--help`.
 * @param load The command's loader; null means help was asked for.
 * @returns The configuration.
 */
export function loadCommand<T>(
  command: CommandSpec,
  load: (args: readonly string[], env: Env) => T | null,
): T {
  let config: T | null;
  try {
    config = load(Deno.args, env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (config === null) {
    print(helpText(command));
    Deno.exit(0);
  }
  return config;
}

/**
 * Checks a `--source replay:FILE` file can be read, or ends the program with exit 2.
 *
 * @param source The configured source.
 */
export function checkReplayFileOrExit(source: ProducerConfig["source"]): void {
  if (source.kind !== "replay") return;
  const { path } = source;
  try {
    if (!Deno.statSync(path).isFile) throw new Error("not a file");
  } catch (error) {
    fail(
      `Invalid --source: cannot read ${JSON.stringify(path)} (${
        error instanceof Error ? error.message.split(":")[0] : String(error)
      })`,
      2,
    );
  }
}
