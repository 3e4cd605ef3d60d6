// History: the account's jobs, newest first, a page at a time and searched by name, each
// with its status in words (a cutout to check says why), its download and its deletion.

import { call } from "./api.js";
import { $, fromTemplate, range, say, when } from "./ui.js";

const PAGE = 20;
let offset = 0;
let search = "";

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
    thumb.src = job.outputUrl;
    thumb.alt = `${name}, cut out`;
    const download = item.querySelector(".download");
    download.href = job.outputUrl;
    download.hidden = false;
    download.setAttribute("aria-label", `Download ${name}`);
    const remove = item.querySelector(".delete");
    remove.hidden = false;
    remove.setAttribute("aria-label", `Delete ${name}`);
    remove.addEventListener("click", () => deleteJob(job, name));
  } else {
    thumb.classList.add("none");
  }
  return item;
}

async function deleteJob(job, name) {
  if (!confirm(`Delete the cutout of ${name}? Its download stops working.`)) return;
  try {
    await call(`/jobs/${job.jobId}`, { method: "DELETE" });
    await showHistory();
  } catch (error) {
    say($("history-error"), error);
  }
}

export async function showHistory() {
  say($("history-error"), null);
  const query = new URLSearchParams({ limit: PAGE, offset, search });
  const page = await call(`/jobs?${query}`);
  if (!page.jobs.length && offset > 0) {
    offset = Math.max(0, offset - PAGE); // the last row of the last page was deleted
    return showHistory();
  }
  $("jobs").replaceChildren(...page.jobs.map(row));
  $("history-count").textContent = page.total
    ? `${range(offset, page.jobs.length, page.total)}${search ? ` found for “${search}”` : ""}`
    : search
      ? `Nothing found for “${search}”.`
      : "No photos yet: cut some out on Remove.";
  $("history-newer").disabled = offset === 0;
  $("history-older").disabled = offset + page.jobs.length >= page.total;
}

function turn(step) {
  offset = Math.max(0, offset + step * PAGE);
  showHistory().catch((error) => say($("history-error"), error));
}

export function setUpHistory() {
  $("history-search").addEventListener("submit", (event) => {
    event.preventDefault();
    search = $("search").value.trim();
    offset = 0;
    showHistory().catch((error) => say($("history-error"), error));
  });
  $("history-newer").addEventListener("click", () => turn(-1));
  $("history-older").addEventListener("click", () => turn(1));
}
