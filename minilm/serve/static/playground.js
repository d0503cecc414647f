// The minilm playground: plain JavaScript, no framework and no build step.
// It speaks the HTTP API of `python -m minilm serve` (GET /v1/models, POST /v1/generate,
// /v1/translate, /v1/classify) and reads the generate endpoint's server-sent events from
// the body of a POST with fetch and a stream reader (EventSource can only GET).
"use strict";

const $ = (id) => document.getElementById(id);
const tokens = []; // the streamed tokens, indexed by their span's data-i
let controller = null; // aborts the running generation (the Stop button)
const served = new Map(); // model name -> its entry in GET /v1/models

// -- the bearer token: from ?token= or the Token field, kept for this tab's session --

const fromUrl = new URLSearchParams(location.search).get("token");
if (fromUrl) {
  sessionStorage.setItem("minilm-token", fromUrl);
  const clean = new URL(location.href); // keep the token out of the address bar and history
  clean.searchParams.delete("token");
  history.replaceState(null, "", clean);
}
$("token").value = sessionStorage.getItem("minilm-token") || "";
function useToken(ev) {
  if (ev) ev.preventDefault();
  sessionStorage.setItem("minilm-token", $("token").value.trim());
  loadModels();
}
$("token").addEventListener("change", () => useToken());
$("token-form").addEventListener("submit", useToken);

function headers() {
  const h = { "Content-Type": "application/json" };
  const token = $("token").value.trim();
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

// -- errors: the server's JSON error message, shown on the page --

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function errorText(status, body) {
  const e = body && body.error;
  if (!e) return `the server answered HTTP ${status}`;
  const field = e.field ? ` (field "${e.field}")` : "";
  return `${e.type || "error"}${field}: ${e.message} [HTTP ${status}]`;
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(errorText(response.status, data));
  return data;
}

// -- the model pickers: one per task, each panel shown when the server holds such a model --

// task -> [its panel, its model picker]
const panels = { generate: ["generate", "gen-model"], translate: ["translate", "tr-model"],
  classify: ["classify", "cl-model"] };

async function loadModels() {
  clearError();
  served.clear();
  let models = [];
  try {
    models = (await call("GET", "/v1/models")).models;
    $("loading").hidden = true;
  } catch (e) {
    $("loading").textContent = "No models loaded.";
    showError(`Could not list the models: ${e.message}`);
  }
  for (const [task, [panel, select]] of Object.entries(panels)) {
    const mine = models.filter((m) => m.task === task);
    $(select).replaceChildren(...mine.map((m) => new Option(m.name, m.name)));
    $(panel).hidden = mine.length === 0;
    for (const m of mine) served.set(m.name, m);
  }
  describeModel();
}

function describeModel() {
  const m = served.get($("gen-model").value);
  $("gen-model-info").textContent = m
    ? `${m.family}, ${m.parameters.toLocaleString()} parameters` +
      (m.context ? `, context ${m.context} tokens` : "")
    : "";
}
$("gen-model").addEventListener("change", describeModel);

// -- generate: stream the tokens in, one coloured span each --

// probability 0 -> red, 0.5 -> amber, 1 -> green (light shades, so the text stays readable)
const colour = (p) => `hsl(${Math.round(130 * Math.min(Math.max(p, 0), 1))}, 75%, 82%)`;

// whitespace made visible where a token is shown on its own
const visible = (t) =>
  t === "" ? "(part of a character)" : t.replace(/ /g, "\u2423").replace(/\n/g, "\u21b5")
    .replace(/\t/g, "\u21e5");

const percent = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;

// an empty field is null (the server's default); anything else goes as typed, for the
// server to judge (a number field holds "" when what was typed is not a number)
function numberOrNull(id, parse) {
  const raw = $(id).value.trim();
  return raw === "" ? null : parse(raw);
}

function request() {
  return {
    model: $("gen-model").value || undefined,
    prompt: $("prompt").value,
    temperature: numberOrNull("temperature", Number) ?? 1.0,
    top_k: numberOrNull("top-k", Number),
    top_p: numberOrNull("top-p", Number),
    max_new_tokens: numberOrNull("max-new", Number) ?? 64,
    seed: numberOrNull("seed", Number),
    stream: true,
  };
}

function addToken(token) {
  const span = document.createElement("span");
  span.className = "tok" + (token.text === "" ? " partial" : "") +
    (token.text.includes("\n") ? " nl" : "");
  span.textContent = token.text;
  span.dataset.i = tokens.length;
  span.dataset.prob = token.prob;
  span.style.backgroundColor = colour(token.prob);
  tokens.push(token);
  $("gen-text").append(span);
}

function setState(state, message) {
  $("gen-output").dataset.state = state;
  $("gen-status").textContent = message;
  const running = state === "streaming";
  $("gen-go").disabled = running;
  $("gen-stop").disabled = !running;
}

// one server-sent event ("event: NAME\ndata: JSON") -> {event, data}
function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return { event, data: data.length ? JSON.parse(data.join("\n")) : null };
}

async function generate(ev) {
  ev.preventDefault();
  clearError();
  hideTip();
  tokens.length = 0;
  $("gen-text").replaceChildren();
  $("gen-prompt").textContent = $("prompt").value;
  controller = new AbortController();
  setState("streaming", "generating\u2026");
  const started = performance.now();
  try {
    const response = await fetch("/v1/generate", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(request()),
      signal: controller.signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(errorText(response.status, body));
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let finished = null; // the done event's data; the stream is read to its end
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const { event, data } = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event === "token") addToken(data);
        else if (event === "error") throw new Error(errorText("200, then an error event", data));
        else if (event === "done") finished = data;
      }
    }
    if (!finished) throw new Error("the stream ended before its done event");
    const seconds = (performance.now() - started) / 1000;
    const n = finished.usage.completion_tokens;
    setState("done", `done (${finished.finish_reason}): ${n} tokens in ` +
      `${seconds.toFixed(1)} s, ${(n / seconds).toFixed(0)} tokens/s`);
  } catch (e) {
    if (e.name === "AbortError") {
      setState("stopped", `stopped after ${tokens.length} tokens`);
    } else {
      setState("error", "failed");
      showError(`Generate: ${e.message}`);
    }
  } finally {
    controller = null;
  }
}

$("gen-form").addEventListener("submit", generate);
$("gen-stop").addEventListener("click", () => controller && controller.abort());

// -- the tooltip: the top alternatives of the token under the pointer --

function showTip(span) {
  const token = tokens[span.dataset.i];
  const tip = $("tip");
  const rows = token.top.map((alt) => {
    const row = document.createElement("div");
    row.className = "alt" + (alt.text === token.text ? " chosen" : "");
    const text = document.createElement("code");
    text.textContent = visible(alt.text);
    const bar = document.createElement("span");
    bar.className = "alt-bar";
    bar.style.width = `${Math.round(60 * alt.prob)}px`;
    bar.style.backgroundColor = colour(alt.prob);
    const p = document.createElement("span");
    p.className = "alt-p";
    p.textContent = percent(alt.prob);
    row.append(text, bar, p);
    return row;
  });
  const head = document.createElement("div");
  head.className = "tip-head";
  head.textContent = `picked ${visible(token.text)} at ${percent(token.prob)}; most likely:`;
  tip.replaceChildren(head, ...rows);
  tip.hidden = false;
  const box = span.getBoundingClientRect();
  const left = Math.min(box.left + window.scrollX, window.scrollX + innerWidth - tip.offsetWidth - 8);
  tip.style.left = `${Math.max(left, 8)}px`;
  tip.style.top = `${box.bottom + window.scrollY + 6}px`;
  span.setAttribute("aria-describedby", "tip");
}

function hideTip() {
  $("tip").hidden = true;
}

$("gen-text").addEventListener("mouseover", (ev) => {
  const span = ev.target.closest(".tok");
  if (span) showTip(span);
});
$("gen-text").addEventListener("mouseleave", hideTip);

// -- translate: the translation and its attention heatmap --

function heatmap(result) {
  const table = document.createElement("table");
  table.className = "heat";
  const head = table.createTHead().insertRow();
  head.append(document.createElement("th"));
  for (const s of result.source_tokens) {
    const th = document.createElement("th");
    th.scope = "col";
    th.className = "src";
    th.textContent = s;
    head.append(th);
  }
  const body = table.createTBody();
  result.attention.forEach((weights, i) => {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = result.target_tokens[i];
    row.append(th);
    weights.forEach((w, j) => {
      const cell = row.insertCell();
      cell.style.backgroundColor = `rgba(37, 99, 235, ${w.toFixed(3)})`;
      cell.title = `${result.target_tokens[i]} \u2190 ${result.source_tokens[j]}: ${w.toFixed(2)}`;
      cell.dataset.weight = w;
    });
  });
  return table;
}

$("tr-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearError();
  $("tr-status").textContent = "translating\u2026";
  try {
    const result = await call("POST", "/v1/translate",
      { model: $("tr-model").value || undefined, text: $("tr-text").value });
    $("tr-out").textContent = result.translation;
    $("tr-heat").replaceChildren(heatmap(result));
    $("tr-caption").hidden = false;
    $("tr-status").textContent = "";
  } catch (e) {
    $("tr-status").textContent = "failed";
    showError(`Translate: ${e.message}`);
  }
});

// -- classify: the label and a bar per label's probability --

$("cl-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearError();
  $("cl-status").textContent = "classifying\u2026";
  try {
    const result = await call("POST", "/v1/classify",
      { model: $("cl-model").value || undefined, text: $("cl-text").value });
    const rows = Object.entries(result.probabilities).sort((a, b) => b[1] - a[1])
      .map(([label, p]) => {
        const row = document.createElement("div");
        row.className = "prob-row" + (label === result.label ? " chosen" : "");
        const name = document.createElement("span");
        name.textContent = label;
        const bar = document.createElement("span");
        bar.className = "prob-bar";
        bar.style.width = `${(100 * p).toFixed(1)}%`;
        const track = document.createElement("span");
        track.className = "prob-track";
        track.append(bar);
        const value = document.createElement("span");
        value.textContent = percent(p);
        row.append(name, track, value);
        return row;
      });
    $("cl-out").replaceChildren(...rows);
    $("cl-status").textContent = `label: ${result.label}`;
  } catch (e) {
    $("cl-status").textContent = "failed";
    showError(`Classify: ${e.message}`);
  }
});

loadModels();
