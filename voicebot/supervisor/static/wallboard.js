"use strict";
const {t, h, fill, api, clock, duration} = VB;
// Tile order and how each value reads.
const TILES = [
  ["active", "wall.active", v => String(v)],
  ["waiting", "wall.waiting", v => String(v)],
  ["aht", "wall.aht", v => duration(v)],
  ["escalations", "wall.escalations", v => String(v)],
  ["failed_transfers", "wall.failed_transfers", v => String(v)],
  ["agents_free", "wall.agents_free", v => String(v)],
  ["calls_today", "wall.calls_today", v => String(v)],
  ["answered_rate", "wall.answered_rate", v => `${(v * 100).toFixed(0)} %`],
  ["avg_reply", "wall.avg_reply", v => t("common.ms", {n: Math.round(v)})],
];
async function refresh() {
  let data;
  try { data = await api("GET", "/api/wallboard"); fill(document.getElementById("wall-error")); }
  catch (err) { VB.error(document.getElementById("wall-error"), err); return; }
  fill(document.getElementById("tiles"), TILES.map(([key, name, fmt]) => {
    const tile = data.tiles[key] || {};
    const value = tile.value == null ? (key === "agents_free" ? t("wall.no_agents") : t("common.none")) : fmt(tile.value);
    const level = ["ok", "amber", "red"].includes(tile.level) ? tile.level : "ok";
    return h("div", {class: ["tile", `level-${level}`], id: `tile-${key}`, dataset: {level}},
      h("div", {class: "tile-name"}, t(name)), h("div", {class: "tile-value"}, value),
      tile.plan ? h("div", {class: "tile-sub"}, t("wall.plan", {plan: tile.plan})) : null);
  }));
  document.getElementById("wall-updated").textContent = t("wall.updated", {time: clock(data.updated)});
}
refresh();
setInterval(refresh, 3000);
