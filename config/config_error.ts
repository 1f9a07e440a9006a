/**
 * The error for a bad flag, variable or configuration value.
 *
 * @module
 */

/** A flag, variable or value that cannot be used; the program prints its message and exits 2. */
export class ConfigError extends Error {
  /**
   * @param message One line naming the flag or variable, the value and what is allowed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}
