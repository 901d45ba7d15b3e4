// The console's one way to put data on a page: elements built with createElement, values set with
// textContent / setAttribute / properties. No HTML strings anywhere (tests/supervisor check that no
// script uses innerHTML, outerHTML, insertAdjacentHTML, document.write or eval).
"use strict";
const VB = (() => {
  const stringsEl = document.getElementById("vb-strings");
  const strings = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const locale = document.documentElement.lang || "en-US";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const SVG_NS = "http://www.w3.org/2000/svg";
  const ATTR_NAME = /^[a-zA-Z][a-zA-Z0-9_:-]*$/;
  const SAFE_URL = /^(\/(?!\/)|#|\?)/;  // same-site paths only: never javascript: or another host

  function t(key, values) {
    let s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (values) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
    return s;
  }
  // A label for a value from a fixed set (state.talking, emotion.angry); unknown values show as they are.
  function label(prefix, value) {
    const key = `${prefix}.${value}`;
    return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : String(value == null ? "" : value);
  }

  function build(el, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (name === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : String(value));
      else if (name === "dataset") Object.entries(value).forEach(([k, v]) => { el.dataset[k] = String(v); });
      else if (name === "style") Object.entries(value).forEach(([k, v]) => { el.style.setProperty(k, String(v)); });
      else if (name.startsWith("on")) {
        if (typeof value !== "function") throw new Error(`event handler ${name} must be a function`);
        el.addEventListener(name.slice(2), value);
      } else if (!ATTR_NAME.test(name)) throw new Error(`bad attribute name ${name}`);
      else if ((name === "href" || name === "src" || name === "action") && !SAFE_URL.test(String(value))) {
        throw new Error(`refused URL in ${name}`);
      } else if (name === "value" || name === "checked" || name === "selected" || name === "disabled" || name === "hidden") {
        el[name] = value;
      } else el.setAttribute(name, String(value));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
  const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);
  const fill = (el, ...children) => { el.replaceChildren(); return append(el, children); };

  async function api(method, url, body) {
    const opts = {method, headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = csrfMeta ? csrfMeta.content : "";
      if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    }
    let res;
    // fetch's own TypeError ("Failed to fetch") is the browser's English: say it in the page's language.
    try { res = await fetch(url, opts); } catch (e) { throw new Error(t("common.network_error")); }
    if (res.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; throw new Error("login required"); }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && typeof data.detail === "string") ? data.detail : t("common.http_error", {status: res.status}));
      err.data = data;  // e.g. {"field": ...}: which input to mark
      throw err;
    }
    return data;
  }

  const num = v => (typeof v === "number" && isFinite(v)) ? v : null;
  function time(ts) { return num(ts) ? new Date(ts * 1000).toLocaleString(locale) : t("common.none"); }
  function clock(ts) { return num(ts) ? new Date(ts * 1000).toLocaleTimeString(locale) : t("common.none"); }
  function duration(seconds) {
    if (num(seconds) === null) return t("common.none");
    const s = Math.max(0, Math.round(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  // A number as people say it: sip:+8613812345678@pbx -> +8613812345678; "Ada" <sip:...> -> Ada.
  function party(uri) {
    if (!uri) return "";
    const str = String(uri);
    const named = str.match(/^\s*"([^"]*)"/);
    if (named && named[1].trim()) return named[1].trim();
    const user = str.match(/(?:sips?:|tel:)([^@;>]+)/);
    if (!user) return str;
    try { return decodeURIComponent(user[1]); } catch (e) { return user[1]; }
  }
  function error(el, err, retry) {
    fill(el, h("p", {class: "error", role: "alert"}, t("common.error", {error: err && err.message ? err.message : String(err)}),
      retry ? [" ", h("button", {type: "button", onclick: retry}, t("common.retry"))] : null));
  }
  return {t, label, h, s, fill, api, time, clock, duration, party, error, locale, num};
})();
