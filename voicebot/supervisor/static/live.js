// Live calls board (SSE) and listen-live (WebSocket + Web Audio). No framework, no build step.
"use strict";
const rows = new Map();  // call_id -> row data
const tbody = document.querySelector("#calls tbody");
const supervisor = document.body.dataset.role === "supervisor";
let listening = null;  // {callId, ws, ctx, nextTime}
// Exposed for tests and debugging: what listen-live has received.
window.vbListen = {chunks: 0, samples: 0, sumSquares: 0, peak: 0, firstChunkMs: null, clickedAt: null,
  rms() { return this.samples ? Math.sqrt(this.sumSquares / this.samples) : 0; }};

function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
function duration(r) {
  const from = r.answered || r.started; if (!from) return "";
  const s = Math.max(0, Math.round((r.ended || Date.now() / 1000) - from));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
function rowHtml(r) {
  const utts = r.utterances.map(u => `<div class="utt"><b>${u.who === "bot" ? "Bot" : "Customer"}:</b> ${esc(u.text)}</div>`).join("")
    + (r.partial ? `<div class="utt"><i>${esc(r.partial)}…</i></div>` : "");
  const who = esc(r.customer.name || r.remote || r.call_id), sub = r.customer.name ? esc(r.remote) : "";
  const listen = supervisor && r.state !== "ended" ? `<button class="listen" data-call="${esc(r.call_id)}">Listen</button>` : "";
  return `<td>${who}<div class="muted">${sub}</div></td><td>${esc(r.segment || "–")}</td><td class="state">${esc(r.state)}</td>`
    + `<td class="dur">${duration(r)}</td><td>${r.last_latency_ms == null ? "–" : r.last_latency_ms + " ms"}</td><td>${utts}</td><td>${esc(r.emotion || "–")}</td>`
    + `<td>${r.flags.map(f => `<span class="flag">${esc(f)}</span>`).join("")}</td><td>${esc(r.worker)}</td><td>${listen}</td>`;
}
function render(r) {
  rows.set(r.call_id, r);
  let tr = tbody.querySelector(`tr[data-call="${CSS.escape(r.call_id)}"]`);
  if (!tr) { tr = document.createElement("tr"); tr.dataset.call = r.call_id; tbody.appendChild(tr); }
  tr.className = r.state === "ended" ? "ended" : "";
  tr.innerHTML = rowHtml(r);
  if (r.state === "ended") setTimeout(() => { tr.remove(); rows.delete(r.call_id); empty(); }, 15000);
  empty();
}
function empty() { document.getElementById("no-calls").hidden = tbody.children.length > 0; }
setInterval(() => rows.forEach(r => {
  const td = tbody.querySelector(`tr[data-call="${CSS.escape(r.call_id)}"] .dur`); if (td) td.textContent = duration(r);
}), 1000);

const status = document.getElementById("stream-status");
const source = new EventSource("/api/live/stream");
source.addEventListener("open", () => { status.textContent = "live"; });
source.addEventListener("error", () => { status.textContent = "reconnecting…"; });
source.addEventListener("expired", () => { location.href = "/login?next=/live"; });
source.addEventListener("snapshot", e => {
  tbody.innerHTML = ""; rows.clear();
  JSON.parse(e.data).calls.forEach(render);
});
source.addEventListener("update", e => {
  const {row, event} = JSON.parse(e.data);
  render(row);
  if (listening && event.call_id === listening.callId) transcriptLine(event);
});

function transcriptLine(ev) {
  const list = document.getElementById("listen-transcript");
  if (ev.type === "user_turn" || ev.type === "bot_turn") {
    const partial = list.querySelector("li.partial"); if (partial) partial.remove();
    const li = document.createElement("li");
    li.className = ev.type === "bot_turn" ? "who-bot" : "who-callee";
    li.textContent = `${ev.type === "bot_turn" ? "Bot" : "Customer"}: ${ev.text}`;
    list.appendChild(li);
  } else if (ev.type === "partial_transcript") {
    let li = list.querySelector("li.partial");
    if (!li) { li = document.createElement("li"); li.className = "partial who-callee"; list.appendChild(li); }
    li.textContent = `Customer: ${ev.text}…`;
  } else if (ev.type === "call_ended") {
    document.getElementById("listen-status").textContent = "call ended";
  }
}

tbody.addEventListener("click", e => {
  const b = e.target.closest("button.listen"); if (b) startListening(b.dataset.call);
});
document.getElementById("listen-stop").addEventListener("click", stopListening);

function startListening(callId) {
  stopListening();
  const r = rows.get(callId);
  document.getElementById("listen").hidden = false;
  document.getElementById("listen-call").textContent = r ? (r.customer.name || r.remote || callId) : callId;
  document.getElementById("listen-transcript").innerHTML = "";
  (r ? r.utterances : []).forEach(u => transcriptLine({type: u.who === "bot" ? "bot_turn" : "user_turn", text: u.text}));
  const st = window.vbListen; st.clickedAt = performance.now(); st.firstChunkMs = null;
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  ctx.resume();
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/listen/${encodeURIComponent(callId)}`);
  ws.binaryType = "arraybuffer";
  listening = {callId, ws, ctx, nextTime: 0, rate: window.VB_LISTEN_RATE || 8000};
  const statusEl = document.getElementById("listen-status");
  ws.onopen = () => { statusEl.textContent = "waiting for audio…"; };
  ws.onclose = e => { if (listening && listening.ws === ws) statusEl.textContent = e.code === 4403 ? "not allowed" : "stopped"; };
  ws.onmessage = e => {
    if (typeof e.data === "string") {
      const m = JSON.parse(e.data);
      if (m.type === "format") listening.rate = m.rate;
      if (m.type === "ended") statusEl.textContent = "call ended";
      return;
    }
    play(new Int16Array(e.data));
    statusEl.textContent = "listening";
  };
}

function play(pcm) {
  const st = window.vbListen, L = listening;
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
  document.getElementById("listen-status").textContent = "stopped";
}
