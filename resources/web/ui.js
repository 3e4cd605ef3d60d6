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

export function button(text, onClick, className = "quiet") {
  const made = document.createElement("button");
  made.type = "button";
  made.textContent = text;
  made.className = className;
  made.addEventListener("click", onClick);
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
