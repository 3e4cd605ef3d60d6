// Small helpers every view shares: elements from templates, dates and counts in words,
// copying, and errors said where a screen reader hears them.

export const $ = (id) => document.getElementById(id);

export function fromTemplate(id) {
  return $(id).content.firstElementChild.cloneNode(true);
}

export function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// A row's button: `label` names what it acts on for a screen reader, and `work` runs with
// the button disabled, so a second click cannot do it twice.
export function button(text, label, work) {
  const made = document.createElement("button");
  made.type = "button";
  made.textContent = text;
  made.className = "quiet";
  made.setAttribute("aria-label", label);
  made.addEventListener("click", () => whileBusy(made, work));
  return made;
}

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(text) {
  return text ? WHEN.format(new Date(text)) : "—";
}

export function plural(count, word) {
  return `${count.toLocaleString()} ${word}${count === 1 ? "" : "s"}`;
}

export function range(offset, shown, total) {
  return total ? `${offset + 1}–${offset + shown} of ${total.toLocaleString()}` : "";
}

// Reports what went wrong in `element` (a role=alert paragraph); empty clears it.
export function say(element, error) {
  element.textContent = error ? error.message || String(error) : "";
}

// A list shown a page at a time, with Newer and Older buttons. Only the answer to the latest
// request is shown, and a page left empty (its last row deleted) falls back one page.
export class Pager {
  constructor(size, newer, older, load) {
    Object.assign(this, { size, newer, older, load, offset: 0, asked: 0 });
    newer.addEventListener("click", () => this.turn(-1));
    older.addEventListener("click", () => this.turn(1));
  }

  ask() {
    this.asked += 1;
    return this.asked;
  }

  // Whether the answer to request `ticket` (`shown` of `total` rows) is to be shown.
  settle(ticket, shown, total) {
    if (ticket !== this.asked) return false;
    if (!shown && this.offset > 0) {
      this.offset = Math.max(0, this.offset - this.size);
      this.load();
      return false;
    }
    this.newer.disabled = this.offset === 0;
    this.older.disabled = this.offset + shown >= total;
    return true;
  }

  turn(step) {
    this.offset = Math.max(0, this.offset + step * this.size);
    this.load();
  }

  reset() {
    this.offset = 0;
    this.asked += 1; // an answer on its way is for before
  }
}

// Runs `work` with `control` disabled, so a second click cannot do it twice.
export async function whileBusy(control, work) {
  control.disabled = true;
  try {
    return await work();
  } finally {
    control.disabled = false;
  }
}

// Copies the text of a read-only field: the Clipboard API where the page is a secure
// context (https, or loopback), else the field's own selection.
export async function copyField(field, button) {
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand("copy");
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = "Copy"), 2000);
}
