"use strict";
const {t, label, h, fill, api, time, party} = VB;
const form = document.getElementById("search");
const exportLink = document.getElementById("export");
function params() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
  return p;
}
async function search(e) {
  if (e) e.preventDefault();
  const p = params();
  exportLink.setAttribute("href", `/api/recordings.csv?${p}`);
  const tbody = document.querySelector("#recordings tbody");
  let body;
  try { body = await api("GET", `/api/recordings?${p}`); fill(document.getElementById("search-error")); }
  catch (err) { fill(tbody); VB.error(document.getElementById("search-error"), err, search); return; }
  const dash = t("common.none"), list = body.recordings;
  const durations = list.map(r => r.duration_s).filter(v => typeof v === "number");
  document.getElementById("search-summary").textContent = t("rec.summary", {n: list.length,
    avg: durations.length ? (durations.reduce((a, b) => a + b, 0) / durations.length).toFixed(1) : dash,
    escalated: list.filter(r => r.escalation).length, flagged: list.filter(r => r.flagged).length});
  fill(tbody, body.recordings.length ? body.recordings.map(r => h("tr", {dataset: {call: r.call_id}, class: r.flagged ? "flagged" : ""},
    h("td", {class: "nowrap"}, time(r.started)), h("td", null, (r.customer || {}).name || party(r.remote) || dash),
    h("td", null, r.segment || dash), h("td", null, r.duration_s == null ? dash : t("common.seconds", {n: r.duration_s})),
    h("td", null, r.answered_by ? label("answered", r.answered_by) : dash), h("td", null, r.hangup || dash), h("td", null, r.intent_grade || dash),
    h("td", null, r.escalation || ""), h("td", {class: "match"}, r.match || ""),
    h("td", {class: "nowrap"}, h("a", {class: "open", href: `/recordings/${encodeURIComponent(r.day)}/${encodeURIComponent(r.call_id)}`}, t("rec.open")))))
    : h("tr", null, h("td", {colspan: 10, class: "muted"}, t("rec.none"))));
}
form.addEventListener("submit", search);
search();
