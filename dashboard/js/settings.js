// Settings: the configuration as JSON (saved with PUT; the server's error is shown at the field it names), and
// the authenticator's users (add, change password, delete). Passwords are sent, never shown or read back.
import { ApiFailure, call } from "./api.js";
import { confirmButton, errorBox, h, show } from "./dom.js";

/** Shown by GET but not configuration (PUT ignores them). */
const READ_ONLY = ["name", "status", "stored_config_problems"];

export async function settingsPage(main) {
  const config = await call("GET", "");
  const editable = Object.fromEntries(Object.entries(config).filter(([k]) => !READ_ONLY.includes(k)));
  const editor = h("textarea", { className: "json", id: "config-editor", spellcheck: "false" });
  editor.value = JSON.stringify(editable, null, 2);
  const result = h("div", { id: "config-result" });
  const users = h("div", {});

  const save = async () => {
    show(result);
    editor.classList.remove("invalid");
    let body;
    try {
      body = JSON.parse(editor.value);
    } catch (error) {
      editor.classList.add("invalid");
      return show(result, errorBox(`Not JSON: ${error.message}`));
    }
    try {
      await call("PUT", "", body);
      show(result, h("p", { className: "on" }, "Saved."));
    } catch (error) {
      editor.classList.add("invalid");
      show(result, ...fieldErrors(error));
    }
  };

  show(main,
    h("h1", {}, "Settings"),
    config.stored_config_problems ? errorBox(`The stored configuration is ignored: ${config.stored_config_problems.join("; ")}`) : null,
    h("h2", {}, "Gateway configuration"),
    h("p", { className: "muted" }, "Top-level keys are merged into the stored configuration; a key set to null goes back to its default."),
    editor,
    h("div", { className: "row" }, h("button", { type: "button", className: "primary", id: "save-config", onclick: () => void save() }, "Save"), result),
    h("h2", {}, "Charge point authentication"),
    users);
  await loadUsers(users);
  return () => {};
}

/** The API names each problem as `field.path: reason`, separated by `; `: one line per field. */
function fieldErrors(error) {
  if (!(error instanceof ApiFailure) || error.status !== 400) return [errorBox(error)];
  return error.message.split("; ").map((problem) => {
    const at = problem.indexOf(": ");
    const field = at > 0 ? problem.slice(0, at) : "";
    return h("p", { className: "field-error", role: "alert", "data-field": field }, field ? h("code", {}, field) : null, field ? `: ${problem.slice(at + 2)}` : problem);
  });
}

async function loadUsers(box) {
  const authenticator = await call("GET", "/authentication");
  if (authenticator === undefined) {
    return show(box, h("p", { className: "muted" }, "No authenticator: every charge point may connect without a password. "),
      h("button", { type: "button", id: "create-authenticator", onclick: async () => {
        await call("POST", "/authentication", { backend: "built_in_database", mechanism: "password_based" }).catch((e) => show(box, errorBox(e)));
        await loadUsers(box);
      } }, "Require passwords (built-in database)"));
  }
  const { data } = await call("GET", "/authentication/users?limit=1000");
  const message = h("div", {});
  const userId = h("input", { type: "text", name: "user_id", placeholder: "user id (charge point id)", required: true });
  const password = h("input", { type: "password", name: "password", placeholder: "password", autocomplete: "new-password", required: true });
  const add = h("form", { className: "row", id: "add-user", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await call("POST", "/authentication/users", { user_id: userId.value, password: password.value });
      await loadUsers(box);
    } catch (error) {
      show(message, errorBox(error));
    }
  } }, userId, password, h("button", { type: "submit", className: "primary" }, "Add user"));
  show(box,
    h("p", { className: "muted" }, `Built-in database, ${authenticator.password_hash_algorithm.name}; password rules: ${authenticator.password_rules}.`),
    h("table", { id: "users" },
      h("thead", {}, h("tr", {}, h("th", {}, "User"), h("th", {}, "Superuser"), h("th", {}, "Password"), h("th", {}, ""))),
      h("tbody", {}, ...data.map((u) => h("tr", { "data-user": u.user_id },
        h("td", {}, u.user_id),
        h("td", {}, u.is_superuser ? "yes" : "no"),
        h("td", {}, changePassword(u.user_id, message)),
        h("td", {}, confirmButton("Delete", `Delete ${u.user_id}?`, async () => {
          await call("DELETE", `/authentication/users/${encodeURIComponent(u.user_id)}`);
          await loadUsers(box);
        })))))),
    add, message);
}

function changePassword(userId, message) {
  const input = h("input", { type: "password", placeholder: "new password", autocomplete: "new-password", required: true });
  return h("form", { className: "row", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await call("PUT", `/authentication/users/${encodeURIComponent(userId)}`, { password: input.value });
      input.value = "";
      show(message, h("p", { className: "on" }, `Password of ${userId} changed.`));
    } catch (error) {
      show(message, errorBox(error));
    }
  } }, input, h("button", { type: "submit" }, "Change"));
}
