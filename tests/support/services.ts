/**
 * The PostgreSQL and Redis servers the store tests run against: `POSTGRES_TEST_URL` (default
 * `postgres://postgres@127.0.0.1:5432/postgres`) and `REDIS_TEST_URL` (default
 * `redis://127.0.0.1:6379`). As with the Kafka broker, a test that needs one is skipped on a
 * developer's machine without it, and fails under `CI=true`.
 *
 * @module
 */
import postgres from "postgres";
import { reachable } from "./tcp.ts";
import { inCi } from "./ci.ts";

/** The PostgreSQL server (a database every test may connect to, to create its own). */
export const POSTGRES_TEST_URL = Deno.env.get("POSTGRES_TEST_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** The Redis server. */
export const REDIS_TEST_URL = Deno.env.get("REDIS_TEST_URL") ?? "redis://127.0.0.1:6379";

const hostPort = (url: string, port: number) => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port === "" ? port : parsed.port}`;
};

const postgresAddress = hostPort(POSTGRES_TEST_URL, 5432);
const redisAddress = hostPort(REDIS_TEST_URL, 6379);
const [postgresUp, redisUp] = await Promise.all([
  reachable(postgresAddress),
  reachable(redisAddress),
]);

function serviceTest(
  up: boolean,
  missing: string,
  name: string,
  fn: () => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !up && !inCi,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: up ? fn : () => {
      throw new Error(missing);
    },
  });
}

/**
 * Registers a test that needs PostgreSQL: skipped without it, failing under `CI=true`.
 *
 * @param name The test name.
 * @param fn The test.
 */
export function postgresTest(name: string, fn: () => Promise<void>): void {
  serviceTest(
    postgresUp,
    `No PostgreSQL at ${postgresAddress} (CI=true): start one, or set POSTGRES_TEST_URL`,
    name,
    fn,
  );
}

/**
 * Registers a test that needs Redis: skipped without it, failing under `CI=true`.
 *
 * @param name The test name.
 * @param fn The test.
 */
export function redisTest(name: string, fn: () => Promise<void>): void {
  serviceTest(
    redisUp,
    `No Redis at ${redisAddress} (CI=true): start one, or set REDIS_TEST_URL`,
    name,
    fn,
  );
}

/** A database made for one test. */
export interface TestDatabase {
  /** Its URL. */
  url: string;
  /** Drops it, closing any connection left to it. */
  drop: () => Promise<void>;
}

/**
 * Creates a database no other test uses, `crypto_test_<random>`, on the test server.
 *
 * @returns Its URL and how to drop it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `crypto_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * A key prefix no other test uses, for Redis keys and channels.
 *
 * @param what What the test is about.
 * @returns `test:<what>:<random>:`.
 */
export function freshPrefix(what: string): string {
  return `test:${what}:${crypto.randomUUID().slice(0, 8)}:`;
}

/**
 * A loopback port where nothing listens (it was free a moment ago).
 *
 * @returns The port.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
