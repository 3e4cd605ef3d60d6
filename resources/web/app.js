// The web page of a bgdesk server: sign in with a one-time link, then Remove, History,
// Account and (for the installation's owner) Installation, each a view of the REST API the
// scripts use. The address's fragment names the view; a sign-in link's names its token.

import { call, useSession } from "./api.js";
import { forgetAccount, setUpAccount, showAccount } from "./account.js";
import { setUpHistory, showHistory } from "./history.js";
import { forgetInstallation, setUpInstallation, showInstallation } from "./installation.js";
import { forgetRemoved, setUpRemove } from "./remove.js";
import { $, plural, say } from "./ui.js";

const VIEWS = {
  remove: async () => {},
  history: showHistory,
  account: showAccount,
  installation: showInstallation,
};
let session = null;

function show(signedIn) {
  session = signedIn;
  useSession(signedIn);
  $("signed-out").hidden = Boolean(signedIn);
  $("views").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("installation-link").hidden = !signedIn?.owner;
  $("who").textContent = signedIn
    ? `${signedIn.account} · ${plural(signedIn.credits, "credit")}`
    : "";
  if (!signedIn) {
    forgetRemoved();
    forgetAccount();
    forgetInstallation();
  }
  route(false);
}

function route(moved = true) {
  let name = location.hash.slice(1);
  if (!(name in VIEWS) || (name === "installation" && !session?.owner)) name = "remove";
  for (const view of Object.keys(VIEWS)) $(view).hidden = !session || view !== name;
  for (const link of $("views").querySelectorAll("a")) {
    if (link.hash === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.shown = "";
  if (!session) return;
  if (moved) $(`${name}-title`).focus();
  VIEWS[name]()
    .catch((error) => say($(`${name}-error`), error))
    .finally(() => (document.body.dataset.shown = name)); // the view is loaded: for tests
}

async function refreshWho() {
  try {
    show(await call("/session"));
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) throw error;
    show(null);
    if (error.status === 403) say($("sign-in-error"), error);
  }
}

function updateCredits() {
  call("/session")
    .then((current) => {
      session = current;
      $("who").textContent = `${current.account} · ${plural(current.credits, "credit")}`;
    })
    .catch(() => refreshWho().catch(() => {}));
}

async function signIn() {
  const token = new URLSearchParams(location.hash.slice(1)).get("sign-in");
  if (!token) return refreshWho();
  history.replaceState(null, "", location.pathname); // the token is spent: out of the address
  try {
    say($("sign-in-error"), null);
    show(await call("/session", { method: "POST", json: { token } }));
  } catch (error) {
    show(null);
    say($("sign-in-error"), error);
  }
}

async function signOut() {
  try {
    await call("/session", { method: "DELETE" });
  } finally {
    show(null);
  }
}

function listen() {
  for (const view of Object.keys(VIEWS)) $(`${view}-title`).tabIndex = -1;
  setUpRemove(updateCredits);
  setUpHistory();
  setUpAccount();
  setUpInstallation(updateCredits);
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", () =>
    location.hash.startsWith("#sign-in=") ? signIn() : route(),
  );
}

listen();
signIn();
