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

// Sharing: "Copy link" where the clipboard can be written, the phone's share sheet where
// there is one. Without them the link is still there to select, and "Post on X" is a link.
function showSharing() {
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      button.hidden = false;
    });
  }
  if (typeof navigator.share === "function") {
    document.querySelectorAll("button[data-share-url]").forEach((button) => {
      button.hidden = false;
    });
  }
}
showSharing();

async function copyLink(button) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) {
      status.classList.remove("copy-failed");
      status.textContent = "Link copied.";
    }
  } catch {
    field.select();
    if (status) {
      status.classList.add("copy-failed");
      status.textContent = "Couldn't copy. The link is selected: press Ctrl+C (⌘C on a Mac).";
    }
  }
}

async function shareLink(button) {
  try {
    await navigator.share({
      title: button.dataset.shareTitle,
      text: button.dataset.shareText,
      url: button.dataset.shareUrl,
    });
  } catch {
    // Closed without sharing, or not allowed here: nothing to undo.
  }
}

document.addEventListener("click", (event) => {
  if (!(event.target instanceof Element)) return;
  const copy = event.target.closest("button[data-copy]");
  if (copy) copyLink(copy);
  const share = event.target.closest("button[data-share-url]");
  if (share) shareLink(share);
});

// A readonly link field selects all of itself on focus, ready to copy by hand.
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.closest(".copy-link")) {
    event.target.select();
  }
});
