"use strict";
const {t, label, h, fill, api, time} = VB;
const form = document.getElementById("audit-filter");
const newer = document.getElementById("audit-newer"), older = document.getElementById("audit-older");
// One page at a time: ``cursors`` holds the ``before`` of every page shown so far, so Newer goes back.
let cursors = [""];
async function load(e) {
  if (e) { e.preventDefault(); cursors = [""]; }
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
  const before = cursors[cursors.length - 1];
  if (before) p.set("before", before);
  const tbody = document.querySelector("#audit tbody");
  let data;
  try { data = await api("GET", `/api/audit?${p}`); fill(document.getElementById("audit-error")); }
  catch (err) { VB.error(document.getElementById("audit-error"), err, load); return; }
  fill(tbody, data.entries.map(a => h("tr", {dataset: {action: a.action}},
    h("td", {class: "nowrap"}, time(a.ts)), h("td", null, a.user), h("td", null, label("audit", a.action)),
    h("td", {class: "long"}, a.call_id || ""), h("td", {class: "nowrap"}, a.source || ""),
    h("td", {class: "long"}, Object.entries(a.detail || {}).map(([k, v]) => detail(k, v)).join(", ")))));
  older.disabled = !data.next_before;
  older.dataset.next = data.next_before || "";
  newer.disabled = cursors.length < 2;
  document.getElementById("audit-page").textContent = t("audit.page", {n: cursors.length});
}
older.addEventListener("click", () => { if (older.dataset.next) { cursors.push(older.dataset.next); load(); } });
newer.addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); load(); } });
// Campaign changes read "Simultaneous calls: 4 → 1"; a whisper's order by its label; the rest as stored.
// Keys and fixed-set values by their labels: the zh-CN trail must not read "role: supervisor".
const VALUE_LABELS = {order: "order", role: "role", kind: "file", status: "camp.status"};
function detail(k, v) {
  if (k === "changes" && Array.isArray(v)) {
    return v.map(c => `${label("camp.field", c && c.field)}${t("common.colon")}${c && c.from} → ${c && c.to}`).join("; ");
  }
  let shown = typeof v === "object" ? JSON.stringify(v) : String(v);
  if (k in VALUE_LABELS) shown = label(VALUE_LABELS[k], v);
  if (k === "encoding") shown = shown.toUpperCase();
  return `${label("audit.key", k)}${t("common.colon")}${shown}`;
}
form.addEventListener("submit", load);
load();
