/**
 * Where the HTTP server listens, which `start` and `serve` read: `HTTP_ADDR` (`--http`),
 * `API_TOKEN`, required off loopback, and `HTTP_MAX_STREAMS` (`docs/configuration.md`,
 * `docs/api.md`).
 *
 * @module
 */
import type { FlagSpec } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import type { Settings } from "./settings.ts";
import type { HttpConfig } from "./types.ts";
import { parseNumber, parseSecret, quoted } from "./values.ts";

/** `--http <host:port>`, which `start` and `serve` share. */
export const httpFlag: FlagSpec = {
  name: "http",
  type: "string",
  value: "<host:port>",
  help: "where the HTTP API and dashboard listen; an address other than 127.0.0.1 needs API_TOKEN",
  env: "HTTP_ADDR",
};

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;

/**
 * Reads where the HTTP server listens, and its token.
 *
 * @param s The settings.
 * @returns The address (an IPv6 one without its brackets), the token and the stream limit.
 * @throws {ConfigError} For a bad address, a bad token, an address other than loopback
 * without `API_TOKEN`, or a bad `HTTP_MAX_STREAMS`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadHttp } from "./http.ts";
 * import { Settings } from "./settings.ts";
 * assert.deepEqual(
 *   loadHttp(new Settings(new Map([["http", "[::1]:0"]]), () => undefined)),
 *   { hostname: "::1", port: 0, token: null, maxStreams: 1000 },
 * );
 * ```
 */
export function loadHttp(s: Settings): HttpConfig {
  const [name, raw] = s.get("HTTP_ADDR", "http", "127.0.0.1:8080");
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    throw new ConfigError(
      `Invalid ${name}: expected host:port such as 127.0.0.1:8080 (port 0-65535), current value is ${
        quoted(raw)
      }`,
    );
  }
  const host = match[1]!;
  const tokenRaw = s.optional("API_TOKEN");
  const token = tokenRaw === undefined ? null : parseSecret("API_TOKEN", tokenRaw);
  if (!LOOPBACK.test(host) && token === null) {
    throw new ConfigError(
      `Invalid ${name}: ${host} is not a loopback address, so API_TOKEN is required (clients then send Authorization: Bearer <token>); set it, or listen on 127.0.0.1`,
    );
  }
  const maxStreams = parseNumber(...s.get("HTTP_MAX_STREAMS", null, "1000"), {
    min: 1,
    max: 1_000_000,
    integer: true,
  });
  return { hostname: host.replace(/^\[(.*)\]$/, "$1"), port, token, maxStreams };
}
