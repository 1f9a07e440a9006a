// The dashboard: a price card per market (a source and a product), a candlestick chart of the
// market picked, the alerts feed and the pipeline panel, fed by the API and the live stream. Data
// is only ever set as text (textContent), never as markup.
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
// `market` is the key of the market picked, `coinbase:BTC-EUR`; `markets` what is known of each.
const state = { market: null, interval: "1m", bars: [], cards: new Map(), markets: new Map() };

const SOURCES = { coinbase: "Coinbase", coingecko: "CoinGecko" };
const INTERVAL_SECONDS = {
  "1m": 60,
  "5m": 300,
  "15m": 900,
  "30m": 1800,
  "1h": 3600,
  "4h": 14400,
  "1d": 86400,
};

const keyOf = (m) => `${m.source}:${m.product}`;
const quoteOf = (
  product,
) => (typeof product === "string" && product.includes("-")
  ? product.slice(product.lastIndexOf("-") + 1)
  : "USD");

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

const SIGNS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };

// A price in its quote currency: its sign before it when it has one, else its code after it.
function money(value, quote = "USD") {
  if (typeof value !== "number") return "–";
  const number = value >= 1
    ? value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    : value.toPrecision(6);
  const sign = SIGNS[quote];
  return sign ? `${sign}${number}` : `${number} ${quote}`;
}

function percent(value) {
  return typeof value === "number" ? `${value >= 0 ? "+" : ""}${value.toFixed(2)}%` : "–";
}

const clock = (iso) => (typeof iso === "string" ? iso.slice(11, 19) + "Z" : "");

// ---- markets: the picker and a price card each ----
function known(m) {
  if (typeof m.product !== "string" || typeof m.source !== "string") return null;
  const key = keyOf(m);
  let market = state.markets.get(key);
  if (market) return market;
  const quote = m.quote ?? quoteOf(m.product);
  const symbol = m.symbol ?? m.product.slice(0, m.product.length - quote.length - 1);
  market = { key, source: m.source, product: m.product, symbol, quote };
  state.markets.set(key, market);
  const option = el("option", "", `${market.product} · ${SOURCES[market.source] ?? market.source}`);
  option.value = key;
  const picker = $("market");
  const after = [...picker.options].find((o) => o.textContent > option.textContent);
  picker.insertBefore(option, after ?? null);
  card(market);
  return market;
}

function card(market) {
  let entry = state.cards.get(market.key);
  if (entry) return entry;
  const root = el("article", "card");
  root.dataset.market = market.key;
  root.dataset.symbol = market.symbol;
  root.dataset.order = `${market.product} ${market.source}`;
  const name = el("div", "name");
  name.append(
    el("span", "symbol", market.symbol),
    el("span", "quote", `/${market.quote}`),
    el("span", "source", SOURCES[market.source] ?? market.source),
  );
  entry = {
    root,
    price: el("div", "price", "–"),
    change: el("div", "change", ""),
    time: el("div", "time", ""),
  };
  root.append(name, entry.price, entry.change, entry.time);
  root.addEventListener("click", () => selectMarket(market.key));
  const cards = $("cards");
  const after = [...cards.children].find((c) => c.dataset.order > root.dataset.order);
  cards.insertBefore(root, after ?? null);
  state.cards.set(market.key, entry);
  if (state.market === null) selectMarket(market.key);
  return entry;
}

function showPrice(price) {
  const market = known(price);
  if (!market) return;
  const entry = card(market);
  entry.price.textContent = money(price.price_usd, market.quote);
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
  borderUpColor: "#26a69a",
  borderDownColor: "#ef5350",
});
// Volume, stacked: the whole of it in the buy colour, the sell part over it in the sell colour, so
// a bar shows sell volume below and buy volume above. Candles of price snapshots have no volume:
// their samples, in one neutral colour.
const BUY = "#26a69a99";
const SELL = "#ef535099";
const volume = chart.addSeries(HistogramSeries, {
  priceScaleId: "volume",
  priceFormat: { type: "volume" },
  color: "#3c4a6b",
});
const sellVolume = chart.addSeries(HistogramSeries, {
  priceScaleId: "volume",
  priceFormat: { type: "volume" },
  color: SELL,
  priceLineVisible: false,
  lastValueVisible: false,
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
  trades: typeof c.volume === "number",
  volume: c.volume ?? c.samples,
  buy: c.buy_volume ?? null,
  sell: c.sell_volume ?? null,
  filled: c.filled === true,
  closed: c.closed,
});

// A window without observations, flat at the close before it (as the API's fill=previous).
const flatBar = (time, close, trades) => ({
  time,
  open: close,
  high: close,
  low: close,
  close,
  trades,
  volume: 0,
  buy: trades ? 0 : null,
  sell: trades ? 0 : null,
  filled: true,
  closed: true,
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
  // A window without observations is drawn hollow: its outline only.
  candles.setData(
    bars.map(({ time, open, high, low, close, filled }) =>
      filled
        ? {
          time,
          open,
          high,
          low,
          close,
          color: "rgba(0,0,0,0)",
          borderColor: "#8a94a8",
          wickColor: "#8a94a8",
        }
        : { time, open, high, low, close }
    ),
  );
  volume.setData(bars.map((b) => ({
    time: b.time,
    value: b.volume,
    color: b.trades && b.buy !== null ? BUY : b.close >= b.open ? "#26a69a66" : "#ef535066",
  })));
  sellVolume.setData(
    bars.map((b) =>
      b.trades && b.sell !== null ? { time: b.time, value: b.sell, color: SELL } : { time: b.time }
    ),
  );
  ma20.setData(movingAverage(bars, 20));
  ma50.setData(movingAverage(bars, 50));
  const last = bars.at(-1);
  // What the chart holds, for a look from outside (the browser test).
  const drawn = (series) => series.data().filter((d) => typeof d.value === "number" && d.value > 0);
  chartEl.dataset.buyBars = String(drawn(volume).filter((d) => d.color === BUY).length);
  chartEl.dataset.sellBars = String(drawn(sellVolume).length);
  chartEl.dataset.volumeColors = [
    ...new Set(drawn(volume).concat(drawn(sellVolume)).map((d) => d.color)),
  ].join(" ");
  chartEl.dataset.filled = String(bars.filter((b) => b.filled).length);
  chartEl.dataset.hollow = String(
    candles.data().filter((d) => d.color === "rgba(0,0,0,0)").length,
  );
  chartEl.dataset.bars = String(bars.length);
  chartEl.dataset.lastTime = last ? new Date(last.time * 1000).toISOString() : "";
  chartEl.dataset.lastClose = last ? String(last.close) : "";
}

let loading = 0;
async function loadChart() {
  const ticket = ++loading;
  const { interval } = state;
  const market = state.markets.get(state.market);
  if (!market) return;
  const body = await api(
    `/api/v1/candles/${encodeURIComponent(market.product)}?source=${
      encodeURIComponent(market.source)
    }&interval=${interval}&limit=500&fill=previous`,
  );
  if (ticket !== loading) return;
  state.bars = body.candles.map(toBar);
  drawAll();
  chart.timeScale().fitContent();
  chartEl.dataset.market = market.key;
  chartEl.dataset.symbol = market.symbol;
  chartEl.dataset.quote = market.quote;
  chartEl.dataset.interval = interval;
  if (!performance.getEntriesByName("chart-painted").length) {
    requestAnimationFrame(() => performance.mark("chart-painted"));
  }
}

function showCandle(c) {
  if (!known(c)) return;
  if (keyOf(c) !== state.market || c.interval !== state.interval) return;
  const bar = toBar(c);
  const bars = state.bars;
  const last = bars.at(-1);
  // Quiet windows between the last bar and a newer one are drawn flat, as the API fills them.
  const step = INTERVAL_SECONDS[c.interval];
  if (last && step && bar.time > last.time + step && bar.time - last.time <= step * 500) {
    for (let time = last.time + step; time < bar.time; time += step) {
      bars.push(flatBar(time, last.close, bar.trades));
    }
  }
  const at = bars.findIndex((b) => b.time >= bar.time);
  if (at === -1) bars.push(bar);
  else if (bars[at].time === bar.time) bars[at] = bar;
  else bars.splice(at, 0, bar);
  while (bars.length > 5000) bars.shift();
  drawAll();
}

function selectMarket(key) {
  if (!state.markets.has(key)) return;
  state.market = key;
  $("market").value = key;
  for (const [name, entry] of state.cards) entry.root.classList.toggle("selected", name === key);
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
  const where = a.product ? `${a.product} ${SOURCES[a.source] ?? a.source ?? ""}` : a.symbol;
  const item = el(
    "li",
    a.direction === "up" ? "up" : "down",
    `${clock(a.window_start)} ${where} ${a.interval} ${a.kind} ${change}${z} ${
      money(a.price, quoteOf(a.product))
    }`,
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
$("market").addEventListener("change", (e) => selectMarket(e.target.value));
$("intervals").addEventListener("click", (e) => {
  const interval = e.target.dataset?.interval;
  if (interval) selectInterval(interval);
});
selectInterval("1m");

const [{ prices }, { markets }, { symbols }, { alerts }, pipeline] = await Promise.all([
  api("/api/v1/prices/latest"),
  api("/api/v1/markets"),
  api("/api/v1/symbols"),
  api("/api/v1/alerts?limit=50"),
  api("/api/v1/pipeline"),
]);
// The chart opens on the first symbol's market with the most recent price.
if (symbols.length > 0) selectMarket(known(symbols[0])?.key);
for (const m of markets) known(m);
for (const p of prices) showPrice(p);
if (alerts.length === 0) $("alerts").append(el("li", "empty", "No alerts yet"));
for (const a of alerts) showAlert(a, { prepend: false });
showPipeline(pipeline);
document.body.dataset.ready = "true";
stream();
