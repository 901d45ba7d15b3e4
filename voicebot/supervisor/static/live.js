// Live calls board (SSE), listen-live (WebSocket + Web Audio) and interventions. No framework, no build step.
"use strict";
const {t, label, h, fill, api, duration, party} = VB;
const rows = new Map();  // call_id -> row data
const trs = new Map();   // call_id -> <tr>
const tbody = document.querySelector("#calls tbody");
const supervisor = document.body.dataset.role === "supervisor";
const panel = document.getElementById("listen");
let listening = null;  // {callId, ws, ctx, nextTime}
// Exposed for tests and debugging: what listen-live has received.
window.vbListen = {chunks: 0, samples: 0, sumSquares: 0, peak: 0, firstChunkMs: null, clickedAt: null,
  rms() { return this.samples ? Math.sqrt(this.sumSquares / this.samples) : 0; }};

function since(r) {
  const from = r.answered || r.started; if (!from) return null;
  return (r.ended || Date.now() / 1000) - from;
}
function customerCell(r) {
  const c = r.customer || {};
  const number = party(r.remote);
  const name = c.name || number || t("live.unknown_caller");
  const dir = r.direction ? label("live", r.direction) : "";
  return h("td", {class: "customer"}, h("div", {class: "name"}, name),
    h("div", {class: "muted"}, [dir, c.name && number ? number : ""].filter(Boolean).join(" · ")));
}
// "emotion: angry" -> "情绪：生气"; the server's flags are "<kind>: <value>".
function flagText(f) {
  const m = f.match(/^(escalation|transfer|tag|emotion): ([\s\S]*)$/);
  if (!m) return f;
  const value = m[1] === "emotion" ? label("emotion", m[2]) : m[1] === "tag" ? label("tag", m[2]) : m[2];
  return `${label("flag", m[1])}${t("common.colon")}${value}`;
}
function rowCells(r) {
  const utts = (r.utterances || []).map(u => h("div", {class: "utt"}, h("b", null, label("who", u.who), t("common.colon")), " ", u.text));
  if (r.partial) utts.push(h("div", {class: "utt partial"}, h("i", null, `${r.partial}…`)));
  const listen = supervisor && r.state !== "ended"
    ? h("button", {type: "button", class: "listen", dataset: {call: r.call_id}}, t("action.listen")) : null;
  const latency = r.last_latency_ms == null ? t("common.none") : t("common.ms", {n: r.last_latency_ms});
  return [customerCell(r), h("td", null, r.segment || t("common.none")),
    h("td", {class: "state", dataset: {state: r.state}}, label("state", r.state)),
    h("td", {class: "dur"}, duration(since(r))), h("td", null, latency), h("td", {class: "utts"}, utts),
    h("td", {class: r.emotion ? `emotion emotion-${/^[a-z_]+$/.test(r.emotion) ? r.emotion : "other"}` : ""},
      r.emotion ? label("emotion", r.emotion) : t("common.none")),
    h("td", null, (r.flags || []).map(f => h("span", {class: "flag"}, flagText(String(f))))),
    h("td", {class: "muted"}, r.worker), h("td", null, listen)];
}
function render(r) {
  rows.set(r.call_id, r);
  let tr = trs.get(r.call_id);
  if (!tr) { tr = h("tr", {dataset: {call: r.call_id}}); trs.set(r.call_id, tr); tbody.appendChild(tr); }
  tr.className = r.state === "ended" ? "ended" : ((r.flags || []).length ? "alert" : "");
  fill(tr, rowCells(r));
  if (r.state === "ended") setTimeout(() => { tr.remove(); trs.delete(r.call_id); rows.delete(r.call_id); empty(); }, 15000);
  empty();
}
function empty() { document.getElementById("no-calls").hidden = tbody.children.length > 0; }
setInterval(() => rows.forEach((r, id) => {
  const tr = trs.get(id), td = tr && tr.querySelector(".dur"); if (td) td.textContent = duration(since(r));
}), 1000);

const status = document.getElementById("stream-status");
let source = null;
function connect() {
  source = new EventSource("/api/live/stream");
  source.addEventListener("open", () => { status.textContent = t("live.live"); });
  source.addEventListener("error", () => {
    status.textContent = t("live.reconnecting");
    // 429 (too many streams for this login) closes the source for good: say so instead of spinning.
    if (source.readyState === EventSource.CLOSED) status.textContent = t("live.too_many");
  });
  source.addEventListener("expired", () => { location.href = "/login?next=/live"; });
  source.addEventListener("resync", () => { source.close(); connect(); });
  source.addEventListener("snapshot", e => {
    tbody.replaceChildren(); rows.clear(); trs.clear();
    JSON.parse(e.data).calls.forEach(render);
  });
  source.addEventListener("update", e => {
    const {row, event} = JSON.parse(e.data);
    render(row);
    if (listening && event.call_id === listening.callId) transcriptLine(event);
  });
}
connect();

function transcriptLine(ev) {
  const list = document.getElementById("listen-transcript");
  if (ev.type === "user_turn" || ev.type === "bot_turn") {
    const partial = list.querySelector("li.partial"); if (partial) partial.remove();
    const who = ev.type === "bot_turn" ? "bot" : "callee";
    list.appendChild(h("li", {class: `who-${who}`}, `${label("who", who)}${t("common.colon")}${ev.text}`));
  } else if (ev.type === "partial_transcript") {
    let li = list.querySelector("li.partial");
    if (!li) { li = h("li", {class: "partial who-callee"}); list.appendChild(li); }
    li.textContent = `${label("who", "callee")}${t("common.colon")}${ev.text}…`;
  } else if (ev.type === "instruction") {
    // The bot's answer to it: the actions it took (none: this call's plan had nothing for it).
    const verdict = Array.isArray(ev.actions) ? h("span", {class: ev.actions.length ? "ok" : "error"},
      ` — ${t(ev.actions.length ? "instruction.followed" : "instruction.not_followed")}`) : null;
    list.appendChild(h("li", {class: "who-supervisor"}, `${label("who", "supervisor")}${t("common.colon")}${ev.text || ""}`,
      verdict));
  } else if (ev.type === "call_ended") {
    document.getElementById("listen-status").textContent = t("listen.ended");
  }
}

tbody.addEventListener("click", e => {
  const b = e.target.closest("button.listen"); if (b) startListening(b.dataset.call);
});
document.getElementById("listen-stop").addEventListener("click", stopListening);

function startListening(callId) {
  stopListening();
  const r = rows.get(callId);
  panel.hidden = false;
  panel.dataset.call = callId;
  document.getElementById("listen-call").textContent = r ? ((r.customer || {}).name || party(r.remote) || callId) : callId;
  document.getElementById("listen-transcript").replaceChildren();
  const status = document.getElementById("action-status"); if (status) status.textContent = "";
  (r ? r.utterances : []).forEach(u => transcriptLine({type: u.who === "bot" ? "bot_turn" : "user_turn", text: u.text}));
  const st = window.vbListen; st.clickedAt = performance.now(); st.firstChunkMs = null;
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  ctx.resume();
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/listen/${encodeURIComponent(callId)}`);
  ws.binaryType = "arraybuffer";
  listening = {callId, ws, ctx, nextTime: 0, rate: Number(panel.dataset.rate) || 8000};
  const statusEl = document.getElementById("listen-status");
  ws.onopen = () => { statusEl.textContent = t("listen.waiting"); };
  ws.onclose = e => { if (listening && listening.ws === ws) statusEl.textContent = e.code === 4403 ? t("listen.not_allowed") : t("listen.stopped"); };
  ws.onmessage = e => {
    if (typeof e.data === "string") {
      const m = JSON.parse(e.data);
      if (m.type === "format") listening.rate = m.rate;
      if (m.type === "ended") statusEl.textContent = t("listen.ended");
      return;
    }
    play(new Int16Array(e.data));
    statusEl.textContent = t("listen.listening");
  };
}

function play(pcm) {
  const st = window.vbListen, L = listening;
  if (!L) return;
  if (st.firstChunkMs === null) st.firstChunkMs = performance.now() - st.clickedAt;
  st.chunks += 1; st.samples += pcm.length;
  const f = new Float32Array(pcm.length);
  let peak = 0, sq = 0;
  for (let i = 0; i < pcm.length; i++) { const v = pcm[i] / 32768; f[i] = v; sq += pcm[i] * pcm[i]; peak = Math.max(peak, Math.abs(v)); }
  st.sumSquares += sq; st.peak = Math.max(st.peak, peak * 32768);
  document.getElementById("listen-level").value = Math.min(1, peak * 2);
  const buf = L.ctx.createBuffer(1, f.length, L.rate);
  buf.copyToChannel(f, 0);
  const src = L.ctx.createBufferSource(); src.buffer = buf; src.connect(L.ctx.destination);
  // A small lead absorbs network jitter; if we fell behind, restart the schedule from now.
  if (L.nextTime < L.ctx.currentTime + 0.05) L.nextTime = L.ctx.currentTime + 0.15;
  src.start(L.nextTime); L.nextTime += buf.duration;
}

function stopListening() {
  if (!listening) return;
  const L = listening; listening = null;
  L.ws.close(); L.ctx.close();
  document.getElementById("listen-status").textContent = t("listen.stopped");
}

// --- interventions (supervisors): every click is one audited request -------------------------
const actionStatus = document.getElementById("action-status");
async function act(path, body, what) {
  const callId = panel.dataset.call;
  try {
    const res = await api("POST", `/api/calls/${encodeURIComponent(callId)}/${path}`, body);
    actionStatus.textContent = res && res.order_label ? t("action.whisper_sent", {what, order: res.order_label})
      : t("action.sent", {what});
    actionStatus.className = "ok";
    return true;
  } catch (err) {
    if (err.data && err.data.needs_confirmation) return {confirm: err.message};  // the caller asks first
    // "Not understood" is the whole answer (nothing reached the call); other failures say what failed.
    actionStatus.textContent = err.data && err.data.not_understood ? err.message : t("action.failed", {error: err.message});
    actionStatus.className = "error";
    return false;
  }
}
if (supervisor && document.getElementById("actions")) {
  document.getElementById("whisper-form").addEventListener("submit", e => {
    e.preventDefault();
    const input = document.getElementById("whisper-text"), text = input.value.trim();
    if (!text) return;
    act("whisper", {text}, text).then(async result => {
      if (result && result.confirm) {  // a typed hang-up or transfer: the supervisor says yes first
        if (!confirm(result.confirm)) {
          actionStatus.textContent = t("whisper.cancelled"); actionStatus.className = "";
          return;
        }
        result = await act("whisper", {text, confirmed: true}, text);
      }
      if (result === true) input.value = "";
    });
  });
  document.querySelectorAll("#actions button[data-action]").forEach(b => b.addEventListener("click", () => {
    const action = b.dataset.action;
    if ((action === "barge" || action === "phone_listen") && panel.dataset.phone !== "yes") {
      actionStatus.textContent = t("action.no_phone"); actionStatus.className = "error"; return;
    }
    if (action === "hang_up" && !confirm(t("action.confirm_hang_up"))) return;
    if (action === "barge" && !confirm(t("action.confirm_barge"))) return;
    act(action, undefined, b.textContent);
  }));
}
