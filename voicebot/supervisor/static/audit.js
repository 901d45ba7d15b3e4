"use strict";
const {t, label, h, fill, api, time} = VB;
const form = document.getElementById("audit-filter");
async function load(e) {
  if (e) e.preventDefault();
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
  const tbody = document.querySelector("#audit tbody");
  let data;
  try { data = await api("GET", `/api/audit?${p}`); fill(document.getElementById("audit-error")); }
  catch (err) { VB.error(document.getElementById("audit-error"), err, load); return; }
  fill(tbody, data.entries.map(a => h("tr", {dataset: {action: a.action}},
    h("td", {class: "nowrap"}, time(a.ts)), h("td", null, a.user), h("td", null, label("audit", a.action)),
    h("td", {class: "long"}, a.call_id || ""), h("td", {class: "nowrap"}, a.source || ""),
    h("td", {class: "long"}, Object.entries(a.detail || {}).map(([k, v]) => detail(k, v)).join(", ")))));
}
// Campaign changes read "Simultaneous calls: 4 → 1"; a whisper's order by its label; the rest as stored.
function detail(k, v) {
  if (k === "changes" && Array.isArray(v)) {
    return v.map(c => `${label("camp.field", c && c.field)}: ${c && c.from} → ${c && c.to}`).join("; ");
  }
  if (k === "order") return `${k}: ${label("order", v)}`;
  return `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`;
}
form.addEventListener("submit", load);
load();
