// Account: the API keys a script uses with this account's credits (made here, the key shown
// once; revoked here) and the credit ledger, a page at a time.

import { call } from "./api.js";
import { $, button, cell, copyField, plural, say, when } from "./ui.js";

const PAGE = 20;
let ledgerOffset = 0;

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
    const revoke = button("Revoke", () => revokeKey(key));
    revoke.setAttribute("aria-label", `Revoke ${key.name}`);
    last.append(revoke);
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
  } catch (error) {
    say($("account-error"), error);
  }
}

async function createKey(event) {
  event.preventDefault();
  say($("account-error"), null);
  try {
    const made = await call("/keys", { method: "POST", json: { name: $("key-name").value } });
    $("key-name").value = "";
    $("key-text").value = made.apiKey;
    $("made-key").hidden = false;
    $("key-text").focus();
    $("key-text").select();
    await loadKeys();
  } catch (error) {
    say($("account-error"), error);
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
  const page = await call(`/account/credits?limit=${PAGE}&offset=${ledgerOffset}`);
  $("balance").textContent = `Balance: ${plural(page.balance, "credit")}. A cutout costs 1; a failed one is refunded.`;
  $("ledger").replaceChildren(...page.entries.map(entryRow));
  $("ledger-newer").disabled = ledgerOffset === 0;
  $("ledger-older").disabled = ledgerOffset + page.entries.length >= page.total;
}

function turn(step) {
  ledgerOffset = Math.max(0, ledgerOffset + step * PAGE);
  loadLedger().catch((error) => say($("account-error"), error));
}

export async function showAccount() {
  say($("account-error"), null);
  await Promise.all([loadKeys(), loadLedger()]);
}

export function forgetAccount() {
  $("made-key").hidden = true;
  $("key-text").value = "";
}

export function setUpAccount() {
  $("new-key").addEventListener("submit", createKey);
  $("copy-key").addEventListener("click", (event) => copyField($("key-text"), event.target));
  $("ledger-newer").addEventListener("click", () => turn(-1));
  $("ledger-older").addEventListener("click", () => turn(1));
}
