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
