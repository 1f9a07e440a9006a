/**
 * Reading a setting: a flag wins over its environment variable, which wins over the default.
 *
 * @module
 */
import type { Env } from "./types.ts";

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
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Settings } from "./settings.ts";
   * const s = new Settings(new Map([["topic", "mine"]]), () => "theirs");
   * assert.deepEqual(s.get("KAFKA_TOPIC", "topic", "crypto-prices"), ["--topic", "mine"]);
   * assert.deepEqual(s.get("KAFKA_TOPIC", null, "crypto-prices"), ["KAFKA_TOPIC", "theirs"]);
   * ```
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
