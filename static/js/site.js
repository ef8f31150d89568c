// Small enhancements; every page works without this file.

// An X avatar that can't load (offline, deleted) is hidden so the initials beneath show.
document.addEventListener(
  "error",
  (event) => {
    const target = event.target;
    if (target instanceof HTMLImageElement && target.closest(".avatar-stack, .nav-user")) {
      target.hidden = true;
    }
  },
  true,
);

// The live wall asks for new posts every few seconds, but never while the tab is hidden.
function tickWalls() {
  if (document.hidden || !window.htmx) return;
  document.querySelectorAll("[data-wall-poll]").forEach((el) => window.htmx.trigger(el, "wall-tick"));
}

document.addEventListener("DOMContentLoaded", () => {
  const poller = document.querySelector("[data-wall-poll]");
  if (!poller) return;
  const seconds = Math.max(Number(poller.dataset.wallPoll) || 15, 1);
  setInterval(tickWalls, seconds * 1000);
  document.addEventListener("visibilitychange", tickWalls);
});

// The organize form's city field: suggestions come as buttons (htmx, events/views/cities.py).
// Picking one fills the field and the hidden choice; the arrow keys move between them and
// Escape closes them. Without this file the server resolves what was typed.
function citySuggestions(input) {
  return document.getElementById(input.getAttribute("hx-target").slice(1));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-city-label]");
  if (!button) return;
  const field = button.closest(".city-field");
  const input = field.querySelector("[data-city-input]");
  const choice = field.querySelector("input[name=place]");
  input.value = button.dataset.cityLabel;
  if (choice) choice.value = button.dataset.cityValue;
  citySuggestions(input).replaceChildren();
  input.focus();
});

document.addEventListener("keydown", (event) => {
  const input = event.target.closest("[data-city-input]");
  const inList = event.target.closest(".city-suggestions");
  if (!input && !inList) return;
  const box = input ? citySuggestions(input) : inList;
  const field = box.closest(".city-field");
  const buttons = [...box.querySelectorAll("button")];
  if (event.key === "Escape") {
    box.replaceChildren();
    field.querySelector("[data-city-input]").focus();
    return;
  }
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  if (!buttons.length) return;
  event.preventDefault();
  const at = buttons.indexOf(document.activeElement);
  if (input) {
    buttons[event.key === "ArrowDown" ? 0 : buttons.length - 1].focus();
  } else if (event.key === "ArrowUp" && at === 0) {
    field.querySelector("[data-city-input]").focus();
  } else {
    const next = at + (event.key === "ArrowDown" ? 1 : -1);
    buttons[Math.max(0, Math.min(buttons.length - 1, next))].focus();
  }
});

// Typing again after picking a city means another city: forget the picked one.
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-city-input]");
  if (!input) return;
  const choice = input.closest(".city-field").querySelector("input[type=hidden][name=place]");
  if (choice) choice.value = "";
});
