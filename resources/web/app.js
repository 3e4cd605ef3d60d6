// The web page of a bgdesk server: sign in with a one-time link, drop photos, watch each one
// become a cutout, compare and download. It speaks the REST API the scripts use, with the
// session cookie for a key and the session's CSRF token on every change.

const API = "/api/v1";
const WAIT_SECONDS = 20; // a status request is held this long while a job is processing
const AT_ONCE = 4; // uploads under way together (the server takes 8 an account)
let csrf = "";
const waiting = []; // photos whose upload has not begun: [file, card]
let uploading = 0;

const $ = (id) => document.getElementById(id);

async function call(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrf;
  const answer = await fetch(API + path, { ...options, headers, credentials: "same-origin" });
  const body = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (!answer.ok) {
    const message = body?.error?.message || `The server answered ${answer.status}.`;
    throw Object.assign(new Error(message), { status: answer.status });
  }
  return body;
}

function show(session) {
  csrf = session ? session.csrfToken : "";
  $("signed-out").hidden = Boolean(session);
  $("remove").hidden = !session;
  $("sign-out").hidden = !session;
  $("who").textContent = session
    ? `${session.account} · ${session.credits} credit${session.credits === 1 ? "" : "s"}`
    : "";
}

async function refreshWho() {
  try {
    show(await call("/session"));
  } catch (error) {
    if (error.status !== 401) throw error;
    show(null);
  }
}

async function signIn() {
  const token = new URLSearchParams(location.hash.slice(1)).get("sign-in");
  if (!token) return refreshWho();
  history.replaceState(null, "", location.pathname); // the token is spent: out of the address
  try {
    show(await call("/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
    }));
  } catch (error) {
    show(null);
    $("sign-in-error").textContent = error.message;
  }
}

async function signOut() {
  try {
    await call("/session", { method: "DELETE" });
  } finally {
    waiting.length = 0;
    show(null);
    $("results").replaceChildren();
  }
}

function card(file) {
  const item = $("result").content.firstElementChild.cloneNode(true);
  item.querySelector(".name").textContent = file.name;
  const before = item.querySelector(".before");
  before.src = URL.createObjectURL(file);
  before.alt = `${file.name}, before`;
  const divider = item.querySelector(".divider");
  divider.addEventListener("input", () =>
    item.querySelector(".compare").style.setProperty("--split", `${divider.value}%`));
  $("results").prepend(item);
  return item;
}

function queue(file) {
  const item = card(file);
  item.querySelector(".status").textContent = "Waiting…";
  waiting.push([file, item]);
  next();
}

function next() {
  while (uploading < AT_ONCE && waiting.length) {
    const [file, item] = waiting.shift();
    uploading += 1;
    removeBackground(file, item).finally(() => {
      uploading -= 1;
      next();
    });
  }
}

async function removeBackground(file, item) {
  const status = item.querySelector(".status");
  status.textContent = "Uploading…";
  try {
    const form = new FormData();
    form.append("image_file", file, file.name);
    const accepted = await call("/remove-bg", { method: "POST", body: form });
    status.textContent = "Removing the background…";
    let job = accepted;
    while (job.status === "processing") {
      job = await call(`/jobs/${accepted.jobId}?wait=${WAIT_SECONDS}`);
    }
    if (job.status === "failed") throw new Error(job.errorMessage || "The cutout failed.");
    status.textContent = job.warning ? `Done. Check it: ${job.warning}` : "Done";
    const after = item.querySelector(".after");
    after.src = job.outputUrl;
    after.alt = `${file.name}, cut out`;
    item.querySelector(".compare").hidden = false;
    const download = item.querySelector(".download");
    download.href = job.outputUrl;
    download.hidden = false;
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
  } finally {
    refreshWho().catch(() => {});
  }
}

function take(files) {
  $("remove-error").textContent = "";
  const photos = [...files].filter((file) => file.type.startsWith("image/") || !file.type);
  if (photos.length < files.length) {
    $("remove-error").textContent = "Only photos can be cut out; the other files were left.";
  }
  photos.forEach(queue);
}

function listen() {
  const drop = $("drop");
  $("photos").addEventListener("change", (event) => {
    take(event.target.files);
    event.target.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    take(event.dataTransfer.files);
  });
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", signIn);
}

listen();
signIn();
