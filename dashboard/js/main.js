// The dashboard's entry: sign-in and a hash router (#/overview, #/clients, #/clients/<id>, #/settings).
import { ApiFailure, signedIn, signIn, signOut } from "./api.js";
import { clientPage } from "./client.js";
import { clientsPage } from "./clients.js";
import { errorBox, h, show } from "./dom.js";
import { overviewPage } from "./overview.js";
import { settingsPage } from "./settings.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
/** Undoes what the current page started (a trace socket, a timer). */
let leave = () => {};

function signInPage() {
  const message = h("div", {});
  const key = h("input", { type: "text", name: "key", autocomplete: "username", required: true });
  const secret = h("input", { type: "password", name: "secret", autocomplete: "current-password", required: true });
  const form = h("form", { className: "stack", onsubmit: async (e) => {
    e.preventDefault();
    show(message);
    try {
      await signIn(key.value, secret.value);
      secret.value = "";
      location.hash = "#/overview";
    } catch (error) {
      const text = error instanceof ApiFailure && error.status === 401 ? "Wrong API key or secret." : error.message;
      show(message, errorBox(text));
    }
  } },
    h("h1", {}, "Sign in"),
    h("p", { className: "muted" }, "The management API's key and secret (ADMIN_API_KEY, ADMIN_API_SECRET). They stay in this tab's memory."),
    h("label", {}, "API key", key),
    h("label", {}, "API secret", secret),
    h("button", { type: "submit", className: "primary" }, "Sign in"),
    message);
  show(main, form);
  key.focus();
}

async function route() {
  leave();
  leave = () => {};
  const hash = decodeURIComponent(location.hash.slice(1) || "/overview");
  nav.hidden = !signedIn();
  if (!signedIn()) return signInPage();
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", hash.startsWith(a.getAttribute("href").slice(1)));
  show(main, h("p", { className: "muted" }, "Loading…"));
  try {
    if (hash === "/overview" || hash === "/signin") leave = await overviewPage(main);
    else if (hash === "/clients") leave = await clientsPage(main);
    else if (hash.startsWith("/clients/")) leave = await clientPage(main, hash.slice("/clients/".length));
    else if (hash === "/settings") leave = await settingsPage(main);
    else show(main, h("h1", {}, "Not found"));
  } catch (error) {
    if (signedIn()) show(main, errorBox(error));
  }
  leave ??= () => {};
}

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  location.hash = "#/signin";
  void route();
});
window.addEventListener("hashchange", () => void route());
void route();
