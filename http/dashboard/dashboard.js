// The dashboard: price cards, a candlestick chart, the alerts feed and the pipeline panel, fed by
// the API and the live stream. Data is only ever set as text (textContent), never as markup.
const { createChart, CandlestickSeries, HistogramSeries, LineSeries } =
  globalThis.LightweightCharts;

// A token given as #token=… is kept for this tab and sent as a Bearer header. Once read, it is
// taken out of the address bar and of the tab's history, so it is not shown, bookmarked or copied
// with the address.
const hashParams = new URLSearchParams(location.hash.slice(1));
const hashToken = hashParams.get("token");
if (hashToken) sessionStorage.setItem("apiToken", hashToken);
if (hashParams.has("token")) {
  hashParams.delete("token");
  const rest = hashParams.toString();
  history.replaceState(
    history.state,
    "",
    location.pathname + location.search + (rest ? `#${rest}` : ""),
  );
}
const token = sessionStorage.getItem("apiToken");
const headers = token ? { authorization: `Bearer ${token}` } : {};

const $ = (id) => document.getElementById(id);
const state = { symbol: null, interval: "1m", bars: [], cards: new Map(), alerts: 0 };

async function api(path) {
  const response = await fetch(path, { headers });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function money(value) {
  if (typeof value !== "number") return "–";
  return value >= 1
    ? `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
    : `$${value.toPrecision(6)}`;
}

function percent(value) {
  return typeof value === "number" ? `${value >= 0 ? "+" : ""}${value.toFixed(2)}%` : "–";
}

const clock = (iso) => (typeof iso === "string" ? iso.slice(11, 19) + "Z" : "");

// ---- price cards ----
function card(symbol) {
  let entry = state.cards.get(symbol);
  if (entry) return entry;
  const root = el("article", "card");
  root.dataset.symbol = symbol;
  entry = {
    root,
    symbol: el("div", "symbol", symbol),
    price: el("div", "price", "–"),
    change: el("div", "change", ""),
    time: el("div", "time", ""),
  };
  root.append(entry.symbol, entry.price, entry.change, entry.time);
  root.addEventListener("click", () => selectSymbol(symbol));
  $("cards").append(root);
  state.cards.set(symbol, entry);
  const option = el("option", "", symbol);
  option.value = symbol;
  $("symbol").append(option);
  if (state.symbol === null) selectSymbol(symbol);
  return entry;
}

function showPrice(price) {
  const entry = card(price.symbol);
  entry.price.textContent = money(price.price_usd);
  entry.change.textContent = `${percent(price.price_change_24h)} 24h`;
  entry.change.className = `change ${(price.price_change_24h ?? 0) >= 0 ? "up" : "down"}`;
  entry.time.textContent = clock(price.event_time);
}

// ---- chart ----
const chartEl = $("chart");
const chart = createChart(chartEl, {
  autoSize: true,
  layout: { background: { color: "#171e2e" }, textColor: "#d8deea" },
  grid: { vertLines: { color: "#263048" }, horzLines: { color: "#263048" } },
  timeScale: { timeVisible: true, secondsVisible: false },
});
const candles = chart.addSeries(CandlestickSeries, {
  upColor: "#26a69a",
  downColor: "#ef5350",
  wickUpColor: "#26a69a",
  wickDownColor: "#ef5350",
  borderVisible: false,
});
const volume = chart.addSeries(HistogramSeries, {
  priceScaleId: "volume",
  priceFormat: { type: "volume" },
  color: "#3c4a6b",
});
chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
const ma20 = chart.addSeries(LineSeries, {
  color: "#f6c343",
  lineWidth: 1,
  priceLineVisible: false,
});
const ma50 = chart.addSeries(LineSeries, {
  color: "#a66cff",
  lineWidth: 1,
  priceLineVisible: false,
});

const toBar = (c) => ({
  time: Math.floor(Date.parse(c.window_start) / 1000),
  open: c.open,
  high: c.high,
  low: c.low,
  close: c.close,
  volume: c.volume ?? c.samples,
  closed: c.closed,
});

function movingAverage(bars, n) {
  const out = [];
  let sum = 0;
  bars.forEach((bar, i) => {
    sum += bar.close;
    if (i >= n) sum -= bars[i - n].close;
    if (i >= n - 1) out.push({ time: bar.time, value: sum / n });
  });
  return out;
}

function drawAll() {
  const bars = state.bars;
  candles.setData(
    bars.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })),
  );
  volume.setData(bars.map((b) => ({
    time: b.time,
    value: b.volume,
    color: b.close >= b.open ? "#26a69a66" : "#ef535066",
  })));
  ma20.setData(movingAverage(bars, 20));
  ma50.setData(movingAverage(bars, 50));
  const last = bars.at(-1);
  chartEl.dataset.bars = String(bars.length);
  chartEl.dataset.lastTime = last ? new Date(last.time * 1000).toISOString() : "";
  chartEl.dataset.lastClose = last ? String(last.close) : "";
}

let loading = 0;
async function loadChart() {
  const ticket = ++loading;
  const { symbol, interval } = state;
  if (symbol === null) return;
  const body = await api(
    `/api/v1/candles/${encodeURIComponent(symbol)}?interval=${interval}&limit=500`,
  );
  if (ticket !== loading) return;
  state.bars = body.candles.map(toBar);
  drawAll();
  chart.timeScale().fitContent();
  chartEl.dataset.symbol = symbol;
  chartEl.dataset.interval = interval;
  if (!performance.getEntriesByName("chart-painted").length) {
    requestAnimationFrame(() => performance.mark("chart-painted"));
  }
}

function showCandle(c) {
  if (c.symbol !== state.symbol || c.interval !== state.interval) return;
  const bar = toBar(c);
  const bars = state.bars;
  const at = bars.findIndex((b) => b.time >= bar.time);
  if (at === -1) bars.push(bar);
  else if (bars[at].time === bar.time) bars[at] = bar;
  else bars.splice(at, 0, bar);
  if (bars.length > 5000) bars.shift();
  drawAll();
}

function selectSymbol(symbol) {
  state.symbol = symbol;
  $("symbol").value = symbol;
  for (const [name, entry] of state.cards) entry.root.classList.toggle("selected", name === symbol);
  loadChart().catch(report);
}

function selectInterval(interval) {
  state.interval = interval;
  for (const button of $("intervals").querySelectorAll("button")) {
    button.classList.toggle("active", button.dataset.interval === interval);
  }
  loadChart().catch(report);
}

// ---- alerts ----
function showAlert(a, { prepend }) {
  const list = $("alerts");
  list.querySelector(".empty")?.remove();
  const change = percent(a.change_pct);
  const z = typeof a.zscore === "number" ? ` (z ${a.zscore.toFixed(1)})` : "";
  const item = el(
    "li",
    a.direction === "up" ? "up" : "down",
    `${clock(a.window_start)} ${a.symbol} ${a.interval} ${a.kind} ${change}${z} ${money(a.price)}`,
  );
  if (prepend) list.prepend(item);
  else list.append(item);
  while (list.children.length > 50) list.lastElementChild.remove();
}

// ---- pipeline ----
function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.append(el("td", "", cell ?? "–"));
  return tr;
}

function showPipeline(p) {
  const totals = $("pipeline-totals");
  const pairs = [
    ["transport", p.transport],
    ["produced/s", p.produced_per_s],
    ["consumed/s", p.consumed_per_s],
    ["produced", p.produced],
    ["consumed", p.consumed],
    ["bad messages", p.bad_messages],
    ["total lag", p.total_lag],
    ["actor restarts", p.restarts],
    ["last fetch", p.fetch ? `${clock(p.fetch.last_at)} ${p.fetch.last_outcome ?? ""}` : "–"],
    ["buffer", p.buffer ? `${p.buffer.depth}/${p.buffer.capacity}` : "–"],
  ];
  totals.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", "", k), el("dd", "", v ?? "–")]));
  $("stages").tBodies[0].replaceChildren(
    ...p.stages.map((s) =>
      row([s.name, s.messages_per_s, s.messages, s.errors, s.restarts, s.depth])
    ),
  );
  $("lag").tBodies[0].replaceChildren(
    ...p.lag.map((l) =>
      row([l.consumer ? `${l.group} (${l.consumer})` : l.group, l.topic, l.partition, l.lag])
    ),
  );
}

// ---- live stream (fetch, so the token can be sent; reconnects with Last-Event-ID) ----
let lastEventId = null;
const status = (text, live) => {
  $("status").textContent = text;
  $("status").classList.toggle("live", live);
};

function dispatch(type, data) {
  const value = JSON.parse(data);
  if (type === "price") showPrice(value);
  else if (type === "candle") showCandle(value);
  else if (type === "alert") showAlert(value, { prepend: true });
  else if (type === "pipeline") showPipeline(value);
}

async function stream() {
  for (;;) {
    try {
      const response = await fetch("/api/v1/stream", {
        headers: lastEventId ? { ...headers, "last-event-id": lastEventId } : headers,
      });
      if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
      status("live", true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) lastEventId = line.slice(4);
            else if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length > 0) dispatch(type, data.join("\n"));
        }
      }
    } catch (error) {
      if (error instanceof SyntaxError) report(error);
    }
    status("reconnecting…", false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function report(error) {
  status(`error: ${error.message}`, false);
}

// ---- start ----
$("symbol").addEventListener("change", (e) => selectSymbol(e.target.value));
$("intervals").addEventListener("click", (e) => {
  const interval = e.target.dataset?.interval;
  if (interval) selectInterval(interval);
});
selectInterval("1m");

const [{ prices }, { symbols }, { alerts }, pipeline] = await Promise.all([
  api("/api/v1/prices/latest"),
  api("/api/v1/symbols"),
  api("/api/v1/alerts?limit=50"),
  api("/api/v1/pipeline"),
]);
for (const s of symbols) card(s.symbol);
for (const p of prices) showPrice(p);
if (alerts.length === 0) $("alerts").append(el("li", "empty", "No alerts yet"));
for (const a of alerts) showAlert(a, { prepend: false });
showPipeline(pipeline);
document.body.dataset.ready = "true";
stream();
