// Tawasul pages work without this file; it only improves them: a map to pick the place,
// "use my location", previews of chosen photos, live updates of cases and queues. No inline
// code anywhere (strict CSP).
(function () {
  "use strict";

  function mapPicker(el) {
    if (!window.L || !el.dataset.tiles) return;
    var lat = document.getElementById(el.dataset.latInput);
    var lon = document.getElementById(el.dataset.lonInput);
    el.hidden = false;
    el.setAttribute("role", "application");
    el.setAttribute("aria-label", el.dataset.mapLabel || "");
    var start = [parseFloat(lat.value), parseFloat(lon.value)];
    var has = isFinite(start[0]) && isFinite(start[1]);
    var map = L.map(el).setView(has ? start : [26.2235, 50.5876], has ? 16 : 11);
    map.attributionControl.setPrefix(false);
    var failures = 0;
    var tiles = L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" });
    tiles.on("tileerror", function () {
      failures += 1;
      if (failures === 4) {
        var note = document.createElement("p");
        note.className = "hint";
        note.setAttribute("role", "status");
        note.textContent = el.dataset.tilesFailed || "";
        el.parentNode.insertBefore(note, el.nextSibling);
      }
    });
    tiles.addTo(map);
    var marker = null;
    // The marker follows the fields; the fields are rewritten only from the map (a click, a
    // drag, the device's position), so what the server filled in or the resident typed stays
    // as written.
    function mark(latlng, pan) {
      if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.off("dragend").on("dragend", function () { place(marker.getLatLng(), false); });
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 16));
    }
    function place(latlng, pan) {
      mark(latlng, pan);
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
    if (has) mark(L.latLng(start[0], start[1]), false);
    map.on("click", function (e) { place(e.latlng, false); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = parseFloat(lat.value), b = parseFloat(lon.value);
        if (isFinite(a) && isFinite(b)) mark(L.latLng(a, b), true);
      });
    });
    if (navigator.geolocation) {
      var tools = document.createElement("p");
      tools.className = "map-tools";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = el.dataset.locateLabel || "";
      button.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          place(L.latLng(p.coords.latitude, p.coords.longitude), true);
        });
      });
      tools.appendChild(button);
      el.parentNode.insertBefore(tools, el);
    }
  }

  function mapView(el) {
    var tiles = document.querySelector("[data-tiles]");
    var url = el.dataset.tiles || (tiles && tiles.dataset.tiles);
    if (!window.L || !url) return;
    el.hidden = false;
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", el.dataset.mapLabel || "");
    var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    var map = L.map(el).setView(at, 16);
    map.attributionControl.setPrefix(false);
    L.tileLayer(url, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    L.marker(at).addTo(map);
  }

  function previews(input) {
    var list = input.parentNode.querySelector(".previews");
    if (!list) return;
    input.addEventListener("change", function () {
      list.textContent = "";
      var max = parseInt(input.dataset.max || "5", 10);
      Array.prototype.slice.call(input.files, 0, max).forEach(function (file) {
        var item = document.createElement("li");
        if (file.type.indexOf("image/") === 0 && window.URL) {
          var img = document.createElement("img");
          img.alt = file.name;
          img.src = URL.createObjectURL(file);
          img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
          item.appendChild(img);
        } else {
          item.textContent = file.name;
        }
        list.appendChild(item);
      });
    });
  }

  // Live updates: fetch the page again every few seconds while it is visible, swap in each
  // data-live region that changed (never one holding the focus), and when the page's version
  // moves on, say so in the polite status note (present and empty from the start, so it is announced) with a link to reload (for fresh forms).
  function live(note) {
    var every = Math.max(2, parseInt(note.dataset.liveEvery, 10) || 30) * 1000;
    var failures = 0;
    function schedule() {
      setTimeout(poll, every * Math.min(8, Math.pow(2, failures)));
    }
    function poll() {
      if (document.hidden) return schedule();
      fetch(note.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          failures = 0;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live]").forEach(function (region) {
            var next = fresh.querySelector('[data-live="' + region.dataset.live + '"]');
            if (next && next.innerHTML !== region.innerHTML && !region.contains(document.activeElement)) {
              region.innerHTML = next.innerHTML;
            }
          });
          var version = fresh.querySelector("[data-live-version]");
          if (version && version.dataset.liveVersion !== note.dataset.liveVersion) {
            note.dataset.liveVersion = version.dataset.liveVersion;
            note.textContent = note.dataset.liveMessage + " ";
            var reload = document.createElement("a");
            reload.href = note.dataset.liveUrl;
            reload.textContent = note.dataset.liveReload;
            note.appendChild(reload);
          }
        })
        .catch(function () { failures += 1; })
        .then(schedule);
    }
    schedule();
  }


  // The live chat (resident and staff pages alike): a WebSocket when one opens, else
  // long-polling; the forms still post without script. New lines, the dialogue's buttons and
  // "typing…" come in; a change of the chat's status (picked up, over) reloads the page, whose
  // forms then fit it.
  function chat(root) {
    var list = root.querySelector(".chat-lines");
    var send = root.querySelector("form.chat-send");
    var buttons = root.querySelector(".chat-choices");
    var typing = root.querySelector(".chat-typing");
    var after = Number(root.dataset.chatAfter || 0);
    var status = root.dataset.chatStatus;
    var socket = null;
    var polling = false;
    var typingTimer = null;
    var lastTyped = 0;
    // A form this page is posting (ending the chat, making a case) goes where it goes; the
    // chat's own change of status must not reload the page under it.
    var leaving = false;
    window.addEventListener("submit", function (event) { if (!event.defaultPrevented) leaving = true; });

    function add(lines) {
      (lines || []).forEach(function (line) {
        if (line.id <= after) return;
        after = line.id;
        var item = document.createElement("li");
        item.className = "said-" + line.direction;
        var text = document.createElement("p");
        text.dir = "auto";
        text.textContent = line.body;
        item.appendChild(text);
        list.appendChild(item);
      });
      if (list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "nearest" });
    }

    function choices(all) {
      if (!buttons) return;
      buttons.replaceChildren();
      (all || []).forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = choice.label;
        button.addEventListener("click", function () { say(choice.key); });
        buttons.appendChild(button);
      });
    }

    function apply(update) {
      if (!update) return;
      if (update.typing) {
        if (typing) {
          typing.hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.hidden = true; }, 3000);
        }
        return;
      }
      add(update.lines);
      if ("choices" in update) choices(update.choices);
      if (typing) typing.hidden = true;
      if (update.status && update.status !== status) {
        status = update.status;
        if (!leaving) window.location.reload();
      }
    }

    function post(body) {
      var data = new URLSearchParams();
      data.set("csrf_token", send.querySelector("[name=csrf_token]").value);
      data.set("message", body);
      return fetch(send.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(apply);
    }

    function say(body) {
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "message", body: body }));
      else post(body);
    }

    function poll() {
      if (polling) return;
      polling = true;
      (function next() {
        fetch(root.dataset.chatPoll + "?after=" + after, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.status === 200 ? response.json() : null; })
          .then(function (update) { apply(update); setTimeout(next, update ? 250 : 3000); })
          .catch(function () { setTimeout(next, 3000); });
      })();
    }

    if (send) {
      send.addEventListener("submit", function (event) {
        var field = send.querySelector("[name=message]");
        var body = field.value.trim();
        if (status === "ended") return;
        event.preventDefault();
        if (!body) return;
        field.value = "";
        say(body);
      });
      send.querySelector("[name=message]").addEventListener("input", function () {
        var now = Date.now();
        if (socket && socket.readyState === 1 && now - lastTyped > 1500) {
          lastTyped = now;
          socket.send(JSON.stringify({ type: "typing" }));
        }
      });
    }
    if (buttons) {
      buttons.querySelectorAll("button[name=message]").forEach(function (button) {
        button.addEventListener("click", function (event) {
          event.preventDefault();
          say(button.value);
        });
      });
    }
    if (status === "ended" || !root.dataset.chatWs) return;
    try {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + root.dataset.chatWs);
      socket.onmessage = function (event) { apply(JSON.parse(event.data)); };
      socket.onclose = function () { socket = null; poll(); };
    } catch (e) {
      poll();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.L && L.Icon && L.Icon.Default) L.Icon.Default.imagePath = "/assets/vendor/leaflet/images/";
    document.querySelectorAll(".map-picker").forEach(mapPicker);
    document.querySelectorAll(".map-view").forEach(mapView);
    document.querySelectorAll("input[type=file][data-max]").forEach(previews);
    document.querySelectorAll("[data-live-url]").forEach(live);
    document.querySelectorAll("[data-chat]").forEach(chat);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
