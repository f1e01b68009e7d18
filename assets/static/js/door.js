// Doudi at the door: check in, log "material + service", check out.
// Every submission gets a client id and waits in localStorage until the
// server confirms it, so bad signal never loses a visit; the server
// accepts each id once. No build step, no framework.
(function () {
  "use strict";
  var QUEUE = "doudi-door-queue";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(QUEUE, JSON.stringify(q)); }

  var door = document.getElementById("door");
  var pending = document.getElementById("door-pending");
  var status = document.getElementById("door-status");
  var msg = function (k) { return door ? door.getAttribute("data-msg-" + k) : ""; };

  function showPending() {
    if (!pending) return;
    var n = load().length;
    pending.hidden = n === 0;
    pending.textContent = n ? (msg("pending") || "Waiting to send: ") + n : "";
  }

  function showErrors(body) {
    var list = document.getElementById("door-errors");
    if (!list) return;
    list.innerHTML = "";
    var errs = (body && body.errors) || {};
    Object.keys(errs).forEach(function (k) {
      errs[k].forEach(function (m) {
        var li = document.createElement("li");
        li.textContent = m;
        list.appendChild(li);
      });
    });
    if (body && body.error) {
      var li = document.createElement("li");
      li.textContent = body.error;
      list.appendChild(li);
    }
  }

  var flushing = false;
  // Sends what waits, oldest first. Network trouble keeps it queued; an
  // answer (even a refusal) takes it off.
  function flush() {
    if (flushing) return Promise.resolve();
    var q = load();
    if (!q.length) { showPending(); return Promise.resolve(); }
    flushing = true;
    var item = q[0];
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "accept": "application/json" },
      body: JSON.stringify(item.body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        flushing = false;
        if (res.status >= 500) { showPending(); return; }
        save(load().filter(function (x) { return x.body.client_id !== item.body.client_id; }));
        showPending();
        if (res.ok) {
          if (door && item.visit === door.getAttribute("data-visit")) {
            if (status) status.textContent = msg("saved");
            window.location.reload();
            return;
          }
          return flush();
        }
        if (door && item.visit === door.getAttribute("data-visit")) {
          showErrors(body);
          if (item.kind === "check_in" && body.errors && body.errors.location_reason) {
            document.getElementById("door-reason").hidden = false;
            document.getElementById("door-checkin").hidden = false;
            document.getElementById("door-form").hidden = true;
          }
        }
        return flush();
      });
    }).catch(function () {
      flushing = false;
      showPending();
    });
  }

  function enqueue(kind, body) {
    var visit = door.getAttribute("data-visit");
    body.client_id = uuid();
    var q = load();
    var path = { check_in: "check_in", submit: "submission", amend: "amendments" }[kind];
    q.push({ kind: kind, visit: visit, url: "/api/v1/visits/" + visit + "/" + path, body: body });
    save(q);
    showPending();
    return flush();
  }

  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  showPending();
  flush();

  // On the start page: fetch today's visit pages so they open offline.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-prefetch]"), function (a) {
    fetch(a.href, { credentials: "same-origin" }).catch(function () {});
  });

  if (!door) return;
  var amending = door.getAttribute("data-mode") === "amend";

  // Check in with the location, or the reason there is none.
  var button = document.getElementById("check-in");
  var reason = document.querySelector("#door-reason select");
  if (button) button.addEventListener("click", function () {
    var body = { device_time: new Date().toISOString() };
    if (reason.value) body.location_reason = reason.value;
    var go = function () {
      document.getElementById("door-checkin").hidden = true;
      document.getElementById("door-form").hidden = false;
      enqueue("check_in", body);
    };
    if (!navigator.geolocation) {
      if (!reason.value) { document.getElementById("door-reason").hidden = false; status.textContent = msg("no-location"); return; }
      return go();
    }
    status.textContent = msg("locating");
    navigator.geolocation.getCurrentPosition(function (p) {
      body.latitude = p.coords.latitude;
      body.longitude = p.coords.longitude;
      body.accuracy = p.coords.accuracy;
      status.textContent = "";
      go();
    }, function () {
      if (!reason.value) {
        document.getElementById("door-reason").hidden = false;
        status.textContent = msg("no-location");
        return;
      }
      go();
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // Lines: add and remove rows from their templates; a correction starts
  // from the lines on record.
  var removable = function (row) {
    row.querySelector(".remove").addEventListener("click", function () { row.remove(); });
  };
  Array.prototype.forEach.call(document.querySelectorAll("#door-form .line"), removable);
  Array.prototype.forEach.call(document.querySelectorAll("[data-add]"), function (b) {
    var kind = b.getAttribute("data-add");
    var add = function () {
      var row = document.getElementById(kind).content.firstElementChild.cloneNode(true);
      removable(row);
      b.parentNode.insertBefore(row, b);
    };
    b.addEventListener("click", add);
    if (kind === "service-line" && !amending) add();
  });

  // The signature: drawn with a finger.
  var canvas = document.getElementById("signature");
  var ctx = canvas.getContext("2d");
  var drawn = false, down = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  var at = function (e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  canvas.addEventListener("pointerdown", function (e) { down = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", function (e) { if (!down) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
  canvas.addEventListener("pointerup", function () { down = false; });
  document.getElementById("signature-clear").addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });

  document.getElementById("door-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    var val = function (el, n) { var x = el.querySelector("[name=" + n + "]"); return x ? x.value.trim() : ""; };
    var outcome = (f.querySelector("[name=outcome]:checked") || {}).value;
    var body = { outcome: outcome, device_time: new Date().toISOString(), notes: val(f, "notes") || null };
    if (outcome === "completed") {
      body.services = Array.prototype.map.call(f.querySelectorAll(".service-line"), function (r) {
        return { service: val(r, "service"), minutes: val(r, "minutes") };
      });
      body.materials = Array.prototype.map.call(f.querySelectorAll(".material-line"), function (r) {
        return { item: val(r, "item"), category: val(r, "category"), quantity: val(r, "quantity"), unit: val(r, "unit"),
                 value: val(r, "value"), funding: val(r, "funding"), donor: val(r, "donor") || null };
      });
      body.confirmed_by = val(f, "confirmed_by") || null;
      body.confirmed_relation = val(f, "confirmed_relation") || null;
      body.no_confirmation_reason = val(f, "no_confirmation_reason") || null;
      if (drawn) body.signature = canvas.toDataURL("image/png");
    }
    if (val(f, "referral_kind")) body.referrals = [{ kind: val(f, "referral_kind"), note: val(f, "referral_note") }];
    showErrors(null);
    if (amending) {
      delete body.device_time;
      body.reason = val(f, "reason");
      return enqueue("amend", body);
    }
    enqueue("submit", body);
  });
})();
