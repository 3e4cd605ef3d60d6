// Installation, for its owner: where the models run, and every account — created, granted
// credits, suspended and resumed, handed a one-time sign-in link.

import { call } from "./api.js";
import { $, button, cell, copyField, say, when, whileBusy } from "./ui.js";

let onChange = () => {};

function fail(error) {
  say($("installation-error"), error);
}

async function loadSystem() {
  const system = await call("/system");
  const facts = [
    ["Version", system.version],
    ["Models run on", system.device || "no usable device"],
    ["Why", system.deviceReason],
    ["Default model", system.defaultModel || "not installed"],
    ["Installed models", system.installedModels.join(", ") || "none"],
    ["Runtime", system.runtime],
  ];
  $("system").replaceChildren(
    ...facts.flatMap(([term, text]) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = text;
      return [dt, dd];
    }),
  );
}

function grantCell(account) {
  const td = document.createElement("td");
  const amount = document.createElement("input");
  Object.assign(amount, { type: "number", min: 1, max: 1000000, value: 100, className: "amount" });
  amount.setAttribute("aria-label", `Credits to grant ${account.name}`);
  const grant = button("Grant", `Grant ${account.name} the credits`, () =>
    change(`/accounts/${account.id}/credits`, "POST", { amount: Number(amount.value) }),
  );
  td.append(amount, grant);
  return td;
}

function accountRow(account) {
  const tr = document.createElement("tr");
  tr.append(
    cell(account.owner ? `${account.name} (owner)` : account.name),
    cell(account.status === "active" ? "Active" : "Suspended"),
    cell(account.credits.toLocaleString(), "number"),
    grantCell(account),
  );
  const actions = document.createElement("td");
  if (!account.owner) {
    const suspend = account.status === "active";
    const status = suspend ? "suspended" : "active";
    const verb = suspend ? "Suspend" : "Resume";
    actions.append(
      button(verb, `${verb} ${account.name}`, () =>
        change(`/accounts/${account.id}`, "PATCH", { status }),
      ),
    );
  }
  if (account.status === "active") {
    actions.append(
      button("Sign-in link", `A sign-in link for ${account.name}`, () => makeLink(account)),
    );
  }
  tr.append(actions);
  return tr;
}

async function loadAccounts() {
  const { accounts } = await call("/accounts");
  $("accounts").replaceChildren(...accounts.map(accountRow));
}

async function change(path, method, json) {
  fail(null);
  try {
    await call(path, { method, json });
    await loadAccounts();
    onChange();
  } catch (error) {
    fail(error);
  }
}

async function makeLink(account) {
  fail(null);
  try {
    const made = await call(`/accounts/${account.id}/sign-in-link`, { method: "POST" });
    $("made-link-for").textContent =
      `A sign-in link for ${account.name}: it works once, until ${when(made.expiresAt)}. ` +
      "Hand it over as you would a password.";
    // This server as this browser reaches it, which its public address may not be.
    $("link-text").value = `${location.origin}/${new URL(made.url).hash}`;
    $("made-link").hidden = false;
    $("link-text").focus();
    $("link-text").select();
  } catch (error) {
    fail(error);
  }
}

async function createAccount() {
  const json = { name: $("account-name").value.trim(), credits: Number($("account-credits").value) };
  await change("/accounts", "POST", json);
  if (!$("installation-error").textContent) $("account-name").value = "";
}

export async function showInstallation() {
  fail(null);
  await Promise.all([loadSystem(), loadAccounts()]);
}

export function forgetInstallation() {
  $("made-link").hidden = true;
  $("link-text").value = "";
  for (const id of ["accounts", "system"]) $(id).replaceChildren();
}

export function setUpInstallation(changed) {
  onChange = changed;
  $("new-account").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy($("new-account").querySelector("button"), createAccount);
  });
  $("copy-link").addEventListener("click", (event) => copyField($("link-text"), event.target));
}
