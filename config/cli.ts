/**
 * Command-line flags: parsing with `node:util` `parseArgs`, one-line errors, and `--help`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "./config_error.ts";
import { quoted } from "./values.ts";

/** One flag of a command. */
export interface FlagSpec {
  /** The long name, without dashes. */
  name: string;
  /** `string` takes a value; `boolean` is a switch. */
  type: "string" | "boolean";
  /** The placeholder shown in help, e.g. `<seconds>`. */
  value?: string;
  help: string;
  /** The environment variable it overrides. */
  env?: string;
}

/** A command: its name, summary and flags. */
export interface CommandSpec {
  /** The task name, e.g. `produce`. */
  name: string;
  /** One line on what it does. */
  summary: string;
  /** Its flags, `--help` excluded. */
  flags: readonly FlagSpec[];
}

/** Flags every command has. */
export const commonFlags: readonly FlagSpec[] = [
  {
    name: "brokers",
    type: "string",
    value: "<host:port,...>",
    help: "Kafka bootstrap servers",
    env: "KAFKA_BOOTSTRAP_SERVERS",
  },
  { name: "topic", type: "string", value: "<name>", help: "Kafka topic", env: "KAFKA_TOPIC" },
  {
    name: "log-level",
    type: "string",
    value: "<level>",
    help: "trace, debug, info, warning, error or fatal",
    env: "LOG_LEVEL",
  },
  {
    name: "log-format",
    type: "string",
    value: "<pretty|json>",
    help: "log line format (logs go to stderr)",
    env: "LOG_FORMAT",
  },
];

/** What {@linkcode parseFlags} found: the flags given, or a request for help. */
export type ParsedFlags = { help: true } | { help: false; values: Map<string, string | boolean> };

/**
 * Parses `args` against a command's flags; unknown flags and stray arguments are errors.
 *
 * @param command The command's spec.
 * @param args The arguments after the command.
 * @returns The flags given, by name, or `{ help: true }`.
 * @throws {ConfigError} For an unknown flag, a missing value or a stray argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./cli.ts";
 * const parsed = parseFlags(
 *   { name: "x", summary: "", flags: [{ name: "n", type: "string", help: "" }] },
 *   ["--n", "3"],
 * );
 * assert.equal(parsed.help ? "help" : parsed.values.get("n"), "3");
 * ```
 */
export function parseFlags(command: CommandSpec, args: readonly string[]): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const flag of command.flags) options[flag.name] = { type: flag.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError(describeParseError(error, command));
  }
  if (parsed.values.help === true) return { help: true };
  const values = new Map<string, string | boolean>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === "string" || typeof value === "boolean") values.set(name, value);
  }
  return { help: false, values };
}

function describeParseError(error: unknown, command: CommandSpec): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const hint = `(see: deno task ${command.name} --help)`;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `Unknown flag ${flag ?? ""} ${hint}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(message)?.[1];
    return `Unexpected argument ${quoted(arg ?? "")} ${hint}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return `${flag ?? "A flag"} ${
      message.includes("argument missing") ? "needs a value" : "takes no value"
    } ${hint}`;
  }
  return `${message.split("\n")[0]} ${hint}`;
}

/**
 * The `--help` text of a command.
 *
 * @param command The command's spec.
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./cli.ts";
 * const help = helpText({ name: "lag", summary: "Show lag", flags: [] });
 * assert.equal(help.split("\n")[0], "Usage: deno task lag [flags]");
 * ```
 */
export function helpText(command: CommandSpec): string {
  const rows = [...command.flags, {
    name: "help",
    type: "boolean" as const,
    help: "show this help",
  }].map((flag) => {
    const left = `  --${flag.name}${"value" in flag && flag.value ? ` ${flag.value}` : ""}`;
    const env = "env" in flag && flag.env ? ` [env: ${flag.env}]` : "";
    return `${left.padEnd(34)} ${flag.help}${env}`;
  });
  return [
    `Usage: deno task ${command.name} [flags]`,
    "",
    command.summary,
    "",
    "Flags (a flag wins over its environment variable; .env is read too):",
    ...rows,
    "",
  ].join("\n");
}
