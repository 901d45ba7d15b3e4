"use strict";
function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
const form = document.getElementById("search");
async function search(e) {
  if (e) e.preventDefault();
  const params = new URLSearchParams(new FormData(form));
  const res = await fetch(`/api/recordings?${params}`);
  if (res.status === 401) { location.href = "/login?next=/recordings"; return; }
  const body = await res.json();
  const tbody = document.querySelector("#recordings tbody");
  tbody.innerHTML = body.recordings.map(r => `<tr data-call="${esc(r.call_id)}">
    <td>${new Date(r.started * 1000).toLocaleString()}</td><td>${esc(r.customer.name || r.remote || "–")}</td>
    <td>${esc(r.segment || "–")}</td><td>${r.duration_s == null ? "–" : esc(r.duration_s) + " s"}</td>
    <td>${esc(r.answered_by || "–")}</td><td>${esc(r.hangup || "–")}</td><td>${esc(r.intent_grade || "–")}</td>
    <td>${esc(r.escalation || "")}</td>
    <td><a class="open" href="/recordings/${esc(r.day)}/${encodeURIComponent(r.call_id)}">Open</a></td></tr>`).join("")
    || `<tr><td colspan="9" class="muted">No recordings match.</td></tr>`;
}
form.addEventListener("submit", search);
search();
