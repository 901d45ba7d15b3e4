"use strict";
const rec = document.getElementById("rec");
const player = document.getElementById("player");
const COLORS = {neutral: "#9bb", calm: "#8c8", positive: "#5b5", happy: "#5b5", agitated: "#e55", angry: "#d22",
  frustrated: "#e83", sad: "#88d", negative: "#e55"};
function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

async function load() {
  const res = await fetch(`/api/recordings/${rec.dataset.day}/${encodeURIComponent(rec.dataset.call)}`);
  const {recording, transcript} = await res.json();
  const list = document.getElementById("transcript");
  list.innerHTML = transcript.map((t, i) => `<li data-i="${i}" data-start="${t.start}" data-end="${t.end}" class="who-${esc(t.who)}">
    <span class="muted">${Number(t.start).toFixed(1)} s</span> <b>${t.who === "bot" ? "Bot" : "Customer"}:</b> ${esc(t.text)}
    ${t.emotion ? `<span class="flag" style="background:${COLORS[t.emotion] || "#ddd"};color:#000">${esc(t.emotion)}</span>` : ""}
    ${t.interrupted ? '<span class="muted">(interrupted)</span>' : ""}</li>`).join("");
  list.addEventListener("click", e => {
    const li = e.target.closest("li"); if (li && player) { player.currentTime = Number(li.dataset.start); player.play(); }
  });
  const total = Math.max(Number(rec.dataset.duration) || 0, ...transcript.map(t => Number(t.end) || 0), 1);
  drawTimeline(transcript, total, recording);
  const esc_ = [];
  if (recording.escalation) esc_.push(`Escalation: ${recording.escalation}`);
  if (recording.transfer) esc_.push(`Transfer: ${recording.transfer.reason || recording.transfer.detail || "yes"} (${recording.transfer.ok ? "ok" : "failed"})`);
  (recording.tags || []).forEach(t => esc_.push(`Tag: ${t}`));
  document.getElementById("escalations").innerHTML = esc_.map(x => `<li>${esc(x)}</li>`).join("") || '<li class="muted">No escalation.</li>';
  if (player) player.addEventListener("timeupdate", () => highlight(player.currentTime));
}

function drawTimeline(transcript, total, recording) {
  const svg = document.getElementById("timeline");
  const W = svg.clientWidth || 800, x = s => (s / total) * W;
  let out = `<line x1="0" x2="${W}" y1="35" y2="35" stroke="#ccc"/>`;
  transcript.forEach(t => {
    const y = t.who === "bot" ? 40 : 12, color = t.who === "bot" ? "#9ab" : (COLORS[t.emotion] || "#bbb");
    out += `<rect x="${x(t.start)}" y="${y}" width="${Math.max(2, x(t.end) - x(t.start))}" height="18" fill="${color}">
      <title>${esc(t.who)} ${esc(t.emotion || "")}: ${esc(t.text)}</title></rect>`;
  });
  if (recording.escalation) {
    const last = transcript.filter(t => t.who === "callee").pop();
    const at = last ? x(last.end) : W - 2;
    out += `<line x1="${at}" x2="${at}" y1="0" y2="70" stroke="#d00" stroke-width="2"><title>${esc(recording.escalation)}</title></line>`;
  }
  out += `<line id="cursor" x1="0" x2="0" y1="0" y2="70" stroke="#000"/>`;
  svg.innerHTML = out;
  svg.dataset.total = total;
}

function highlight(t) {
  document.querySelectorAll("#transcript li").forEach(li => {
    li.classList.toggle("active", t >= Number(li.dataset.start) && t <= Number(li.dataset.end) + 0.2);
  });
  const svg = document.getElementById("timeline"), cur = document.getElementById("cursor");
  if (cur) { const xx = (t / Number(svg.dataset.total)) * (svg.clientWidth || 800); cur.setAttribute("x1", xx); cur.setAttribute("x2", xx); }
}
load();
