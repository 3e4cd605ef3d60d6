// Remove: photos dropped, chosen, pasted or linked become cutouts, four uploads at a time;
// each card follows its job to the end (the server holds each status request until the job
// ends, whichever worker runs it), then compares before and after and downloads.

import { MAX_ARCHIVED, archiveUrl, call, here } from "./api.js";
import { chosenOptions, setUpOptions } from "./options.js";
import { $, fromTemplate, plural, say } from "./ui.js";

const WAIT_SECONDS = 20; // a status request is held this long while a job is processing
const AT_ONCE = 4; // uploads under way together (the server takes 8 an account)
const ZOOMS = [1, 1.5, 2, 3, 4, 6];

const waiting = []; // submissions whose upload has not begun: [submission, card]
const done = new Map(); // card → its finished job's id, for the ZIP
let uploading = 0;
let generation = 0; // a new one when the cards are forgotten: work under way for older ones ends unseen
let afterEach = () => {};

function setZoom(item, step) {
  const level = Math.min(ZOOMS.length - 1, Math.max(0, Number(item.dataset.zoom || 0) + step));
  item.dataset.zoom = level;
  item.querySelector(".compare").style.setProperty("--zoom", ZOOMS[level]);
  item.querySelector(".zoom-level").textContent = `${Math.round(ZOOMS[level] * 100)}%`;
  item.querySelector(".zoom-out").disabled = level === 0;
  item.querySelector(".zoom-in").disabled = level === ZOOMS.length - 1;
}

function card(submission) {
  const item = fromTemplate("result");
  item.querySelector(".name").textContent = submission.name;
  const compare = item.querySelector(".compare");
  const divider = item.querySelector(".divider");
  // A linked photo is not loaded from its site (the page loads nothing from elsewhere), and a
  // cropped or canvassed cutout does not lie over its photo: those show the cutout alone.
  const aligned = submission.file && !submission.options.crop && !submission.options.canvas;
  if (aligned) {
    const before = item.querySelector(".before");
    before.src = URL.createObjectURL(submission.file);
    before.alt = `${submission.name}, before`;
    divider.setAttribute("aria-label", `${submission.name}: before and after, the divider`);
    divider.addEventListener("input", () => compare.style.setProperty("--split", `${divider.value}%`));
  } else {
    item.querySelector(".before").remove();
    divider.remove();
    compare.style.setProperty("--split", "0%");
  }
  item.querySelector(".zoom-in").addEventListener("click", () => setZoom(item, 1));
  item.querySelector(".zoom-out").addEventListener("click", () => setZoom(item, -1));
  setZoom(item, 0);
  $("results").prepend(item);
  return item;
}

// One ZIP link for up to 200 finished cutouts, oldest first; more get a link each 200.
function showBatch() {
  const cards = $("results").children.length;
  $("batch").hidden = cards === 0;
  $("batch-count").textContent = `${plural(done.size, "cutout")} done of ${cards}`;
  const ids = [...done.values()].reverse();
  const links = [];
  for (let start = 0; start < ids.length; start += MAX_ARCHIVED) {
    const link = document.createElement("a");
    const part = ids.slice(start, start + MAX_ARCHIVED);
    link.className = "button";
    link.href = archiveUrl(part);
    link.download = "cutouts.zip";
    link.textContent =
      ids.length > MAX_ARCHIVED
        ? `Download ${start + 1}–${start + part.length} (ZIP)`
        : "Download all (ZIP)";
    links.push(link);
  }
  $("download-all").replaceChildren(...links);
}

function queue(submission) {
  const item = card(submission);
  item.querySelector(".status").textContent = "Waiting…";
  waiting.push([submission, item]);
  showBatch();
  next();
}

function next() {
  while (uploading < AT_ONCE && waiting.length) {
    const [submission, item] = waiting.shift();
    uploading += 1;
    removeBackground(submission, item).finally(() => {
      uploading -= 1;
      showBatch();
      next();
    });
  }
}

async function removeBackground(submission, item) {
  const mine = generation;
  const status = item.querySelector(".status");
  item.dataset.state = "working";
  status.textContent = submission.file ? "Uploading…" : "Fetching the photo…";
  try {
    const form = new FormData();
    if (submission.file) form.append("image_file", submission.file, submission.file.name);
    else form.append("image_url", submission.url);
    for (const [name, value] of Object.entries(submission.options)) form.append(name, value);
    const accepted = await call("/remove-bg", { method: "POST", body: form });
    status.textContent = "Removing the background…";
    let job = accepted;
    while (job.status === "processing" && mine === generation) {
      job = await call(`/jobs/${accepted.jobId}?wait=${WAIT_SECONDS}`);
    }
    if (mine !== generation) return;
    if (job.status === "failed") throw new Error(job.errorMessage || "The cutout failed.");
    status.textContent = job.warning ? `Done. Check it: ${job.warning}` : "Done";
    const after = item.querySelector(".after");
    after.src = here(job.outputUrl);
    after.alt = `${submission.name}, cut out`;
    item.querySelector(".viewer").hidden = false;
    const download = item.querySelector(".download");
    download.href = here(job.outputUrl);
    download.hidden = false;
    done.set(item, job.jobId);
    item.dataset.state = "done";
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
    item.dataset.state = "failed";
  } finally {
    if (mine === generation) afterEach();
  }
}

function take(files) {
  say($("remove-error"), null);
  const photos = [...files].filter((file) => file.type.startsWith("image/") || !file.type);
  if (photos.length < files.length) {
    say($("remove-error"), new Error("Only photos can be cut out; the other files were left."));
  }
  const options = chosenOptions();
  photos.forEach((file) => queue({ file, name: file.name, options }));
}

function takeLink(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return false;
  }
  if (!["http:", "https:"].includes(url.protocol)) return false;
  const last = url.pathname.split("/").pop() || url.hostname;
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // a malformed escape: the name as written
  }
  queue({ url: url.href, name, options: chosenOptions() });
  return true;
}

function discard(item) {
  const before = item.querySelector(".before");
  if (before?.src) URL.revokeObjectURL(before.src);
  done.delete(item);
  item.remove();
}

function clearEnded() {
  for (const item of [...$("results").children]) {
    if (item.dataset.state === "done" || item.dataset.state === "failed") discard(item);
  }
  showBatch();
}

// A cutout deleted elsewhere on the page leaves the ZIP and says so on its card.
export function forgetJob(jobId) {
  for (const [item, id] of done) {
    if (id !== jobId) continue;
    done.delete(item);
    item.querySelector(".status").textContent = "Cutout deleted";
    item.querySelector(".download").hidden = true;
  }
  showBatch();
}

export function forgetRemoved() {
  generation += 1;
  waiting.length = 0;
  [...$("results").children].forEach(discard);
  showBatch();
}

export function setUpRemove(onEach) {
  afterEach = onEach;
  setUpOptions();
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
  $("by-link").addEventListener("submit", (event) => {
    event.preventDefault();
    if (takeLink($("link").value)) $("link").value = "";
    else say($("remove-error"), new Error("A photo's link starts with http:// or https://."));
  });
  document.addEventListener("paste", (event) => {
    const typing = "textarea, [contenteditable], input:not([type=file], [type=checkbox], [type=radio], [type=color])";
    if ($("remove").hidden || event.target.closest?.(typing)) return;
    const files = event.clipboardData?.files;
    if (files?.length) {
      event.preventDefault();
      take(files);
    } else if (takeLink(event.clipboardData?.getData("text") || "")) {
      event.preventDefault();
    }
  });
  $("clear").addEventListener("click", clearEnded);
}
