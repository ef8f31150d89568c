// Maps (Leaflet, static/vendor/leaflet/) and "near me". Every page works without this file:
// a listing's map view still shows the list, near me is the "Near a place" fields, and the
// venue's pin is two number fields.
//
// Nothing here is inline or per visitor: what a map shows comes from data- attributes on
// the cached page (the tile server and icons on the map's box, each pin on its list row).

const WORLD = { centre: [20, 0], zoom: 2 };
const CITY_ZOOM = 12;
const VENUE_ZOOM = 16;

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML.replaceAll('"', "&quot;");
}

// Tiles from the server the settings name (MAP_TILE_URL; the CSP allows its host). If they
// can't load, the map says so once; the list beside it is unaffected.
function addTiles(map, box) {
  const credit = box.dataset.attributionUrl
    ? `<a href="${escapeHtml(box.dataset.attributionUrl)}">${escapeHtml(box.dataset.attribution)}</a>`
    : escapeHtml(box.dataset.attribution || "");
  const tiles = window.L.tileLayer(box.dataset.tileUrl, { maxZoom: 19, attribution: credit });
  tiles.once("tileerror", () => {
    const note = document.createElement("p");
    note.className = "map-tiles-failed";
    note.textContent = "The map's background couldn't load; the pins are still in place.";
    box.after(note);
  });
  tiles.addTo(map);
}

function pinIcon(box) {
  return window.L.icon({
    iconUrl: box.dataset.icon,
    iconRetinaUrl: box.dataset.icon2x,
    shadowUrl: box.dataset.iconShadow,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    popupAnchor: [1, -34],
    tooltipAnchor: [16, -28],
    shadowSize: [41, 41],
  });
}

function validPoint(lat, lon) {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}

// --- A listing's map: one pin per row on the page -------------------------------------

function popupFor(row) {
  const box = document.createElement("div");
  const link = document.createElement("a");
  const url = row.dataset.url || "";
  link.href = url.startsWith("/") ? url : "#"; // our own pages only
  link.textContent = row.dataset.title;
  link.className = "map-popup-title";
  box.append(link);
  if (row.hasAttribute("data-approximate")) {
    const note = document.createElement("p");
    note.className = "map-popup-note";
    note.textContent = "Shown at the city's centre: the organizer placed no pin.";
    box.append(note);
  }
  return box;
}

function showListingMap(box) {
  box.dataset.ready = "";
  box.replaceChildren();
  // The page scrolls past the map: no wheel zoom, and on phones one finger scrolls the
  // page (two pan and zoom the map).
  const map = window.L.map(box, { scrollWheelZoom: false, dragging: !window.L.Browser.mobile });
  addTiles(map, box);
  const icon = pinIcon(box);
  const results = box.closest("#results") || document;
  const points = [];
  results.querySelectorAll("[data-pin]").forEach((row) => {
    const lat = Number(row.dataset.lat);
    const lon = Number(row.dataset.lon);
    if (!validPoint(lat, lon)) return;
    const marker = window.L.marker([lat, lon], { icon, title: row.dataset.title, alt: row.dataset.title });
    marker.bindPopup(() => popupFor(row));
    marker.addTo(map);
    points.push([lat, lon]);
  });
  const pinCount = points.length;
  // Near a point: the circle searched, and its centre.
  const near = [Number(box.dataset.nearLat), Number(box.dataset.nearLon)];
  if (box.dataset.nearLat && validPoint(...near)) {
    const km = Number(box.dataset.nearKm) || 25;
    window.L.circle(near, { radius: km * 1000, color: "#1d4ed8", weight: 1, fillOpacity: 0.04, interactive: false }).addTo(map);
    window.L.circleMarker(near, { radius: 6, color: "#fff", weight: 2, fillColor: "#1d4ed8", fillOpacity: 1, interactive: false }).addTo(map);
    points.push(near);
  }
  // Fit the pins, and fit them again when the box changes size (a phone turned on its
  // side), until the person moves the map themselves.
  let fitting = false;
  let moved = false;
  function fit() {
    fitting = true;
    if (points.length) {
      map.fitBounds(points, { padding: [32, 32], maxZoom: 14, animate: false });
    } else {
      map.setView(WORLD.centre, WORLD.zoom, { animate: false });
    }
    fitting = false;
  }
  map.on("dragstart zoomstart", () => {
    if (!fitting) moved = true;
  });
  map.on("resize", () => {
    if (!moved) fit();
  });
  fit();
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", `Map of ${pinCount} tweetup${pinCount === 1 ? "" : "s"}`);
}

function showListingMaps() {
  if (!window.L) return; // the fallback text stays, and the list is below it
  document.querySelectorAll("[data-listing-map]:not([data-ready])").forEach(showListingMap);
}

// --- The organize and edit forms: the venue's pin ---------------------------------------

function showVenueMap(box) {
  const fieldset = box.closest("fieldset");
  const latInput = fieldset.querySelector("[name=venue_latitude]");
  const lonInput = fieldset.querySelector("[name=venue_longitude]");
  const clear = fieldset.querySelector("[data-venue-pin-clear]");
  box.hidden = false;
  box.dataset.ready = "";
  fieldset.querySelectorAll("[data-venue-pin-js]").forEach((el) => {
    el.hidden = false;
  });
  const map = window.L.map(box);
  addTiles(map, box);
  const icon = pinIcon(box);
  let pin = null;

  function typed() {
    if (latInput.value.trim() === "" || lonInput.value.trim() === "") return null;
    const lat = Number(latInput.value);
    const lon = Number(lonInput.value);
    return validPoint(lat, lon) ? [lat, lon] : null;
  }
  function write(latlng) {
    const point = latlng.wrap(); // a click east of 180° is a longitude within −180..180
    latInput.value = point.lat.toFixed(6);
    lonInput.value = point.lng.toFixed(6);
  }
  function place(point) {
    if (pin) {
      pin.setLatLng(point);
    } else {
      pin = window.L.marker(point, { icon, draggable: true, autoPan: true, title: "The venue", alt: "The venue" });
      pin.on("dragend", () => write(pin.getLatLng()));
      pin.addTo(map);
    }
    clear.hidden = false;
  }

  map.on("click", (event) => {
    place(event.latlng);
    write(event.latlng);
  });
  for (const input of [latInput, lonInput]) {
    input.addEventListener("change", () => {
      const point = typed();
      if (point) {
        place(point);
        map.panTo(point);
      }
    });
  }
  clear.addEventListener("click", () => {
    if (pin) pin.remove();
    pin = null;
    latInput.value = "";
    lonInput.value = "";
    clear.hidden = true;
  });
  // Picking another city in the city field moves the map there (the pin, if any, stays).
  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-city-lat]");
    if (!choice || pin) return;
    const point = [Number(choice.dataset.cityLat), Number(choice.dataset.cityLon)];
    if (validPoint(...point)) map.setView(point, CITY_ZOOM);
  });

  const start = typed();
  const centre = [Number(box.dataset.centreLat), Number(box.dataset.centreLon)];
  if (start) {
    place(start);
    map.setView(start, VENUE_ZOOM);
  } else if (box.dataset.centreLat && validPoint(...centre)) {
    map.setView(centre, CITY_ZOOM);
  } else {
    map.setView(WORLD.centre, WORLD.zoom);
  }
}

function showVenueMaps() {
  if (!window.L) return;
  document.querySelectorAll("[data-venue-map]:not([data-ready])").forEach(showVenueMap);
}

// --- Near me: the browser's location, asked for only when the button is pressed ----------

function nearMeDenied(reason) {
  const box = document.querySelector("[data-near-me-denied]");
  if (!box) return;
  box.querySelector("[data-near-me-reason]").textContent = reason;
  box.hidden = false;
  box.focus();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-near-me]");
  if (!button) return;
  const form = button.closest("form");
  const status = form.querySelector("[data-near-me-status]");
  if (!navigator.geolocation) {
    nearMeDenied("Your browser can't share a location.");
    return;
  }
  button.disabled = true;
  status.textContent = "Asking your browser where you are…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      // Two decimals (about a kilometre) is all a distance filter needs, and nearby
      // people share the cached page.
      form.elements.lat.value = position.coords.latitude.toFixed(2);
      form.elements.lon.value = position.coords.longitude.toFixed(2);
      const details = form.querySelector("[data-near-details]");
      if (details) details.open = true;
      status.textContent = "Showing tweetups near you, nearest first.";
      button.disabled = false;
      const denied = document.querySelector("[data-near-me-denied]");
      if (denied) denied.hidden = true;
      form.requestSubmit(); // a GET: the URL keeps the point (htmx updates in place)
    },
    (error) => {
      button.disabled = false;
      status.textContent = "";
      nearMeDenied(
        error.code === error.PERMISSION_DENIED
          ? "You didn't allow this site to see your location."
          : "Your browser couldn't tell where you are.",
      );
    },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
  );
});

function showNearMeButtons() {
  if (!("geolocation" in navigator)) return;
  document.querySelectorAll("[data-near-me]").forEach((button) => {
    button.hidden = false;
  });
}

function showMaps() {
  showListingMaps();
  showVenueMaps();
}

// Deferred scripts run in order before DOMContentLoaded: Leaflet (deferred too) is there.
showNearMeButtons();
showMaps();
document.addEventListener("htmx:afterSettle", showListingMaps); // new results, new pins
