"use strict";
const {t, label, h, s, fill, api, time, num} = VB;
const rec = document.getElementById("rec");
const player = document.getElementById("player");
const supervisor = document.body.dataset.role === "supervisor";
const base = `/api/recordings/${encodeURIComponent(rec.dataset.day)}/${encodeURIComponent(rec.dataset.call)}`;
const COLORS = {neutral: "#9bb", calm: "#8c8", positive: "#5b5", happy: "#5b5", agitated: "#e55", angry: "#d22",
  frustrated: "#e83", sad: "#88d", negative: "#e55"};
const color = e => (Object.prototype.hasOwnProperty.call(COLORS, e) ? COLORS[e] : "#bbb");

async function load() {
  let data;
  try { data = await api("GET", base); } catch (err) { VB.error(document.getElementById("load-error"), err, load); return; }
  fill(document.getElementById("load-error"));
  const {recording, transcript, review} = data;
  const list = document.getElementById("transcript");
  fill(list, transcript.map((line, i) => h("li", {class: `who-${line.who}`, dataset: {i, start: line.start, end: line.end}},
    h("span", {class: "muted"}, t("common.seconds", {n: line.start.toFixed(1)})), " ", h("b", null, label("who", line.who), t("common.colon")), " ", line.text,
    line.emotion ? [" ", h("span", {class: "flag", style: {background: color(line.emotion), color: "#000"}}, label("emotion", line.emotion))] : null,
    line.interrupted ? [" ", h("span", {class: "muted"}, t("call.interrupted"))] : null)));
  const total = Math.max(Number(rec.dataset.duration) || 0, ...transcript.map(x => x.end), 1);
  drawTimeline(transcript, total, recording);
  const items = [];
  if (recording.escalation) items.push(t("call.escalation", {what: recording.escalation}));
  const tr = recording.transfer;
  if (tr && typeof tr === "object") items.push(t("call.transfer", {what: tr.reason || tr.detail || t("common.yes"),
    ok: tr.ok ? t("call.transfer_ok") : t("call.transfer_failed")}));
  (Array.isArray(recording.tags) ? recording.tags : []).forEach(x => items.push(t("call.tag", {what: x})));
  fill(document.getElementById("escalations"), items.length ? items.map(x => h("li", null, x))
    : h("li", {class: "muted"}, t("call.no_escalation")));
  showReview(review);
}

function drawTimeline(transcript, total, recording) {
  const svg = document.getElementById("timeline");
  const L = 70, W = svg.clientWidth || 800, x = sec => (sec / total) * (W - L - 10) + L;
  const parts = [s("line", {x1: L, x2: W - 10, y1: 58, y2: 58, stroke: "#ccc"})];
  // Axis: a tick every 1, 2, 5, 10, 30 … s, whichever gives at most ~10 labels.
  const step = [1, 2, 5, 10, 30, 60, 120, 300].find(st => total / st <= 10) || 600;
  for (let sec = 0; sec <= total + 1e-9; sec += step) {
    parts.push(s("line", {x1: x(sec), x2: x(sec), y1: 58, y2: 64, stroke: "#999"}),
      s("text", {x: x(sec), y: 78, "font-size": 11, "text-anchor": "middle", fill: "#555"}, t("common.seconds", {n: sec})));
  }
  // Track names in the left margin: customer above, bot below.
  parts.push(s("text", {x: 4, y: 27, "font-size": 12, fill: "#462"}, label("who", "callee")),
    s("text", {x: 4, y: 49, "font-size": 12, fill: "#246"}, label("who", "bot")));
  transcript.forEach(line => {
    const y = line.who === "bot" ? 36 : 14, fillColor = line.who === "bot" ? "#9ab" : color(line.emotion);
    parts.push(s("rect", {x: x(line.start), y, width: Math.max(2, x(line.end) - x(line.start)), height: 18, fill: fillColor},
      s("title", null, `${label("who", line.who)} ${line.emotion ? label("emotion", line.emotion) : ""}: ${line.text}`)));
  });
  if (recording.escalation) {
    const last = transcript.filter(line => line.who === "callee").pop();
    const at = last ? x(last.end) : W - 12;
    parts.push(s("line", {x1: at, x2: at, y1: 0, y2: 60, stroke: "#d00", "stroke-width": 2}, s("title", null, String(recording.escalation))));
  }
  parts.push(s("line", {id: "cursor", x1: L, x2: L, y1: 0, y2: 60, stroke: "#000"}));
  fill(svg, parts);
  svg.dataset.total = total;
  const seen = [...new Set(transcript.map(line => line.emotion).filter(Boolean))];
  fill(document.getElementById("legend"), h("b", null, t("call.legend"), t("common.colon")),
    h("span", {class: "swatch", style: {background: "#9ab"}}), label("who", "bot"),
    seen.map(e => [h("span", {class: "swatch", style: {background: color(e)}}), label("emotion", e)]),
    recording.escalation ? [h("span", {class: "swatch", style: {background: "#d00"}}), t("call.legend_escalation")] : null);
}

function highlight(now) {
  document.querySelectorAll("#transcript li").forEach(li => {
    li.classList.toggle("active", now >= Number(li.dataset.start) && now <= Number(li.dataset.end) + 0.2);
  });
  const svg = document.getElementById("timeline"), cur = document.getElementById("cursor");
  if (cur) { const xx = (now / Number(svg.dataset.total)) * ((svg.clientWidth || 800) - 80) + 70; cur.setAttribute("x1", xx); cur.setAttribute("x2", xx); }
}
document.getElementById("transcript").addEventListener("click", e => {
  const li = e.target.closest("li"); if (li && player) { player.currentTime = Number(li.dataset.start); player.play(); }
});
if (player) player.addEventListener("timeupdate", () => highlight(player.currentTime));

// --- quality review -----------------------------------------------------------------
const qaStatus = document.getElementById("qa-status");
function showReview(review) {
  document.getElementById("qa-flag-status").textContent = review.flagged ? t("qa.flagged", {user: review.flagged_by}) : "";
  const flagBtn = document.getElementById("qa-flag");
  if (flagBtn) { flagBtn.textContent = review.flagged ? t("qa.unflag") : t("qa.flag"); flagBtn.dataset.flagged = review.flagged ? "yes" : "no"; }
  const form = document.getElementById("qa-score");
  if (form && review.score && review.score.points) {
    Object.entries(review.score.points).forEach(([name, p]) => { const sel = form.elements[name]; if (sel) sel.value = String(p); });
    document.getElementById("qa-total").textContent = t("qa.total", {score: review.score.total, max: review.score.max});
  }
  fill(document.getElementById("qa-comments"), (review.comments || []).map(c =>
    h("li", null, h("b", null, c.user), " ", h("span", {class: "muted"}, time(c.at)), h("div", {class: "long"}, c.text))));
}
async function qa(path, body) {
  try { showReview(await api("POST", `${base}/${path}`, body)); qaStatus.textContent = t("qa.saved"); qaStatus.className = "ok"; }
  catch (err) { qaStatus.textContent = t("action.failed", {error: err.message}); qaStatus.className = "error"; }
}
const flagBtn = document.getElementById("qa-flag");
if (flagBtn) flagBtn.addEventListener("click", () => qa("flag", {flagged: flagBtn.dataset.flagged !== "yes"}));
const scoreForm = document.getElementById("qa-score");
if (scoreForm) scoreForm.addEventListener("submit", e => {
  e.preventDefault();
  const points = {}; [...scoreForm.querySelectorAll("select")].forEach(sel => { points[sel.name] = Number(sel.value); });
  qa("score", {points});
});
const commentForm = document.getElementById("qa-comment");  // supervisors only
if (commentForm) commentForm.addEventListener("submit", e => {
  e.preventDefault();
  const box = document.getElementById("qa-comment-text"), text = box.value.trim();
  if (text) qa("comments", {text}).then(() => { box.value = ""; });
});
load();
