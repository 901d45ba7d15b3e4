"use strict";
const {t, h, s, fill, api} = VB;
const select = document.getElementById("campaign");
const pct = v => (typeof v === "number" && isFinite(v)) ? `${(v * 100).toFixed(1)} %` : t("common.none");
const num = v => (typeof v === "number" && isFinite(v)) ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : t("common.none");
const COLS = ["attempts", "connect_rate", "intent_share", "conversion_rate", "transfers", "complaints", "calls_per_hour"];
const fmtFor = c => (c.endsWith("rate") || c === "intent_share" || c === "cost_vs_manual") ? pct : num;

function bars(svgId, items, fmt) {
  const svg = document.getElementById(svgId); if (!svg) return;
  const W = 480, H = 220, pad = 30, max = Math.max(...items.map(i => Number(i.value) || 0), 1e-9);
  const bw = items.length ? (W - pad) / items.length : 0;
  fill(svg, items.length ? items.map((it, i) => {
    const v = Number(it.value) || 0, bh = (v / max) * (H - 2 * pad), cx = pad + i * bw + bw / 2;
    const name = String(it.label);
    return [s("rect", {x: pad + i * bw + 4, y: H - pad - bh, width: Math.max(2, bw - 8), height: bh, fill: "#4878a8"},
        s("title", null, `${name}: ${fmt(it.value)}`)),
      s("text", {x: cx, y: H - pad - bh - 4, "font-size": 11, "text-anchor": "middle"}, fmt(it.value)),
      s("text", {x: cx, y: H - 12, "font-size": 10, "text-anchor": "middle"}, name.length > 14 ? `${name.slice(0, 13)}…` : name)];
  }) : s("text", {x: 20, y: 40, fill: "#777"}, t("common.no_data")));
}
function table(id, groups) {
  fill(document.getElementById(id),
    h("tr", null, h("th", null, t("camp.group")), COLS.map(c => h("th", null, t(`kpi.${c}`)))),
    Object.entries(groups).map(([g, k]) => h("tr", null, h("td", {class: "long"}, g), COLS.map(c => h("td", null, fmtFor(c)(k[c]))))));
}
async function load() {
  let d;
  try { d = await api("GET", `/api/campaigns/${encodeURIComponent(select.value)}`); fill(document.getElementById("campaign-error")); }
  catch (err) { VB.error(document.getElementById("campaign-error"), err, load); return; }
  const total = d.total, rules = d.rules || {};
  document.getElementById("campaign-rules").textContent = t("camp.rules", {hours: rules.calling_hours,
    tz: VB.label("tz", rules.timezone), channels: rules.bot_channels, agents: rules.human_agents});
  const status = (d.meta && d.meta.status) || "";
  document.getElementById("campaign-status").textContent = status ? VB.label("camp.status", status) : "";
  showAgents(rules.agents_now);
  showControls(d.controls);
  const toggle = document.getElementById("campaign-toggle");
  if (toggle) {
    toggle.hidden = !(status === "running" || status === "paused");
    toggle.textContent = status === "running" ? t("camp.pause") : t("camp.resume");
    toggle.dataset.to = status === "running" ? "paused" : "running";
  }
  fill(document.getElementById("cards"), ["attempts", "connect_rate", "intent_share", "conversion_rate", "transfers",
    "complaints", "calls_per_hour", "cost_vs_manual"].map(c => h("div", {class: "card"}, t(`kpi.${c}`), h("b", null, fmtFor(c)(total[c])))));
  const seg = Object.entries(d.by_segment);
  bars("chart-intent", seg.map(([g, k]) => ({label: g, value: k.intent_share})), pct);
  bars("chart-connect", seg.map(([g, k]) => ({label: g, value: k.connect_rate})), pct);
  bars("chart-variant", Object.entries(d.by_variant).map(([g, k]) => ({label: g, value: k.conversion_rate})), pct);
  bars("chart-hours", d.calls_per_hour.map(x => ({label: new Date(x.hour * 1000).toLocaleString(VB.locale,
    {month: "numeric", day: "numeric", hour: "numeric"}), value: x.calls})), num);
  table("segments", d.by_segment); table("variants", d.by_variant);
  const unanswered = Array.isArray(d.unanswered) ? d.unanswered : null;  // null: the NLU side does not provide it yet
  document.getElementById("unanswered-section").hidden = unanswered === null;
  if (unanswered) fill(document.getElementById("unanswered"),
    h("tr", null, h("th", null, t("camp.question")), h("th", null, t("camp.times_asked"))),
    unanswered.length ? unanswered.map(q => h("tr", null, h("td", {class: "long"}, q.text), h("td", null, String(q.count))))
      : h("tr", null, h("td", {colspan: 2, class: "muted"}, t("common.no_data"))));
}
function showAgents(a) {
  if (!a) return;
  document.getElementById("agents-now").textContent = t(a.override ? "camp.agents_override" : "camp.agents_config",
    {agents: a.agents, busy: a.busy, free: a.free});
}
// Pacing and calling hours (supervisors only: viewers get no form, and the API answers them 403).
const controlsForm = document.getElementById("controls-form");
const CONTROL_FIELDS = ["bot_channels", "calling_hours_start", "calling_hours_end"];
function showControls(c) {
  if (!controlsForm || !c) return;
  for (const f of CONTROL_FIELDS) {
    const input = document.getElementById(`ctl-${f}`);
    input.value = String(c[f]);
    input.removeAttribute("aria-invalid");
  }
  const src = own => t(own ? "camp.from_campaign" : "camp.from_config");
  document.getElementById("ctl-bot_channels-src").textContent = src(c.own.includes("bot_channels"));
  document.getElementById("ctl-hours-src").textContent = src(c.own.includes("calling_hours_start"));
  document.getElementById("ctl-hours-note").textContent = t("camp.hours_note", {tz: VB.label("tz", c.timezone)});
}
async function saveControls(body) {
  const msg = document.getElementById("controls-msg");
  msg.classList.remove("error");
  CONTROL_FIELDS.forEach(f => document.getElementById(`ctl-${f}`).removeAttribute("aria-invalid"));
  try {
    const c = await api("POST", `/api/campaigns/${encodeURIComponent(select.value)}/controls`, body);
    msg.textContent = t(c.changed.length ? "camp.controls_saved" : "camp.controls_unchanged");
    load();
  } catch (err) {
    msg.textContent = err.message;
    msg.classList.add("error");
    const field = err.data && err.data.field;
    const input = field && document.getElementById(`ctl-${field}`);
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  }
}
if (controlsForm) {
  controlsForm.addEventListener("submit", e => {
    e.preventDefault();
    saveControls(Object.fromEntries(CONTROL_FIELDS.map(f => [f, document.getElementById(`ctl-${f}`).value.trim()])));
  });
  document.getElementById("controls-reset").addEventListener("click",
    () => saveControls({bot_channels: null, calling_hours_start: null, calling_hours_end: null}));
}
const agentsForm = document.getElementById("agents-form");
async function setAgents(available) {
  const msg = document.getElementById("campaign-msg");
  try { showAgents(await api("POST", "/api/agents", {available})); msg.textContent = t("qa.saved"); }
  catch (err) { msg.textContent = t("action.failed", {error: err.message}); }
}
if (agentsForm) {
  agentsForm.addEventListener("submit", e => {
    e.preventDefault();
    const v = document.getElementById("agents-available").value;
    if (v !== "") setAgents(Number(v));
  });
  document.getElementById("agents-reset").addEventListener("click", () => setAgents(null));
}
if (select) {
  select.addEventListener("change", load); load();
  const toggle = document.getElementById("campaign-toggle");
  if (toggle) toggle.addEventListener("click", async () => {
    const msg = document.getElementById("campaign-msg");
    try { await api("POST", `/api/campaigns/${encodeURIComponent(select.value)}/status`, {status: toggle.dataset.to}); msg.textContent = ""; }
    catch (err) { msg.textContent = t("action.failed", {error: err.message}); }
    load();
  });
}
