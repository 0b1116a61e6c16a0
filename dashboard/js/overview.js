// Overview: enabled (toggle), protocol versions, connected charge points by version, broker links and counters.
import { call } from "./api.js";
import { errorBox, h, show, time } from "./dom.js";

const VERSIONS = { "ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1", "ocpp2.1": "2.1" };

const card = (label, value, attrs = {}) => h("div", { className: "card", ...attrs }, h("div", { className: "label" }, label), h("div", { className: "value" }, value));

export async function overviewPage(main) {
  const [gateway, broker, all] = await Promise.all([call("GET", ""), call("GET", "/broker"), call("GET", "/clients?limit=1")]);
  const versions = Object.keys(VERSIONS);
  const counts = await Promise.all(versions.map((v) => call("GET", `/clients?limit=1&proto_ver=${VERSIONS[v]}`).then((r) => r.meta.count)));
  const message = h("div", {});
  const toggle = h("button", { type: "button", id: "toggle-enable", className: gateway.enable ? "danger" : "primary", onclick: async () => {
    try {
      await call("PUT", `/enable/${!gateway.enable}`);
      await overviewPage(main);
    } catch (error) {
      show(message, errorBox(error));
    }
  } }, gateway.enable ? "Disable" : "Enable");
  const totals = broker.links.reduce((t, l) => ({ published: t.published + (l.published ?? 0), delivered: t.delivered + (l.delivered ?? 0) }), { published: 0, delivered: 0 });

  show(main,
    h("h1", {}, "Overview"),
    h("div", { className: "cards" },
      h("div", { className: "card" }, h("div", { className: "label" }, "Gateway"),
        h("div", { className: "value" }, h("span", { id: "gateway-status", className: gateway.enable ? "on" : "off" }, gateway.enable ? "enabled" : "disabled")), toggle),
      card("Protocols served", gateway.supported_protocols.map((p) => VERSIONS[p] ?? p).join(" · ")),
      card("Charge points connected", String(all.meta.count), { id: "connected-count" }),
      ...versions.map((v, i) => card(`OCPP ${VERSIONS[v]}`, String(counts[i]))),
      card("Upstream messages published", String(totals.published)),
      card("Downstream messages delivered", String(totals.delivered))),
    message,
    h("h2", {}, "Broker links"),
    h("p", { className: "muted" }, broker.url ?? "no MQTT_URL"),
    h("table", {},
      h("thead", {}, h("tr", {}, ...["Shard", "State", "Client id", "Charge points", "Connects", "Published", "Delivered", "Refused", "Dropped", "Last error"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...broker.links.map((l) => h("tr", {},
        h("td", {}, String(l.shard)),
        h("td", { className: `state-${l.state}` }, l.state),
        h("td", {}, l.clientId ?? "–"),
        ...[l.attached, l.connects, l.published, l.delivered, l.refused, l.dropped].map((n) => h("td", { className: "num" }, String(n ?? "–"))),
        h("td", {}, l.lastError ? `${time(l.lastError.at)}: ${l.lastError.message}` : "–"))))));
  return () => {};
}
