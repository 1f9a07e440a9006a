/**
 * Scenario 4: API faults. `produce` runs against its own CoinGecko stand-in, scripted with long
 * runs of every failure mode: 429 with and without `Retry-After` (JSON and HTML bodies), 5xx,
 * hung connections, truncated and malformed JSON, answers broken off mid-body, null and
 * negative prices, an empty object, and an unknown coin id throughout. The stand-in's request
 * times show the rate the producer kept; stderr shows each fault reported once; the topic shows
 * every good price and no bad one.
 *
 * @module
 */
import {
  CoinGeckoStub,
  type StubAnswer,
  type StubRequest,
} from "../tests/support/coingecko_stub.ts";
import { occurrences, sleep, spawn } from "./command.ts";
import {
  check,
  INTERVAL,
  noDuplicates,
  producerSummary,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  stoppedCleanly,
} from "./scenario.ts";
import { readAll, summarize, unique } from "./topic.ts";

/** How much earlier than asked a request may reach the stand-in (scheduling, loopback), ms. */
const TOLERANCE_MS = 100;
/** The coins asked for; the last one is unknown to the stand-in. */
const COIN_LIST = "bitcoin:BTC,ethereum:ETH,notacoin:NAC";
const SYMBOLS: Record<string, string> = { bitcoin: "BTC", ethereum: "ETH" };
const UNKNOWN_LINE = "notacoin (NAC) is missing from the CoinGecko response";

const HTML_429 = `<html><head><title>429 Too Many Requests</title></head>
<body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>`;
const HTML_502 = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>`;

type Live = Record<string, Record<string, number>>;

/** One kind of answer: what the stand-in sends, and the line each such answer must log. */
interface Kind {
  /** Short name, for the report. */
  name: string;
  /** The scripted answer (none: live prices). */
  answer: StubAnswer | null;
  /** Text that occurs in exactly the one stderr line each answer of this kind must cause. */
  needle: string | null;
  /** Whether the answer is a JSON object of prices the producer reads coin by coin. */
  prices: boolean;
}

function kinds(retryAfterS: number, hangMs: number): Record<string, Kind> {
  const json = { "content-type": "application/json" };
  return {
    good: { name: "good", answer: null, needle: null, prices: true },
    retryAfter: {
      name: `429 JSON, Retry-After: ${retryAfterS}`,
      answer: {
        status: 429,
        body: { status: { error_code: 429, error_message: "Throttled (with Retry-After)" } },
        headers: { "retry-after": String(retryAfterS) },
      },
      needle: "HTTP 429 (rate limited): Throttled (with Retry-After)",
      prices: false,
    },
    json429: {
      name: "429 JSON, no Retry-After",
      answer: {
        status: 429,
        body: { status: { error_code: 429, error_message: "Throttled (no Retry-After)" } },
      },
      needle: "HTTP 429 (rate limited): Throttled (no Retry-After)",
      prices: false,
    },
    html429: {
      name: "429 HTML, no Retry-After",
      answer: { status: 429, body: HTML_429 },
      needle: "HTTP 429 (rate limited): 429 Too Many Requests",
      prices: false,
    },
    json500: {
      name: "500 JSON",
      answer: { status: 500, body: { error: "Internal server error" } },
      needle: "HTTP 500: Internal server error",
      prices: false,
    },
    html502: {
      name: "502 HTML",
      answer: { status: 502, body: HTML_502 },
      needle: "HTTP 502: 502 Bad Gateway",
      prices: false,
    },
    text503: {
      name: "503 text",
      answer: {
        status: 503,
        body: "Service Unavailable",
        headers: { "content-type": "text/plain" },
      },
      needle: "HTTP 503: Service Unavailable",
      prices: false,
    },
    hung: {
      name: `hung ${hangMs / 1000} s`,
      answer: { delayMs: hangMs },
      needle: "did not answer within",
      prices: false,
    },
    truncated: {
      name: "truncated JSON",
      answer: { body: '{"bitcoin":{"usd":45234.5', headers: json },
      needle: 'not JSON (application/json): {"bitcoin":{"usd":45234.5',
      prices: false,
    },
    malformed: {
      name: "malformed JSON",
      answer: { body: "{'bitcoin': {'usd': 45234.56}}", headers: json },
      needle: "not JSON (application/json): {'bitcoin': {'usd': 45234.56}}",
      prices: false,
    },
    cut: {
      name: "connection closed mid-body",
      answer: { cutAfter: 40 },
      needle: "HTTP 200 answer broke off before its end",
      prices: false,
    },
    nullPrice: {
      name: "null price (BTC)",
      answer: { body: (live: Live) => ({ ...live, bitcoin: { ...live.bitcoin, usd: null } }) },
      needle: "bitcoin (BTC) has no usable price: usd is null",
      prices: true,
    },
    negativePrice: {
      name: "negative price (ETH)",
      answer: {
        body: (live: Live) => ({
          ...live,
          ethereum: { ...live.ethereum, usd: -(live.ethereum?.usd ?? 1) },
        }),
      },
      needle: "ethereum (ETH) has no usable price: usd is -",
      prices: true,
    },
    empty: {
      name: "empty object",
      answer: { body: {} },
      needle: "CoinGecko answered an empty object",
      prices: false,
    },
  };
}

/** The scripted sequence: runs of `n` of each fault, a good answer between runs. */
function script(all: Record<string, Kind>, long: number, short: number): Kind[] {
  const runs: [Kind, number][] = [
    [all.retryAfter!, long],
    [all.json429!, long],
    [all.html429!, long],
    [all.json500!, short],
    [all.html502!, short],
    [all.text503!, short],
    [all.hung!, short],
    [all.truncated!, short],
    [all.malformed!, short],
    [all.cut!, short],
    [all.nullPrice!, short],
    [all.negativePrice!, short],
    [all.empty!, short],
  ];
  const sequence: Kind[] = [all.good!];
  for (const [kind, n] of runs) {
    for (let i = 0; i < n; i++) sequence.push(kind);
    sequence.push(all.good!);
  }
  return sequence;
}

/** `symbol/last_updated` of every usable price in an answer the stand-in sent. */
function goodPrices(request: StubRequest): string[] {
  let body: unknown;
  try {
    body = JSON.parse(request.body ?? "");
  } catch {
    return [];
  }
  if (typeof body !== "object" || body === null) return [];
  const out: string[] = [];
  for (const [id, symbol] of Object.entries(SYMBOLS)) {
    const entry = (body as Record<string, { usd?: unknown; last_updated_at?: unknown }>)[id];
    const usd = entry?.usd;
    if (typeof usd === "number" && Number.isFinite(usd) && usd > 0) {
      out.push(`${symbol}/${entry?.last_updated_at}`);
    }
  }
  return out;
}

/** The scenario. */
export const apiFaults: Scenario = { id: "4", run };

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const rateS = ctx.quick ? 0.3 : 1;
  const retryAfterS = ctx.quick ? 1 : 3;
  const timeoutS = ctx.quick ? 1 : 2;
  const hangMs = (timeoutS + 2) * 1000;
  const maxRetries = ctx.quick ? 1 : 3;
  const all = kinds(retryAfterS, hangMs);
  const sequence = script(all, ctx.quick ? 3 : 6, ctx.quick ? 2 : 4);
  const stub = await CoinGeckoStub.start();
  stub.unknown.add("notacoin");
  for (const kind of sequence) stub.enqueue(kind.answer ?? {});
  const topic = unique("faults-api");
  const priceRequests = () => stub.requests.filter((r) => r.url.pathname.endsWith("/simple/price"));
  const producer = spawn("produce", {
    args: ["--interval", INTERVAL, "--topic", topic, "--brokers", ctx.broker.brokers],
    env: {
      COINGECKO_BASE_URL: stub.url,
      CRYPTO_COINS: COIN_LIST,
      API_RATE_LIMIT_DELAY: String(rateS),
      API_TIMEOUT: String(timeoutS),
      API_MAX_RETRIES: String(maxRetries),
    },
  });
  try {
    await producer.waitFor((out) => out.includes("Connected to Kafka at"), 60_000);
    ctx.log(
      `  ${sequence.length} scripted answers, API_RATE_LIMIT_DELAY=${rateS}, Retry-After ${retryAfterS} s, API_TIMEOUT=${timeoutS}`,
    );
    // The script, then three live answers, then time for the last prices to be delivered.
    await producer.waitFor(
      () => priceRequests().length >= sequence.length + 3,
      ctx.quick ? 90_000 : 300_000,
    );
    await sleep(1_000);
    const aliveBeforeStop = producer.ended === null;
    const ended = await producer.stop();
    const requests = priceRequests();
    const summary = producerSummary(producer.stdout);
    const skippedMatch = /^Coins skipped: (\d+)$/m.exec(producer.stdout);
    const coinsSkipped = skippedMatch ? Number(skippedMatch[1]) : 0;
    const messages = await readAll(ctx.broker.brokers, topic);
    const onTopic = summarize(messages);
    const kindOf = (i: number) => sequence[i] ?? all.good!;

    // Rate: no two requests closer than API_RATE_LIMIT_DELAY; after a Retry-After, at least that.
    let minGap = Infinity;
    let minAfterRetryAfter = Infinity;
    let retryAfterGaps = 0;
    for (let i = 1; i < requests.length; i++) {
      const gap = requests[i]!.at - requests[i - 1]!.at;
      minGap = Math.min(minGap, gap);
      if (kindOf(i - 1) === all.retryAfter) {
        minAfterRetryAfter = Math.min(minAfterRetryAfter, gap);
        retryAfterGaps++;
      }
    }
    // The run of them outlasts the retries, so one of the gaps is into the next cycle.
    const retryAfterCycles = sequence.filter((k) => k === all.retryAfter).length > maxRetries + 1;

    // Reporting: each faulty answer causes exactly one line naming its cause.
    const answered = new Map<Kind, number>();
    for (let i = 0; i < requests.length; i++) {
      answered.set(kindOf(i), (answered.get(kindOf(i)) ?? 0) + 1);
    }
    const perKind: string[] = [];
    let reportedOnce = true;
    let expectedLines = 0;
    for (const [kind, count] of answered) {
      if (kind.needle === null) continue;
      const lines = occurrences(producer.stderr, kind.needle);
      expectedLines += count;
      if (lines !== count) reportedOnce = false;
      perKind.push(`${kind.name} ${lines}/${count}`);
    }
    const withPrices = [...answered].filter(([k]) => k.prices).reduce((n, [, c]) => n + c, 0);
    // An unknown coin is logged the first time, then at most every 10 minutes while it is missing.
    const unknownLines = occurrences(producer.stderr, UNKNOWN_LINE);
    const spanMs = requests.length < 2 ? 0 : requests.at(-1)!.at - requests[0]!.at;
    const unknownAllowed = withPrices === 0 ? 0 : 1 + Math.floor(spanMs / 600_000);
    if (unknownLines < Math.min(1, withPrices) || unknownLines > unknownAllowed) {
      reportedOnce = false;
    }
    perKind.push(
      `unknown coin ${unknownLines} (at most ${unknownAllowed} over ${withPrices} answers)`,
    );
    expectedLines += unknownLines;
    const faultLines = producer.stderr.split("\n").filter((l) => /\[(WRN|ERR)\]/.test(l)).length;
    const stackLines = producer.stderr.split("\n").filter((l) => /^\s+at /.test(l)).length;

    // Prices: every usable price answered is on the topic, nothing else is.
    const expected = new Set<string>();
    requests.forEach((request, i) => {
      if (kindOf(i).prices) { for (const p of goodPrices(request)) expected.add(p); }
    });
    const found = new Set(messages.map((m) => `${m.key}/${m.lastUpdated}`));
    const extra = [...found].filter((p) => !expected.has(p));
    let missing = [...expected].filter((p) => !found.has(p));
    // The last request may have been answered while the producer was stopping: its prices
    // count as missing only if the producer counted them as fetched.
    const last = new Set(requests.length > 0 ? goodPrices(requests.at(-1)!) : []);
    if (summary.fetched === onTopic.messages && missing.every((p) => last.has(p))) missing = [];
    const badSymbols = messages.filter((m) => !Object.values(SYMBOLS).includes(m.key)).length;
    const badExpected = (answered.get(all.nullPrice!) ?? 0) +
      (answered.get(all.negativePrice!) ?? 0) + withPrices;
    const delivered = onTopic.ids.size;
    const lost = summary.fetched - delivered - summary.dropped;
    const restarts = restartsOf(producer);
    const faultAnswers = requests.filter((_, i) => kindOf(i) !== all.good).length;

    const checks = [
      check(
        "producer never exited or restarted before SIGTERM (0 supervisor restarts expected: API faults are not crashes)",
        aliveBeforeStop && restarts === 0,
        aliveBeforeStop
          ? `still running when stopped, ${restarts} restarts`
          : `exited early: ${producer.ended?.code}`,
      ),
      stoppedCleanly(ended, summary.printed),
      check(
        `no two requests closer than API_RATE_LIMIT_DELAY=${rateS} s (less ${TOLERANCE_MS} ms)`,
        minGap >= rateS * 1000 - TOLERANCE_MS,
        `closest two of ${requests.length} requests: ${minGap} ms apart`,
      ),
      check(
        `after a 429 with Retry-After: ${retryAfterS}, the next request waited at least that (also into the next cycle)`,
        retryAfterGaps > 0 && retryAfterCycles &&
          minAfterRetryAfter >= retryAfterS * 1000 - TOLERANCE_MS,
        `${retryAfterGaps} gaps after such a 429, the shortest ${minAfterRetryAfter} ms`,
      ),
      check(
        "each faulty answer reported once with its cause (lines found / answers sent)",
        reportedOnce,
        perKind.join(", "),
      ),
      check(
        "no other warnings or errors, no stack trace",
        faultLines === expectedLines && stackLines === 0,
        `${faultLines} warning/error lines for ${expectedLines} faults, ${stackLines} stack lines`,
      ),
      check(
        "every usable price answered is on the topic, and nothing else",
        missing.length === 0 && extra.length === 0 && badSymbols === 0,
        `${expected.size} usable prices answered, ${found.size} on the topic; missing ${
          missing.slice(0, 3).join(" ") || "none"
        }, unexpected ${extra.slice(0, 3).join(" ") || "none"}, ${badSymbols} of other coins`,
      ),
      check(
        "summary: Prices fetched = usable prices; Coins skipped = bad prices + unknown coin",
        summary.fetched === onTopic.messages && coinsSkipped === badExpected,
        `fetched ${summary.fetched}, on the topic ${onTopic.messages}; skipped ${coinsSkipped} of ${badExpected}`,
      ),
      noDuplicates("no duplicate message_id", onTopic),
      check("Not delivered: 0", summary.notDelivered === 0, `${summary.notDelivered}`),
    ];
    return {
      id: "4",
      title: "API faults",
      injected: `${faultAnswers} faulty answers in runs of ${
        ctx.quick ? "2–3" : "4–6"
      }: 429 (JSON with Retry-After ${retryAfterS} s, JSON and HTML without), 500/502/503, hung ${
        hangMs / 1000
      } s, truncated and malformed JSON, connection closed mid-body, null and negative prices, empty object; an unknown coin id throughout`,
      expected:
        `requests ≥ API_RATE_LIMIT_DELAY (${rateS} s) apart and ≥ Retry-After after a 429; each fault one log line with its cause; every usable price on the topic, no bad one; no restart; exit 0`,
      measured: {
        fetched: summary.fetched,
        delivered,
        lost,
        duplicated: onTopic.duplicates,
        dropped: summary.dropped,
        restarts,
        exitCode: ended.code,
      },
      checks,
      explanation:
        `API faults: \`produce\` (coins \`${COIN_LIST}\`, \`API_RATE_LIMIT_DELAY=${rateS}\`, \`API_TIMEOUT=${timeoutS}\`, \`API_MAX_RETRIES=${maxRetries}\`) runs against its own CoinGecko stand-in, scripted with runs of every failure mode, a good answer between runs; \`notacoin\` is unknown to the stand-in throughout. The stand-in's request times give the rate: no two requests closer than the rate limit, and after a 429 with \`Retry-After\` none sooner than it asked, also when the run outlasted the retries and the next cycle made the request. "Reported once" means one log line per faulty answer, naming its status and cause (each retry's warning, or the cycle's error for the last), and one line per coin with a bad price per answer; the unknown coin is logged the first time and then at most every 10 minutes. *fetched* is the summary's \`Prices fetched\`, *delivered* the distinct \`message_id\`s read back from the topic, which must be exactly the usable prices the stand-in answered; *lost* = fetched − delivered − dropped; *dropped* is 0 (the broker stays up). *restarts* must be 0: a failed request is not a crash.`,
      notes: [
        `${requests.length} requests (${faultAnswers} faulty); shortest gap ${minGap} ms, shortest after a Retry-After ${minAfterRetryAfter} ms`,
        `fault lines: ${perKind.join(", ")}`,
      ],
    };
  } finally {
    if (producer.ended === null) await producer.stop();
    await stub.close();
  }
}
