// Charge points: a searchable, paged table of the connected ones, each with a kick that asks first.
import { call } from "./api.js";
import { confirmButton, errorBox, h, show, time } from "./dom.js";

const LIMIT = 20;
const state = { search: "", page: 1 };

export async function clientsPage(main) {
  const search = h("input", { type: "search", id: "search", placeholder: "charge point id contains…", value: state.search });
  const body = h("div", {});
  const load = async () => {
    try {
      const query = new URLSearchParams({ page: String(state.page), limit: String(LIMIT) });
      if (state.search) query.set("like_clientid", state.search);
      const { data, meta } = await call("GET", `/clients?${query}`);
      show(body, table(data, load), pager(meta, load));
    } catch (error) {
      show(body, errorBox(error));
    }
  };
  const form = h("form", { className: "row", onsubmit: (e) => { e.preventDefault(); state.search = search.value.trim(); state.page = 1; void load(); } },
    search, h("button", { type: "submit" }, "Search"), h("button", { type: "button", onclick: () => void load() }, "Refresh"));
  show(main, h("h1", {}, "Charge points"), form, body);
  await load();
  return () => {};
}

function table(rows, reload) {
  if (rows.length === 0) return h("p", { className: "muted", id: "no-clients" }, "No charge point is connected.");
  const heads = ["Id", "OCPP", "Connected since", "IP", "User", "Heartbeat s", "Queue", "Outbox", "In", "Out", "Invalid", ""];
  return h("table", { id: "clients" },
    h("thead", {}, h("tr", {}, ...heads.map((t) => h("th", {}, t)))),
    h("tbody", {}, ...rows.map((c) => h("tr", { "data-clientid": c.clientid },
      h("td", {}, h("a", { href: `#/clients/${encodeURIComponent(c.clientid)}` }, c.clientid)),
      h("td", {}, c.proto_ver),
      h("td", {}, time(Date.parse(c.connected_at))),
      h("td", {}, c.ip_address ?? "–"),
      h("td", {}, c.username ?? "–"),
      ...[c.keepalive, `${c.mqueue_len}/${c.mqueue_max}`, `${c.outbox_len}/${c.outbox_max}`, c.recv_msg, c.send_msg, c.invalid_msg].map((n) => h("td", { className: "num" }, String(n))),
      h("td", {}, confirmButton("Kick", `Close ${c.clientid}'s connection?`, async () => {
        await call("DELETE", `/clients/${encodeURIComponent(c.clientid)}`);
        await reload();
      }))))));
}

function pager(meta, load) {
  const pages = Math.max(1, Math.ceil(meta.count / meta.limit));
  const go = (page) => () => { state.page = page; void load(); };
  return h("div", { className: "row" },
    h("button", { type: "button", disabled: meta.page <= 1, onclick: go(meta.page - 1) }, "‹ Previous"),
    h("span", { className: "muted" }, `page ${meta.page} of ${pages} · ${meta.count} connected`),
    h("button", { type: "button", disabled: !meta.hasnext, onclick: go(meta.page + 1) }, "Next ›"));
}
