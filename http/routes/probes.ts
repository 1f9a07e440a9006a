/**
 * `GET /healthz` (the process answers) and `GET /readyz` (200 only when every dependency
 * answers; 503 with the reasons otherwise).
 *
 * `/readyz` runs its checks at most once a second: every call while a round of checks runs, or
 * within a second of its start, gets that round's answer, so a burst of probes (or a page that
 * polls) opens one connection to each dependency, not one per request. Each check is bounded in
 * time. The answer names what is not ready and why, never where: host names, addresses, ports
 * and URLs are taken out of the reasons.
 *
 * @module
 */
import { Hono } from "hono";
import { redactUrl } from "../../config/values.ts";
import { deadline } from "../../runtime/deadline.ts";
import { json, jsonText } from "../respond.ts";

/** A readiness check: resolves when the dependency answers, rejects with the reason. */
export type ReadinessCheck = () => Promise<void>;

/** What the probe routes need. */
export interface ProbeRoutesDeps {
  /** The checks by name, e.g. `source`, `broker`, `store`. */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Time each check may take before it counts as failed, in milliseconds. @default {2000} */
  timeoutMs?: number;
}

/** How long one round of checks answers `/readyz`, in milliseconds. */
const ROUND_MS = 1000;

// An address, with what leads to it (a preposition, or the comma of a list) so the sentence
// still reads: a URL, a bracketed IPv6 address, a bare IPv6 address, host:port, a dotted name or
// IPv4 address, localhost, or "port 5432"; quoted or not.
const ADDRESS = new RegExp(
  String.raw`(?:\s(?:at|to|on|from|for|via)\b|,)?\s*["']?(?:` + [
    String.raw`\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]*`,
    String.raw`\[[0-9a-z:.%]*\](?::\d+)?`,
    String.raw`(?<![\w.:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[\w.-]+)?(?![\w:])`,
    String.raw`\b(?:[a-z0-9_-]+\.)*[a-z0-9_-]+:\d{1,5}\b`,
    String.raw`\b(?:[a-z0-9_-]+\.)+[a-z0-9_-]+\b`,
    String.raw`\blocalhost\b`,
    String.raw`\bport\s+\d{1,5}\b`,
  ].join("|") + ")[\"']?",
  "gi",
);

/**
 * One line of a failed check's reason with every address taken out: URLs (and any password in
 * them), host names, IP addresses and ports.
 *
 * @param error What the check rejected with.
 * @returns The line, at most 200 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeReason } from "./probes.ts";
 * const reason = (message: string) => describeReason(new Error(message));
 * assert.equal(reason("cannot reach postgres://app:s3cret@db:5432/x"), "cannot reach");
 * assert.equal(reason("127.0.0.1:9092: connection refused"), "connection refused");
 * assert.equal(reason("Redis: connect ECONNREFUSED [::1]:6379"), "Redis: connect ECONNREFUSED");
 * ```
 */
export function describeReason(error: unknown): string {
  const text = redactUrl(error instanceof Error ? error.message : String(error));
  const line = (text.split("\n")[0] ?? "")
    .replace(ADDRESS, "")
    .replace(/\s+/g, " ")
    .replace(/\s+([:,;.])/g, "$1")
    .replace(/^[\s:,;.-]+|[\s:,;-]+$/g, "")
    .replace(/:(?=:)/g, "");
  return (line === "" ? "failed" : line).slice(0, 200);
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  try {
    await deadline(Promise.resolve().then(check), timeoutMs);
    return null;
  } catch (error) {
    return describeReason(error);
  }
}

/** A round's answer, sent as it is to every `/readyz` it serves. */
interface Answer {
  status: 200 | 503;
  /** The JSON text. */
  body: string;
}

async function runRound(
  readiness: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
): Promise<Answer> {
  const names = Object.keys(readiness);
  const results = await Promise.all(names.map((name) => runCheck(readiness[name]!, timeoutMs)));
  const checks: Record<string, string> = {};
  const reasons: string[] = [];
  names.forEach((name, i) => {
    const reason = results[i];
    checks[name] = reason ?? "ok";
    if (reason) reasons.push(`${name}: ${reason}`);
  });
  const body = reasons.length === 0
    ? { status: "ready", checks }
    : { status: "not ready", reasons, checks };
  return {
    status: reasons.length === 0 ? 200 : 503,
    body: JSON.stringify(body),
  };
}

/**
 * The probe routes.
 *
 * @param deps The readiness checks and the time each may take.
 * @returns A Hono app to mount at the root.
 */
export function probeRoutes(deps: ProbeRoutesDeps): Hono {
  const timeoutMs = deps.timeoutMs ?? 2000;
  let round: { started: number; answer: Promise<Answer>; done: boolean } | null = null;
  const answer = (): Promise<Answer> => {
    const now = performance.now();
    if (round === null || (round.done && now - round.started >= ROUND_MS)) {
      const current = {
        started: now,
        answer: runRound(deps.readiness, timeoutMs),
        done: false,
      };
      current.answer.finally(() => current.done = true);
      round = current;
    }
    return round.answer;
  };
  return new Hono()
    .get("/healthz", () => json({ status: "ok" }))
    .get("/readyz", async () => {
      const { status, body } = await answer();
      return jsonText(body, status);
    });
}
