/**
 * `GET /metrics` in Prometheus text format (with `prom-client`): the pipeline's counters, read
 * from a {@linkcode PipelineSnapshot} when scraped, the live stream's counters, and the HTTP
 * server's own requests and latencies.
 *
 * @module
 */
import { Registry } from "prom-client";
import type { LiveHubStats } from "./live_hub.ts";
import type { HistogramSnapshot, PipelineProvider, PipelineSnapshot } from "./pipeline_snapshot.ts";

/** Options of {@linkcode Metrics}. */
export interface MetricsOptions {
  /** The pipeline's counters. */
  pipeline: PipelineProvider;
  /** The live stream's counters, if the server has a stream. */
  hub?: () => Readonly<LiveHubStats>;
}

type Labels = Record<string, string | number>;
type Value = { labels?: Labels; value: number; metricName?: string };

/** A metric whose values are read from the latest snapshot when scraped. */
interface SnapshotMetric {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  get(): Promise<
    { name: string; help: string; type: string; values: Value[]; aggregator: "sum" }
  >;
}

function histogramValues(name: string, h: HistogramSnapshot, labels: Labels): Value[] {
  const values: Value[] = [];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    values.push({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: bound },
      value: cumulative,
    });
  });
  values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: h.count });
  values.push({ metricName: `${name}_sum`, labels, value: h.sum });
  values.push({ metricName: `${name}_count`, labels, value: h.count });
  return values;
}

/** HTTP latency buckets, seconds. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The `route` label of a request that matched no declared route. */
export const UNMATCHED_ROUTE = "unmatched";

/** The `method` labels: GET, HEAD, and `other` for every other method. */
export const HTTP_METHOD_LABELS = ["GET", "HEAD", "other"] as const;

/** The `status` labels: the class of the status. */
export const HTTP_STATUS_LABELS = ["2xx", "3xx", "4xx", "5xx"] as const;

/**
 * The registry behind `/metrics`.
 *
 * The HTTP server's requests are counted by route, method and status class, each from a fixed
 * list: the routes the app declares ({@linkcode Metrics.declareRoutes}) and `unmatched`, `GET`,
 * `HEAD` and `other`, `2xx` to `5xx`. Every series exists from the start (at 0), so no request,
 * whatever its path or method, adds one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Metrics } from "./metrics.ts";
 * import { NO_PIPELINE } from "./pipeline_snapshot.ts";
 * const metrics = new Metrics({ pipeline: () => NO_PIPELINE });
 * metrics.declareRoutes(["/healthz"]);
 * metrics.observeRequest({ route: "/healthz", method: "GET", status: 200, seconds: 0.001 });
 * metrics.observeRequest({ route: "/nope", method: "FOOBAR", status: 405, seconds: 0.001 });
 * const text = await metrics.render();
 * const total = "crypto_http_requests_total";
 * assert.ok(text.includes(`${total}{route="/healthz",method="GET",status="2xx"} 1`));
 * assert.ok(text.includes(`${total}{route="unmatched",method="other",status="4xx"} 1`));
 * ```
 */
export class Metrics {
  /** The Prometheus registry (the snapshot metrics, the stream's and the HTTP server's). */
  readonly registry: Registry = new Registry();
  #pipeline: PipelineProvider;
  #hub: (() => Readonly<LiveHubStats>) | undefined;
  #snapshot: PipelineSnapshot | null = null;
  // Counted here, without prom-client's label hashing on every request, and rendered by it.
  #routes = new Set<string>();
  #requests = new Map<string, { labels: Labels; count: number }>();
  #durations = new Map<string, { counts: number[]; sum: number; count: number }>();

  /** @param options Where the counters come from. */
  constructor(options: MetricsOptions) {
    this.#pipeline = options.pipeline;
    this.#hub = options.hub;
    this.#register(
      "crypto_http_requests_total",
      "HTTP requests answered, by route, method (GET, HEAD or other) and status class",
      "counter",
      () => [...this.#requests.values()].map(({ labels, count }) => ({ labels, value: count })),
    );
    this.#register(
      "crypto_http_request_duration_seconds",
      "Time from a request to its response headers, by route",
      "histogram",
      () =>
        [...this.#durations].flatMap(([route, h]) =>
          histogramValues("crypto_http_request_duration_seconds", {
            bounds: HTTP_BUCKETS,
            counts: h.counts,
            sum: h.sum,
            count: h.count,
          }, { route })
        ),
    );
    this.#registerPipeline();
    this.#registerHub();
    this.#addRoute(UNMATCHED_ROUTE);
  }

  /** The `Content-Type` of {@linkcode Metrics.render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Declares the routes requests are counted under (route patterns such as
   * `/api/v1/candles/:market`); a request of any other route counts as `unmatched`.
   *
   * @param routes The route patterns.
   */
  declareRoutes(routes: Iterable<string>): void {
    for (const route of routes) this.#addRoute(route);
  }

  /**
   * Counts one HTTP request.
   *
   * @param request Its route pattern (one not declared counts as `unmatched`), method (any but
   * GET and HEAD counts as `other`), status (counted by class) and duration.
   */
  observeRequest(
    request: { route: string; method: string; status: number; seconds: number },
  ): void {
    const { seconds } = request;
    const route = this.#routes.has(request.route) ? request.route : UNMATCHED_ROUTE;
    const method = request.method === "GET" || request.method === "HEAD" ? request.method : "other";
    const status =
      HTTP_STATUS_LABELS[Math.min(3, Math.max(0, Math.floor(request.status / 100) - 2))]!;
    this.#requests.get(`${route} ${method} ${status}`)!.count++;
    const h = this.#durations.get(route)!;
    let i = 0;
    while (i < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[i]!) i++;
    h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  #addRoute(route: string): void {
    if (this.#routes.has(route)) return;
    this.#routes.add(route);
    for (const method of HTTP_METHOD_LABELS) {
      for (const status of HTTP_STATUS_LABELS) {
        this.#requests.set(`${route} ${method} ${status}`, {
          labels: { route, method, status },
          count: 0,
        });
      }
    }
    this.#durations.set(route, {
      counts: new Array(HTTP_BUCKETS.length + 1).fill(0),
      sum: 0,
      count: 0,
    });
  }

  /**
   * Takes a pipeline snapshot and renders every metric.
   *
   * @returns The Prometheus text.
   */
  async render(): Promise<string> {
    this.#snapshot = await this.#pipeline();
    try {
      return await this.registry.metrics();
    } finally {
      this.#snapshot = null;
    }
  }

  #register(
    name: string,
    help: string,
    type: SnapshotMetric["type"],
    values: () => Value[],
  ): void {
    this.registry.registerMetric(
      {
        name,
        help,
        type,
        get: () => Promise.resolve({ name, help, type, values: values(), aggregator: "sum" }),
      } as unknown as Parameters<Registry["registerMetric"]>[0],
    );
  }

  #add(
    name: string,
    help: string,
    type: SnapshotMetric["type"],
    values: (s: PipelineSnapshot) => Value[],
  ): void {
    const metric: SnapshotMetric = {
      name,
      help,
      type,
      get: () =>
        Promise.resolve({
          name,
          help,
          type,
          values: this.#snapshot === null ? [] : values(this.#snapshot),
          aggregator: "sum",
        }),
    };
    this.registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  #registerPipeline(): void {
    const one = (value: number, labels?: Labels): Value[] => [
      labels === undefined ? { value } : { labels, value },
    ];
    this.#add(
      "crypto_stage_messages_total",
      "Messages handled by each pipeline stage",
      "counter",
      (s) => s.stages.map((st) => ({ labels: { stage: st.name }, value: st.messages })),
    );
    this.#add(
      "crypto_stage_errors_total",
      "Errors in each pipeline stage",
      "counter",
      (s) => s.stages.map((st) => ({ labels: { stage: st.name }, value: st.errors })),
    );
    this.#add(
      "crypto_actor_restarts_total",
      "Restarts of each stage's actor by the supervisor",
      "counter",
      (s) => s.stages.map((st) => ({ labels: { stage: st.name }, value: st.restarts })),
    );
    this.#add(
      "crypto_channel_depth",
      "Messages waiting in each stage's inbox channel",
      "gauge",
      (s) =>
        s.stages.filter((st) => st.depth !== null).map((st) => ({
          labels: { stage: st.name },
          value: st.depth!,
        })),
    );
    this.#add(
      "crypto_channel_capacity",
      "Capacity of each stage's inbox channel",
      "gauge",
      (s) =>
        s.stages.filter((st) => st.capacity !== null).map((st) => ({
          labels: { stage: st.name },
          value: st.capacity!,
        })),
    );
    this.#add(
      "crypto_fetches_total",
      "Fetch cycles from the price source, by outcome",
      "counter",
      (s) =>
        s.fetch === null ? [] : [
          { labels: { outcome: "ok" }, value: s.fetch.ok },
          { labels: { outcome: "error" }, value: s.fetch.failed },
        ],
    );
    this.#add(
      "crypto_last_fetch_timestamp_seconds",
      "When the last fetch cycle ended",
      "gauge",
      (s) => s.fetch?.last ? one(s.fetch.last.at / 1000, { outcome: s.fetch.last.outcome }) : [],
    );
    this.#add(
      "crypto_produced_total",
      "Messages produced to the log",
      "counter",
      (s) => one(s.produced),
    );
    this.#add(
      "crypto_consumed_total",
      "Messages consumed from the log",
      "counter",
      (s) => one(s.consumed),
    );
    this.#add(
      "crypto_bad_messages_total",
      "Consumed messages that were not valid and were skipped",
      "counter",
      (s) => one(s.bad),
    );
    this.#add(
      "crypto_dead_letters_total",
      "Records written to the dead-letter topic, by who refused them: when read (door) or the store",
      "counter",
      (s) =>
        s.deadLetters === undefined ? [] : [
          { labels: { refused_by: "door" }, value: s.deadLetters.refusedAtDoor },
          { labels: { refused_by: "store" }, value: s.deadLetters.refusedByStore },
        ],
    );
    this.#add(
      "crypto_buffer_depth",
      "Prices waiting in the producer's buffer for the broker",
      "gauge",
      (s) => s.buffer === null ? [] : one(s.buffer.depth),
    );
    this.#add(
      "crypto_buffer_dropped_total",
      "Prices dropped from the full producer buffer",
      "counter",
      (s) => s.buffer === null ? [] : one(s.buffer.dropped),
    );
    this.#add(
      "crypto_candles_closed_total",
      "Candles closed",
      "counter",
      (s) => s.candles === null ? [] : one(s.candles.closed),
    );
    this.#add(
      "crypto_candle_revisions_total",
      "Late updates of closed candles",
      "counter",
      (s) => s.candles === null ? [] : one(s.candles.revisions),
    );
    this.#add(
      "crypto_late_records_total",
      "Observations later than the allowed lateness, dropped",
      "counter",
      (s) => s.candles === null ? [] : one(s.candles.late),
    );
    this.#add(
      "crypto_store_writes_total",
      "Candle store writes that succeeded",
      "counter",
      (s) => s.candles === null ? [] : one(s.candles.storeWrites),
    );
    this.#add(
      "crypto_store_errors_total",
      "Candle store writes that failed and were retried",
      "counter",
      (s) => s.candles === null ? [] : one(s.candles.storeErrors),
    );
    this.#add(
      "crypto_consumer_lag",
      "Records a consumer group has yet to read, per partition",
      "gauge",
      (s) =>
        s.lag.map((l) => ({
          labels: { topic: l.topic, group: l.group, partition: l.partition },
          value: l.lag,
        })),
    );
    this.#add(
      "crypto_stage_latency_seconds",
      "Time each stage takes per message or batch",
      "histogram",
      (s) =>
        s.stages.flatMap((st) =>
          st.latency === undefined
            ? []
            : histogramValues("crypto_stage_latency_seconds", st.latency, { stage: st.name })
        ),
    );
  }

  #registerHub(): void {
    const hub = this.#hub;
    if (hub === undefined) return;
    const gauge = (name: string, help: string, type: "counter" | "gauge", read: () => Value[]) => {
      this.registry.registerMetric(
        {
          name,
          help,
          type,
          get: () => Promise.resolve({ name, help, type, values: read(), aggregator: "sum" }),
        } as unknown as Parameters<Registry["registerMetric"]>[0],
      );
    };
    gauge("crypto_sse_clients", "Live stream clients connected", "gauge", () => [{
      value: hub().clients,
    }]);
    gauge(
      "crypto_sse_events_total",
      "Events published to the live stream, by type",
      "counter",
      () => Object.entries(hub().published).map(([type, value]) => ({ labels: { type }, value })),
    );
    gauge(
      "crypto_sse_dropped_clients_total",
      "Live stream clients dropped for falling behind",
      "counter",
      () => [{ value: hub().dropped }],
    );
    gauge(
      "crypto_sse_replayed_total",
      "Events sent again to reconnecting clients",
      "counter",
      () => [{ value: hub().replayed }],
    );
  }
}
