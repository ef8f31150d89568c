// Small enhancements; every page works without this file.

// An X avatar that can't load (offline, deleted, blocked) is hidden so the initials
// beneath show. Errors don't bubble: listen in the capture phase, for pictures htmx swaps
// in later too.
document.addEventListener(
  "error",
  (event) => {
    if (event.target instanceof HTMLImageElement && event.target.matches("img.avatar")) {
      event.target.hidden = true;
    }
  },
  true,
);

// Pictures that failed before this deferred script ran fired their error unheard.
function hideBrokenAvatars() {
  document.querySelectorAll("img.avatar").forEach((img) => {
    if (img.complete && img.naturalWidth === 0) img.hidden = true;
  });
}
hideBrokenAvatars();

// After an in-place RSVP the panel is new HTML: put focus back on the choice just made
// (or the panel), so keyboard and screen reader users stay where they were.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (!target || target.id !== "rsvp-panel") return;
  const panel = document.getElementById("rsvp-panel");
  if (!panel) return;
  const chosen = panel.querySelector('.rsvp-choices button[aria-pressed="true"]');
  if (chosen) {
    chosen.focus();
  } else {
    panel.setAttribute("tabindex", "-1");
    panel.focus();
  }
});

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
