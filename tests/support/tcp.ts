/**
 * Whether something listens at an address: how the tests and the fault suite tell a broker is up.
 *
 * @module
 */

/**
 * Whether the first `host:port` of a bootstrap list accepts a TCP connection.
 *
 * @param address `host:port[,host:port…]`.
 * @returns True when a connection was accepted (and closed again).
 */
export async function reachable(address: string): Promise<boolean> {
  const [hostname, port] = address.split(",")[0]!.split(":");
  try {
    const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
