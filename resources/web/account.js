// Account: the API keys a script uses with this account's credits (made here, the key shown
// once; revoked here) and the credit ledger, a page at a time.

import { call } from "./api.js";
import { $, button, cell, copyField, Pager, plural, say, when, whileBusy } from "./ui.js";

const PAGE = 20;
let pager;

function fail(error) {
  say($("account-error"), error);
}

function keyRow(key) {
  const tr = document.createElement("tr");
  tr.append(
    cell(key.name),
    cell(`${key.prefix}…`, "mono"),
    cell(when(key.createdAt)),
    cell(key.lastUsedAt ? when(key.lastUsedAt) : "Never"),
  );
  const last = document.createElement("td");
  if (key.revokedAt) {
    last.textContent = `Revoked ${when(key.revokedAt)}`;
  } else {
    last.append(button("Revoke", `Revoke ${key.name}`, () => revokeKey(key)));
  }
  tr.append(last);
  return tr;
}

async function loadKeys() {
  const { keys } = await call("/keys");
  $("keys").replaceChildren(...keys.map(keyRow));
}

async function revokeKey(key) {
  if (!confirm(`Revoke ${key.name} (${key.prefix}…)? Scripts using it stop working.`)) return;
  try {
    await call(`/keys/${key.id}`, { method: "DELETE" });
    await loadKeys();
    $("keys-title").focus();
  } catch (error) {
    fail(error);
  }
}

async function createKey() {
  fail(null);
  try {
    const made = await call("/keys", { method: "POST", json: { name: $("key-name").value } });
    $("key-name").value = "";
    $("key-text").value = made.apiKey;
    $("made-key").hidden = false;
    $("key-text").focus();
    $("key-text").select();
    await loadKeys();
  } catch (error) {
    fail(error);
  }
}

function entryText(entry) {
  if (entry.kind === "grant") return entry.note ? `Granted: ${entry.note}` : "Granted";
  if (entry.kind === "refund") return `Refunded: ${entry.photo || entry.jobId} failed`;
  return `Cutout of ${entry.photo || entry.jobId}`;
}

function entryRow(entry) {
  const tr = document.createElement("tr");
  const amount = entry.amount > 0 ? `+${entry.amount}` : `−${-entry.amount}`;
  tr.append(cell(when(entry.createdAt)), cell(entryText(entry)), cell(amount, "number"));
  return tr;
}

async function loadLedger() {
  const ticket = pager.ask();
  const page = await call(`/account/credits?limit=${PAGE}&offset=${pager.offset}`);
  if (!pager.settle(ticket, page.entries.length, page.total)) return;
  $("balance").textContent = `Balance: ${plural(page.balance, "credit")}. A cutout costs 1; a failed one is refunded.`;
  $("ledger").replaceChildren(...page.entries.map(entryRow));
}

export async function showAccount() {
  fail(null);
  await Promise.all([loadKeys(), loadLedger()]);
}

export function forgetAccount() {
  $("made-key").hidden = true;
  $("key-text").value = "";
  pager.reset();
  for (const id of ["keys", "ledger"]) $(id).replaceChildren();
  $("balance").textContent = "";
}

export function setUpAccount() {
  pager = new Pager(PAGE, $("ledger-newer"), $("ledger-older"), () => loadLedger().catch(fail));
  $("keys-title").tabIndex = -1;
  $("new-key").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy($("new-key").querySelector("button"), createKey);
  });
  $("copy-key").addEventListener("click", (event) => copyField($("key-text"), event.target));
}
