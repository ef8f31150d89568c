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
