/**
 * Which `Host` a server on loopback without a token answers: a loopback name or address, never a
 * name an attacker's DNS can point at 127.0.0.1 (DNS rebinding).
 *
 * @module
 */

/**
 * Whether a `Host` header (or the authority of a request URL) names the loopback interface:
 * `localhost`, an IPv4 address of 127.0.0.0/8 in dotted decimal, or `[::1]`, with any port or
 * none, in any case. Anything else, including a name that resolves to 127.0.0.1, is not.
 *
 * @param host The header's value, e.g. `localhost:8080`.
 * @returns True for a loopback host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackHost } from "./loopback_host.ts";
 * assert.deepEqual([isLoopbackHost("LOCALHOST:8080"), isLoopbackHost("[::1]:1")], [true, true]);
 * assert.equal(isLoopbackHost("evil.test:8080"), false);
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const match = /^(\[[^\]]*\]|[^:\[\]]*)(?::(\d{0,5}))?$/.exec(host);
  if (match === null) return false;
  const name = match[1]!.toLowerCase();
  if (name === "localhost" || name === "[::1]") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * The authority (host and port) of an absolute URL, as written.
 *
 * @param url The URL, e.g. `http://localhost:8080/x`.
 * @returns The authority, e.g. `localhost:8080`, or "" when the URL has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorityOf } from "./loopback_host.ts";
 * assert.equal(authorityOf("http://evil.test:8080/api/v1/symbols?x=1"), "evil.test:8080");
 * ```
 */
export function authorityOf(url: string): string {
  const start = url.indexOf("//");
  if (start === -1) return "";
  const rest = url.slice(start + 2);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  return authority.slice(authority.lastIndexOf("@") + 1);
}
