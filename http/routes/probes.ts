/**
 * `GET /healthz` (the process answers) and `GET /readyz` (200 only when every dependency
 * answers; 503 with the reasons otherwise).
 *
 * @module
 */
import { Hono } from "hono";
import { json } from "../respond.ts";

/** A readiness check: resolves when the dependency answers, rejects with the reason. */
export type ReadinessCheck = () => Promise<void>;

/** What the probe routes need. */
export interface ProbeRoutesDeps {
  /** The checks by name, e.g. `source`, `broker`, `store`. */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Time each check may take before it counts as failed, in milliseconds. @default {2000} */
  timeoutMs?: number;
}

/**
 * One line of a failed check's reason, with any `user:password@` in a URL taken out.
 *
 * @param error What the check rejected with.
 * @returns The line, at most 200 characters.
 *
 * @example
 * ```ts
 * import { describeReason } from "./probes.ts";
 * console.log(describeReason(new Error("cannot reach postgres://app:s3cret@db:5432/x"))); // "cannot reach postgres://db:5432/x"
 * ```
 */
export function describeReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = (text.split("\n")[0] ?? "").replace(/\/\/[^/@\s]*@/g, "//").trim();
  return (line === "" ? "failed" : line).slice(0, 200);
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return null;
  } catch (error) {
    return describeReason(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The probe routes.
 *
 * @param deps The readiness checks.
 * @returns A Hono app to mount at the root.
 */
export function probeRoutes(deps: ProbeRoutesDeps): Hono {
  const timeoutMs = deps.timeoutMs ?? 2000;
  return new Hono()
    .get("/healthz", () => json({ status: "ok" }))
    .get("/readyz", async () => {
      const names = Object.keys(deps.readiness);
      const results = await Promise.all(
        names.map((name) => runCheck(deps.readiness[name]!, timeoutMs)),
      );
      const checks: Record<string, string> = {};
      const reasons: string[] = [];
      names.forEach((name, i) => {
        const reason = results[i];
        checks[name] = reason ?? "ok";
        if (reason) reasons.push(`${name}: ${reason}`);
      });
      return reasons.length === 0
        ? json({ status: "ready", checks })
        : json({ status: "not ready", reasons, checks }, 503);
    });
}
