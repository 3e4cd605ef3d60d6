// The web page of a bgdesk server: sign in with a one-time link, then Remove, History,
// Account and (for the installation's owner) Installation, each a view of the REST API the
// scripts use. The address's fragment names the view; a sign-in link's names its token.

import { call, useSession } from "./api.js";
import { forgetAccount, setUpAccount, showAccount } from "./account.js";
import { forgetHistory, setUpHistory, showHistory } from "./history.js";
import { forgetInstallation, setUpInstallation, showInstallation } from "./installation.js";
import { forgetJob, forgetRemoved, setUpRemove } from "./remove.js";
import { $, plural, say, whileBusy } from "./ui.js";

const VIEWS = {
  remove: async () => {},
  history: showHistory,
  account: showAccount,
  installation: showInstallation,
};
let session = null;

// What one account saw is not left for the next: its cards, pages, keys and links.
function forgetAll() {
  forgetRemoved();
  forgetHistory();
  forgetAccount();
  forgetInstallation();
}

function show(signedIn) {
  if (signedIn?.account !== session?.account) forgetAll();
  say($("page-error"), null);
  session = signedIn;
  useSession(signedIn);
  $("signed-out").hidden = Boolean(signedIn);
  $("views").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("installation-link").hidden = !signedIn?.owner;
  $("who").textContent = signedIn
    ? `${signedIn.account} · ${plural(signedIn.credits, "credit")}`
    : "";
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
    show(null); // signed out, suspended, or the server cannot say: the reason is shown
    if (error.status !== 401) say($("sign-in-error"), error);
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
  say($("sign-in-error"), null);
  try {
    show(await call("/session", { method: "POST", json: { token } }));
  } catch (error) {
    await refreshWho().catch(() => show(null)); // a browser signed in before stays so
    say($(session ? "page-error" : "sign-in-error"), error);
  }
}

// Signed out only once the server has ended the session: on a shared computer a page that
// looked signed out while its cookie still worked would be a trap.
async function signOut() {
  say($("page-error"), null);
  try {
    await call("/session", { method: "DELETE" });
  } catch (error) {
    if (error.status !== 401) return say($("page-error"), error);
  }
  show(null);
}

function listen() {
  for (const view of Object.keys(VIEWS)) $(`${view}-title`).tabIndex = -1;
  setUpRemove(updateCredits);
  setUpHistory(forgetJob);
  setUpAccount();
  setUpInstallation(updateCredits);
  $("sign-out").addEventListener("click", () => whileBusy($("sign-out"), signOut));
  window.addEventListener("hashchange", () =>
    location.hash.startsWith("#sign-in=") ? signIn().catch(reportSignIn) : route(),
  );
}

function reportSignIn(error) {
  show(null);
  say($("sign-in-error"), error);
}

listen();
signIn().catch(reportSignIn);
