// The playground: a prompt streamed through POST /v1/generate, each token coloured by the layer it exited at.
// Plain browser JavaScript, no library and no build step: the server sends this file as it is.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { layers: null, policies: [], tokens: [], times: [], rates: [] };

// Early exits green, full depth red: the colour says what a token cost.
function layerColour(layer, layers) {
  const t = layers > 1 ? (layer - 1) / (layers - 1) : 1;
  return `hsl(${Math.round(130 - 130 * t)}, 70%, 78%)`;
}

function depth() {
  return state.layers || Math.max(1, ...state.tokens.map((t) => t.exit_layer));
}

function drawLegend() {
  const legend = $("legend");
  legend.replaceChildren();
  const caption = document.createElement("span");
  caption.className = "caption muted";
  caption.textContent = "exit layer:";
  legend.append(caption);
  const layers = depth();
  for (let k = 1; k <= layers; k++) {
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.dataset.layer = String(k);
    swatch.style.backgroundColor = layerColour(k, layers);
    swatch.textContent = String(k);
    swatch.title = k === layers ? `layer ${k}: full depth` : `left after layer ${k} of ${layers}`;
    legend.append(swatch);
  }
  const key = document.createElement("span");
  key.className = "caption muted";
  key.textContent = " green: left early · red: full depth";
  legend.append(key);
}

const SIGNALS = [
  ["top1_prob", "top-1 probability"],
  ["margin", "top-1 − top-2 margin"],
  ["entropy", "entropy (nats)"],
  ["cosine", "cosine to the previous layer"],
  ["argmax", "argmax id"],
];

function tooltip(t, index) {
  const lines = [`token ${index + 1} ${JSON.stringify(t.text)} (id ${t.id})`,
    `exit layer ${t.exit_layer} of ${depth()}`];
  if (t.signals) {
    for (const [key, name] of SIGNALS) {
      if (t.signals[key] !== undefined) {
        const v = t.signals[key];
        lines.push(`${name}: ${Number.isInteger(v) ? v : v.toFixed(4)}`);
      }
    }
  } else if (t.exit_layer >= depth()) {
    lines.push("full depth: no policy check let it leave earlier");
  } else {
    lines.push("no policy signals: its mode or the latency budget set this depth");
  }
  return lines.join("\n");
}

function addToken(t) {
  const index = state.tokens.length;
  const before = depth();
  state.tokens.push(t);
  const now = performance.now();
  state.times.push(now);
  // tokens/s over the last few tokens: a live figure that follows the stream's pace
  const from = Math.max(0, state.times.length - 9);
  const span = (now - state.times[from]) / 1000;
  state.rates.push(span > 0 ? (state.times.length - 1 - from) / span : null);
  if (depth() !== before) {
    drawLegend();  // depth not known from the server (it was loading): the legend grows with what is seen
  }
  const el = document.createElement("span");
  el.className = "token";
  el.dataset.index = String(index);
  el.dataset.exitLayer = String(t.exit_layer);
  el.style.backgroundColor = layerColour(t.exit_layer, depth());
  el.dataset.tip = tooltip(t, index);
  if (t.signals) {
    el.dataset.signals = JSON.stringify(t.signals);  // what a policy decided on, where one did
  }
  el.textContent = t.text;
  $("output").append(el);
  drawChart();
}

// The hovered token's signals in a box below it: shown at once, line by line, and in screenshots (a title is not).
function showTip(event) {
  const tip = $("tip");
  const token = event.target.closest ? event.target.closest(".token") : null;
  if (!token) {
    tip.hidden = true;
    return;
  }
  tip.textContent = token.dataset.tip;
  const box = token.getBoundingClientRect();
  tip.style.left = `${Math.round(box.left + window.scrollX)}px`;
  tip.style.top = `${Math.round(box.bottom + window.scrollY + 4)}px`;
  tip.hidden = false;
}

// Bars: the exit layer of each token (left axis, 1..L); line: tokens/s (right axis).
function drawChart() {
  const canvas = $("chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const pad = { left: 34, right: 50, top: 18, bottom: 18 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const layers = depth();
  const n = state.tokens.length;
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#5b6677";
  g.fillText("exit layer per token", pad.left, 12);
  g.textAlign = "right";
  g.fillText("tokens/s (last 8)", width - 4, 12);
  g.textAlign = "left";
  g.strokeStyle = "#e3e7ec";
  g.lineWidth = 1;
  for (const k of [1, Math.ceil(layers / 2), layers]) {
    const y = pad.top + h - (k / layers) * h;
    g.beginPath();
    g.moveTo(pad.left, y);
    g.lineTo(pad.left + w, y);
    g.stroke();
    g.fillText(String(k), 8, y + 4);
  }
  if (n === 0) {
    return;
  }
  const slot = w / Math.max(n, 32);
  state.tokens.forEach((t, i) => {
    const bar = (t.exit_layer / layers) * h;
    g.fillStyle = layerColour(t.exit_layer, layers);
    g.fillRect(pad.left + i * slot + 0.5, pad.top + h - bar, Math.max(1, slot - 1), bar);
  });
  const rates = state.rates.filter((r) => r !== null);
  if (rates.length === 0) {
    return;
  }
  const top = Math.max(...rates) * 1.15;
  g.strokeStyle = "#2b6cb0";
  g.lineWidth = 2;
  g.beginPath();
  let started = false;
  state.rates.forEach((r, i) => {
    if (r === null) {
      return;
    }
    const x = pad.left + (i + 0.5) * slot;
    const y = pad.top + h - (r / top) * h;
    if (started) {
      g.lineTo(x, y);
    } else {
      g.moveTo(x, y);
      started = true;
    }
  });
  g.stroke();
  g.fillStyle = "#2b6cb0";
  const last = rates[rates.length - 1];
  g.fillText(last.toFixed(1), pad.left + w + 6, pad.top + h - (last / top) * h + 4);
}

function showPolicyDoc() {
  const doc = $("policy-doc");
  doc.replaceChildren();
  const card = state.policies.find((p) => p.name === $("policy").value);
  if (!card) {
    doc.textContent = "No spec: the policy the model's calibration profile certified (offramp-profile.json), or full "
      + "depth for a model without one. Any spec runs, e.g. any(margin:threshold=0.2, patience:layers=2).";
    return;
  }
  const head = document.createElement("p");
  head.textContent = `${card.name}: ${card.summary || "a plug-in policy"}` + (card.paper ? ` — ${card.paper}` : "")
    + (card.signals ? ` Signals: ${card.signals.join(", ") || "none"}.` : "");
  doc.append(head);
  const table = document.createElement("table");
  for (const key of card.keys) {
    const row = table.insertRow();
    row.insertCell().textContent = key.name;
    row.insertCell().textContent = key.required ? "required"
      : key.default !== null ? `default ${key.default}` : "optional";
    row.insertCell().textContent = key.meaning || "";
  }
  doc.append(table);
}

function showMode() {
  const mode = $("mode").value;
  for (const el of document.querySelectorAll("[data-for-modes]")) {
    el.hidden = !el.dataset.forModes.split(" ").includes(mode);
  }
}

function earlyExit() {
  const mode = $("mode").value;
  const body = { mode };
  if (mode === "early-exit" && $("spec").value.trim()) {
    body.policy = $("spec").value.trim();
  }
  if ((mode === "static" || mode === "self-speculative") && $("exit-layer").value) {
    body.exit_layer = Number($("exit-layer").value);
  }
  if (mode === "skip") {
    body.speedup = Number($("speedup").value);
  }
  return body;
}

function fail(message) {
  const summary = $("summary");
  summary.className = "error";
  summary.textContent = message;
  document.body.dataset.state = "error";
}

function finish(trace) {
  const n = trace.tokens.length;
  const layers = depth();
  const mean = n ? trace.tokens.reduce((s, t) => s + t.exit_layer, 0) / n : 0;
  const decodeS = trace.timing.decode_ms / 1000;
  const parts = [
    `${n} tokens, mode ${trace.mode}`,
    `mean exit layer ${mean.toFixed(2)} of ${layers}`,
    `${trace.layers_computed} layer evaluations (${trace.exit_checks} exit checks)`,
    `queue ${trace.timing.queue_ms.toFixed(0)} ms, prefill ${trace.timing.prefill_ms.toFixed(0)} ms, decode `
      + `${trace.timing.decode_ms.toFixed(0)} ms`
      + (n > 1 && decodeS > 0 ? ` (${((n - 1) / decodeS).toFixed(1)} tokens/s after the first)` : ""),
  ];
  const summary = $("summary");
  summary.className = "";
  summary.textContent = parts.join(" · ") + " · ";
  const budget = document.createElement("span");
  budget.id = "budget-outcome";
  if (trace.latency_budget) {
    budget.dataset.outcome = trace.latency_budget.outcome;
    budget.textContent = `latency budget ${trace.latency_budget.budget_ms} ms: ${trace.latency_budget.outcome}`;
  } else {
    budget.dataset.outcome = "none";
    budget.textContent = "no latency budget";
  }
  summary.append(budget);
  document.body.dataset.state = "done";
}

// One server-sent event: a token, the whole trace (it has "tokens"), or an error that ends the stream.
function onEvent(data) {
  if (data === "[DONE]") {
    return;
  }
  const message = JSON.parse(data);
  if (message.error) {
    fail(`error: ${message.error.message}`);
  } else if (message.tokens) {
    finish(message);
  } else {
    addToken(message);
  }
}

async function generate(event) {
  event.preventDefault();
  state.tokens = [];
  state.times = [];
  state.rates = [];
  $("output").replaceChildren();
  $("tip").hidden = true;
  const prompt = document.createElement("span");
  prompt.className = "prompt";
  prompt.textContent = $("prompt").value;
  $("output").append(prompt);
  drawLegend();
  drawChart();
  const summary = $("summary");
  summary.className = "muted";
  summary.textContent = "generating…";
  document.body.dataset.state = "running";
  $("go").disabled = true;
  const headers = { "Content-Type": "application/json" };
  if ($("budget").value) {
    headers["X-Latency-Budget-Ms"] = $("budget").value;
  }
  const body = { prompt: $("prompt").value, max_tokens: Number($("max-tokens").value), stream: true,
    early_exit: earlyExit() };
  try {
    const response = await fetch("/v1/generate", { method: "POST", headers, body: JSON.stringify(body) });
    if (!response.ok) {
      const error = await response.json().catch(() => null);
      fail(`${response.status}: ${error && error.error ? error.error.message : response.statusText}`);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith("data: ")) {
          onEvent(block.slice(6));
        }
      }
      if (done) {
        break;
      }
    }
    if (document.body.dataset.state === "running") {
      fail("the stream ended without its trace");
    }
  } catch (e) {
    fail(`request failed: ${e.message}`);
  } finally {
    $("go").disabled = false;
  }
}

async function start() {
  $("form").addEventListener("submit", generate);
  $("output").addEventListener("mouseover", showTip);
  $("output").addEventListener("mouseleave", () => { $("tip").hidden = true; });
  $("mode").addEventListener("change", showMode);
  $("policy").addEventListener("change", () => {
    const card = state.policies.find((p) => p.name === $("policy").value);
    $("spec").value = card && card.example ? card.example : card ? card.name : "";
    showPolicyDoc();
  });
  showMode();
  try {
    const [models, policies] = await Promise.all([fetch("/v1/models"), fetch("/v1/policies")]);
    if (!models.ok || !policies.ok) {
      throw new Error(`GET /v1/models ${models.status}, /v1/policies ${policies.status}`);
    }
    const listing = await policies.json();
    state.layers = listing.model_layers;
    state.policies = listing.data;
    for (const card of listing.data) {
      const option = document.createElement("option");
      option.value = card.name;
      option.textContent = card.name;
      option.title = card.summary || "";
      $("policy").append(option);
    }
    const model = (await models.json()).data[0].id;
    $("model").textContent = `${model}` + (state.layers ? ` · ${state.layers} layers` : "");
    showPolicyDoc();
    drawLegend();
    drawChart();
    document.body.dataset.state = "ready";
  } catch (e) {
    fail(`cannot read the server's policies: ${e.message}`);
  }
}

start();
