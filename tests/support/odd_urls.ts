/**
 * A table of odd URLs, each with a password, for the tests that no password is ever printed.
 *
 * @module
 */

/** Every password below holds this, percent-encoded or not, and nothing else the program prints. */
export const SECRET = "hunt";

/** A port nothing listens on: connections to it are refused at once. */
const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
export const DEAD_PORT = closed.addr.port;
closed.close();

/**
 * Odd URLs of a scheme, each with a password holding {@linkcode SECRET}; the well-formed ones
 * point at a port nothing listens on, so that the command fails fast where it uses them.
 *
 * @param scheme The URL scheme.
 * @returns The URLs, raw, and what each is about.
 */
export function oddUrls(scheme: string): [string, string][] {
  const at = `127.0.0.1:${DEAD_PORT}`;
  return [
    [` ${scheme}://u:hunter2@${at}/0`, "a leading space"],
    [`${scheme}://u:hunter2@${at}/0 \t`, "trailing spaces"],
    [`\n${scheme}://u:hunter2@${at}/0`, "a leading newline"],
    [`${scheme}://u:hunter2/0`, "no @"],
    [`${scheme}://u:hunter2`, "no @ and no path"],
    [`${scheme}://u:hunt%65r2@${at}/0`, "a percent-encoded password"],
    [`${scheme}://u:hunt%40er2@${at}/0`, "a percent-encoded @ in the password"],
    [`${scheme}://:hunter2@[::1]:${DEAD_PORT}/0`, "an IPv6 host"],
    [`${scheme}://u:hunter2@[::1`, "an IPv6 host without its ]"],
    [`${scheme}://u:hunter2@[fe80::1%25eth0]:${DEAD_PORT}/0`, "an IPv6 host with a zone"],
    [`${scheme}://u:hunter2@x/y@${at}/0`, "an unescaped @ and / in the password"],
    [`${scheme}://u:hunter 2@${at}/0`, "a space in the password"],
    [`${scheme}://${at}/0?sslmode=disable&password=hunter2`, "a password parameter"],
    [`u:hunter2@${at}`, "no scheme"],
    [`${scheme}:u:hunter2@${at}`, "a scheme without //"],
    [`${scheme.toUpperCase()}://u:hunter2@${at}/0`, "an upper-case scheme"],
    [`${scheme}://u:hunter2@127.0.0.1:99999/0`, "a port out of range"],
  ];
}
