// History: the account's jobs, newest first, a page at a time and searched by name, each
// with its status in words (a cutout to check says why), its download and its deletion.

import { call, here } from "./api.js";
import { $, fromTemplate, Pager, range, say, when, whileBusy } from "./ui.js";

const PAGE = 20;
let search = "";
let pager;
let onDeleted = () => {};

function fail(error) {
  say($("history-error"), error);
}

function statusOf(job) {
  if (job.status === "processing") return "Processing…";
  if (job.status === "failed") return `Failed: ${job.errorMessage}`;
  if (!job.outputUrl) return "Cutout deleted";
  const edited = job.edited ? " · touched up" : "";
  return job.warning ? `Check it: ${job.warning}${edited}` : `Done${edited}`;
}

function row(job) {
  const item = fromTemplate("job");
  const name = job.name || job.jobId;
  item.querySelector(".name").textContent = name;
  item.querySelector(".when").textContent = when(job.createdAt);
  const status = item.querySelector(".status");
  status.textContent = statusOf(job);
  status.classList.toggle("warning", Boolean(job.warning && job.outputUrl));
  status.classList.toggle("error", job.status === "failed");
  const thumb = item.querySelector(".thumb");
  if (job.outputUrl) {
    thumb.src = here(job.outputUrl);
    thumb.alt = `${name}, cut out`;
    const download = item.querySelector(".download");
    download.href = here(job.outputUrl);
    download.hidden = false;
    download.setAttribute("aria-label", `Download ${name}`);
    const remove = item.querySelector(".delete");
    remove.hidden = false;
    remove.setAttribute("aria-label", `Delete ${name}`);
    remove.addEventListener("click", () => whileBusy(remove, () => deleteJob(job, name)));
  } else {
    thumb.classList.add("none");
  }
  return item;
}

async function deleteJob(job, name) {
  if (!confirm(`Delete the cutout of ${name}? Its download stops working.`)) return;
  try {
    await call(`/jobs/${job.jobId}`, { method: "DELETE" });
    onDeleted(job.jobId);
    await showHistory();
    $("history-count").focus();
  } catch (error) {
    fail(error);
  }
}

export async function showHistory() {
  fail(null);
  const ticket = pager.ask();
  const query = new URLSearchParams({ limit: PAGE, offset: pager.offset, search });
  const page = await call(`/jobs?${query}`);
  if (!pager.settle(ticket, page.jobs.length, page.total)) return;
  $("jobs").replaceChildren(...page.jobs.map(row));
  $("history-count").textContent = page.total
    ? `${range(pager.offset, page.jobs.length, page.total)}${search ? ` found for “${search}”` : ""}`
    : search
      ? `Nothing found for “${search}”.`
      : "No photos yet: cut some out on Remove.";
}

export function forgetHistory() {
  search = "";
  pager.reset();
  $("search").value = "";
  $("jobs").replaceChildren();
  $("history-count").textContent = "";
}

export function setUpHistory(deleted) {
  onDeleted = deleted;
  pager = new Pager(PAGE, $("history-newer"), $("history-older"), () =>
    showHistory().catch(fail),
  );
  $("history-count").tabIndex = -1;
  $("history-search").addEventListener("submit", (event) => {
    event.preventDefault();
    search = $("search").value.trim();
    pager.reset();
    showHistory().catch(fail);
  });
}
