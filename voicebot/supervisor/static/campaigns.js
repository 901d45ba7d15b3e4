"use strict";
const select = document.getElementById("campaign");
function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
const pct = v => v == null ? "–" : `${(v * 100).toFixed(1)} %`;
const num = v => v == null ? "–" : (Number.isInteger(v) ? String(v) : v.toFixed(2));

function bars(svgId, items, fmt) {
  const svg = document.getElementById(svgId); if (!svg) return;
  const W = 480, H = 220, pad = 30, max = Math.max(...items.map(i => i.value), 1e-9);
  const bw = items.length ? (W - pad) / items.length : 0;
  svg.innerHTML = items.map((it, i) => {
    const h = (it.value / max) * (H - 2 * pad);
    return `<rect x="${pad + i * bw + 4}" y="${H - pad - h}" width="${Math.max(2, bw - 8)}" height="${h}" fill="#4878a8"><title>${esc(it.label)}: ${fmt(it.value)}</title></rect>
      <text x="${pad + i * bw + bw / 2}" y="${H - pad - h - 4}" font-size="11" text-anchor="middle">${fmt(it.value)}</text>
      <text x="${pad + i * bw + bw / 2}" y="${H - 12}" font-size="10" text-anchor="middle">${esc(it.label).slice(0, 18)}</text>`;
  }).join("") || `<text x="20" y="40" fill="#777">no data</text>`;
}
function table(id, groups) {
  const cols = ["attempts", "connect_rate", "intent_share", "conversion_rate", "transfers", "complaints", "calls_per_hour"];
  const fmt = c => (c.endsWith("rate") || c === "intent_share") ? pct : num;
  document.getElementById(id).innerHTML = `<tr><th></th>${cols.map(c => `<th>${c}</th>`).join("")}</tr>` +
    Object.entries(groups).map(([g, k]) => `<tr><td>${esc(g)}</td>${cols.map(c => `<td>${fmt(c)(k[c])}</td>`).join("")}</tr>`).join("");
}
async function load() {
  const res = await fetch(`/api/campaigns/${encodeURIComponent(select.value)}`);
  const d = await res.json(), t = d.total;
  const cards = [["Calls", t.attempts, num], ["Connect rate", t.connect_rate, pct], ["Intent share (A+B)", t.intent_share, pct],
    ["Conversion", t.conversion_rate, pct], ["Transfers", t.transfers, num], ["Complaints", t.complaints, num],
    ["Calls per hour", t.calls_per_hour, num], ["Cost vs manual", t.cost_vs_manual, pct]];
  document.getElementById("cards").innerHTML = cards.map(([n, v, f]) => `<div class="card">${esc(n)}<b>${f(v)}</b></div>`).join("");
  const seg = Object.entries(d.by_segment);
  bars("chart-intent", seg.map(([g, k]) => ({label: g, value: k.intent_share})), pct);
  bars("chart-connect", seg.map(([g, k]) => ({label: g, value: k.connect_rate})), pct);
  bars("chart-variant", Object.entries(d.by_variant).map(([g, k]) => ({label: g, value: k.conversion_rate})), pct);
  bars("chart-hours", d.calls_per_hour.map(h => ({label: new Date(h.hour * 1000).toISOString().slice(5, 13) + "h", value: h.calls})), num);
  table("segments", d.by_segment); table("variants", d.by_variant);
}
if (select) { select.addEventListener("change", load); load(); }
