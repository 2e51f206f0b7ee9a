// The fleet map's script: draws GET /fleet/view, kept live by the server-sent events of
// /fleet/events (polling /fleet/view each second where EventSource is missing). Built with DOM
// calls and textContent only: names come from the network and are never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const known = new Map(); // cell_id -> status, to announce changes

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

/**
 * Puts `nodes` in `parent` in this order, moving only what is out of place and removing what is
 * gone: a node that stays is never detached, so keyboard focus on it survives every update.
 */
function place(parent, nodes) {
  nodes.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] || null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

const BUS_TEXT = { up: "bus link up", down: "bus link down", none: "no bus link (HTTP only)" };

function memberRow(m) {
  const time = el("time", { datetime: m.last_heartbeat }, new Date(m.last_heartbeat).toLocaleTimeString());
  const cell = (label, ...content) => el("td", { "data-label": label }, ...content);
  return el(
    "tr",
    { "data-cell": m.cell_id, "data-status": m.status },
    cell("Member", el("strong", {}, m.cell_id)),
    cell("Role", m.role),
    cell("Level", m.role === "cell" ? String(m.level) : "–"),
    cell("Status", el("span", { class: "status" }, m.status)),
    cell("Last heartbeat", el("span", {}, time, el("span", { class: "ago", "data-since": m.last_heartbeat }, ago(m.last_heartbeat)))),
  );
}

function deviceSection(d) {
  const id = `device-${d.device}`;
  let section = $(id);
  if (!section) {
    const head = el("tr", {}, ...["Member", "Role", "Level", "Status", "Last heartbeat"].map((h) => el("th", { scope: "col" }, h)));
    section = el(
      "section",
      { id, class: "device", tabindex: "-1", "aria-labelledby": `${id}-name` },
      el("h2", {}, el("span", { id: `${id}-name` }, d.device), el("span", { class: "bus" })),
      el("table", {}, el("thead", {}, head), el("tbody")),
    );
  }
  section.dataset.device = d.device;
  const bus = section.querySelector(".bus");
  bus.dataset.bus = d.bus;
  bus.textContent = BUS_TEXT[d.bus];
  section.querySelector("tbody").replaceChildren(...d.members.map(memberRow));
  return section;
}

function deviceLink(d) {
  const id = `link-${d.device}`;
  const item = $(id) || el("li", { id }, el("a", { href: `#device-${d.device}` }));
  const up = d.members.filter((m) => m.status === "up").length;
  item.firstChild.textContent = `${d.device} (${up}/${d.members.length} up)`;
  return item;
}

function announce(view) {
  const changes = [];
  const seen = new Set();
  for (const d of view.devices) {
    for (const m of d.members) {
      seen.add(m.cell_id);
      const before = known.get(m.cell_id);
      if (before === undefined && known.size) changes.push(`${m.cell_id} joined on ${d.device}`);
      else if (before && before !== m.status) changes.push(`${m.cell_id} is ${m.status}`);
      known.set(m.cell_id, m.status);
    }
  }
  for (const id of [...known.keys()]) if (!seen.has(id)) known.delete(id);
  if (changes.length) $("changes").textContent = changes.join(". ");
}

function render(view) {
  $("mean-level").textContent = String(view.mean_level);
  $("coherence").textContent = String(view.coherence);
  $("cells-up").textContent = String(view.cells_up);
  const sections = view.devices.map(deviceSection);
  place($("devices"), sections.length ? sections : [$("empty") || el("p", { id: "empty" }, "No members have joined yet.")]);
  place($("device-links"), view.devices.map(deviceLink));
  announce(view);
  document.body.dataset.updated = view.at;
}

function setLink(state, text) {
  const link = $("link");
  link.dataset.state = state;
  link.textContent = text;
}

function poll() {
  fetch("/fleet/view", { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((v) => (render(v), setLink("live", "live (polling)")))
    .catch(() => setLink("reconnecting", "reconnecting…"))
    .finally(() => setTimeout(poll, 1000));
}

function connect() {
  if (!("EventSource" in window)) return poll();
  const events = new EventSource("/fleet/events");
  events.onopen = () => setLink("live", "live");
  events.onmessage = (e) => render(JSON.parse(e.data));
  // EventSource reconnects by itself (the stream asks for a retry after a second)
  events.onerror = () => setLink("reconnecting", "reconnecting…");
}

setInterval(() => {
  for (const span of document.querySelectorAll(".ago")) span.textContent = ago(span.dataset.since);
}, 1000);
connect();
