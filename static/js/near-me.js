// "Near me": the browser's location, asked for only when the button is pressed, then the
// search page with ?lat=&lon=&km= (the distance filter). Never an IP-location service.
// Denied or unavailable: say so and offer the city picker. Without this file the link
// opens this week's search, where the distance filter can be filled in by hand.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-near-me]");
  if (!link || !("geolocation" in navigator)) return;
  event.preventDefault();
  const status = document.getElementById(link.dataset.nearMeStatus);
  const say = (text, failed) => {
    if (!status) return;
    status.classList.toggle("near-me-failed", failed);
    status.textContent = text;
  };
  link.setAttribute("aria-busy", "true");
  say("Finding where you are…", false);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const url = new URL(link.href, window.location.href);
      // About 100 m: close enough for "within 25 km", and no more precise than needed.
      url.searchParams.set("lat", position.coords.latitude.toFixed(3));
      url.searchParams.set("lon", position.coords.longitude.toFixed(3));
      url.searchParams.set("km", link.dataset.nearMeKm || "25");
      window.location.assign(url.toString());
    },
    () => {
      link.removeAttribute("aria-busy");
      say("We couldn't get your location. Type your city instead.", true);
      const picker = document.getElementById(link.dataset.nearMeFallback);
      if (picker) picker.focus();
    },
    { maximumAge: 10 * 60 * 1000, timeout: 15 * 1000 },
  );
});
