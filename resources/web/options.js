// The options of Remove: the API's own remove-bg form fields, chosen once and kept in this
// browser for next time.

import { $ } from "./ui.js";

const SAVED_OPTIONS = "bgdesk.options";

function optionControls() {
  return [...$("options").querySelectorAll("[name]")];
}

export function chosenOptions() {
  const named = (name) => $("options").querySelector(`[name=${name}]`);
  const form = { format: named("format").value };
  if ($("options").querySelector("[name=background]:checked").value === "colour") {
    form.bg_color = named("bg_color").value;
  }
  for (const name of ["canvas", "quality"]) if (named(name).value) form[name] = named(name).value;
  for (const name of ["crop", "shadow"]) if (named(name).checked) form[name] = "true";
  return form;
}

function keepOptions() {
  const kept = optionControls().map((c) => [c.name, c.value, c.checked]);
  localStorage.setItem(SAVED_OPTIONS, JSON.stringify(kept));
}

function restoreOptions() {
  let kept = [];
  try {
    kept = JSON.parse(localStorage.getItem(SAVED_OPTIONS) || "[]");
  } catch {
    return;
  }
  const controls = optionControls();
  for (const [name, value, checked] of kept) {
    const control = controls.find((c) => c.name === name && (c.type !== "radio" || c.value === value));
    if (!control) continue;
    if (control.type === "checkbox" || control.type === "radio") control.checked = checked;
    else if ([...(control.options || [])].some((o) => o.value === value) || !control.options) {
      control.value = value;
    }
  }
}

export function setUpOptions() {
  restoreOptions();
  $("options").addEventListener("change", keepOptions);
  $("options").querySelector("[name=bg_color]").addEventListener("input", () => {
    $("options").querySelector("[name=background][value=colour]").checked = true;
    keepOptions();
  });
}
