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

// Each poll says how far back the wall is: the id of its oldest post (`since`). Posts have
// ids such as "post-1900000000000000001", snowflakes too big for a Number: kept as text.
const wallPostId = (post) => post.id.slice("post-".length);

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt.matches("[data-wall-poll]")) return;
  const oldest = document.querySelector("#wall-posts > li.post:last-child");
  if (oldest) event.detail.parameters.since = wallPostId(oldest);
});

// The poll's answer brings a new poller that names the posts the wall still shows from
// `since` up to the newest it had: the others leave (deleted on X, their author gone
// protected, off a renamed hashtag, hidden by the organizer).
function dropGonePosts(poller) {
  if (!poller.matches("[data-wall-shown]")) return;
  const lowest = BigInt(poller.dataset.wallLowest);
  const highest = BigInt(poller.dataset.wallHighest);
  const shown = new Set(poller.dataset.wallShown.split(" "));
  document.querySelectorAll("#wall-posts > li.post").forEach((post) => {
    const id = wallPostId(post);
    if (!/^[0-9]+$/.test(id) || shown.has(id)) return;
    if (BigInt(id) >= lowest && BigInt(id) <= highest) post.remove();
  });
}

document.addEventListener("htmx:load", (event) => dropGonePosts(event.target));

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

// Typed into before htmx was listening (a slow phone, a quick typist): htmx takes what is in
// the field then as already seen, so ask for the suggestions now rather than at the next key.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.activeElement;
  if (field && field.value && field.matches("[hx-trigger*=typed-early]")) {
    htmx.trigger(field, "typed-early");
  }
});

// Typing again after picking a city means another city: forget the picked one.
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-city-input]");
  if (!input) return;
  const choice = input.closest(".city-field").querySelector("input[type=hidden][name=place]");
  if (choice) choice.value = "";
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
