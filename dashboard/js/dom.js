// Tiny DOM helpers. Everything a charge point or the CSMS sends is untrusted: it only ever becomes text nodes.

/** An element with attributes (`on*` functions become listeners) and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "className") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function time(ms) {
  return ms ? new Date(ms).toLocaleString() : "–";
}

export function errorBox(error) {
  return h("p", { className: "error", role: "alert" }, error instanceof Error ? error.message : String(error));
}

/** A button that asks once more before it acts (no native dialog: the page stays scriptable and testable). */
export function confirmButton(label, question, action) {
  const box = h("span", {});
  const idle = () =>
    show(box, h("button", { type: "button", className: "danger", onclick: () => show(box, question, " ",
      h("button", { type: "button", className: "danger", onclick: async () => { show(box, "…"); await action().catch((e) => show(box, errorBox(e))); } }, "Yes"), " ",
      h("button", { type: "button", onclick: idle }, "Cancel")) }, label));
  idle();
  return box;
}
