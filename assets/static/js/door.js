// Doudi at the door: check in, log "material + service", check out.
// Every record gets a client id and waits in localStorage until the server
// answers it with a 2xx (a repeat of the id is answered with the first
// answer, so sending twice is harmless). Nothing else takes it off the
// phone: a 401 keeps it and asks the worker to sign in again; any other
// refusal keeps it under "needs attention", to be corrected and sent again,
// or discarded after a second tap; network trouble and 5xx retry later.
// The queue, the drafts and the ad-hoc visits made offline belong to the
// signed-in user (`data-door-user`): another person on the same phone
// neither sees nor sends them, and signing out deletes none of it.
// No build step, no framework.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  // On the start page: fetch today's visit pages (and the ad-hoc form) so
  // they open offline.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-prefetch]"), function (a) {
    fetch(a.href, { credentials: "same-origin" }).catch(function () {});
  });

  var box = document.getElementById("door-queue");
  var user = box && box.getAttribute("data-door-user");
  if (!user) return;

  var PREFIX = "doudi-door:" + user + ":";
  var QUEUE = PREFIX + "queue";
  var IDS = PREFIX + "ids"; // ad-hoc visits made offline: client id -> pid
  var LEGACY = "doudi-door-queue"; // before queues were per user
  var PATHS = { check_in: "check_in", submit: "submission", amend: "amendments" };
  var RETRY_MIN = 5000, RETRY_MAX = 300000;

  var door = document.getElementById("door");
  var status = document.getElementById("door-status");
  var adHocForm = document.getElementById("ad-hoc-form");
  var local = !!(door && door.getAttribute("data-local"));
  var amending = !!(door && door.getAttribute("data-mode") === "amend");

  var msg = function (k) { return (box.getAttribute("data-msg-" + k) || "").replace(/[\u2068\u2069]/g, ""); };
  var doorMsg = function (k) { return door ? door.getAttribute("data-msg-" + k) || "" : ""; };
  var say = function (text) { if (status) status.textContent = text || ""; };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ---- storage -----------------------------------------------------------
  function read(key, dflt) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v == null ? dflt : v; } catch (e) { return dflt; }
  }
  function write(key, v) {
    try { localStorage.setItem(key, JSON.stringify(v)); return true; } catch (e) { return false; }
  }
  function load() { var q = read(QUEUE, []); return Array.isArray(q) ? q : []; }
  // Changes the queue as stored now (another tab may have changed it);
  // false when the phone's storage is full.
  function update(change) {
    var q = load();
    change(q);
    var ok = write(QUEUE, q);
    render();
    return ok;
  }
  function find(id) { return load().filter(function (x) { return x.id === id; })[0]; }
  function isLocal(v) { return String(v || "").indexOf("local:") === 0; }

  // Records queued by the script before queues were per user: kept, and
  // from now on this user's (the server refuses them if they are not).
  (function adopt() {
    var old = read(LEGACY, null);
    if (!Array.isArray(old) || !old.length) return;
    var q = load();
    old.forEach(function (x) {
      if (!x || !x.body || !x.body.client_id || !PATHS[x.kind]) return;
      if (q.some(function (y) { return y.id === x.body.client_id; })) return;
      q.push({ id: x.body.client_id, kind: x.kind, visit: x.visit, body: x.body, label: "", state: "queued", tries: 0, at: Date.now() });
    });
    if (write(QUEUE, q)) localStorage.removeItem(LEGACY);
  })();

  // A visit known by a local id gets its pid (or a new local id): every
  // queued record and draft follows.
  function rename(from, to) {
    update(function (q) { q.forEach(function (x) { if (x.visit === from) x.visit = to; }); });
    var inAt = localStorage.getItem(PREFIX + "in:" + from);
    if (inAt) { try { localStorage.setItem(PREFIX + "in:" + to, inAt); localStorage.removeItem(PREFIX + "in:" + from); } catch (e) {} }
    var pre = PREFIX + "draft:" + from + ":";
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var k = localStorage.key(i);
      if (k && k.indexOf(pre) === 0) {
        var v = localStorage.getItem(k);
        try { localStorage.setItem(PREFIX + "draft:" + to + ":" + k.slice(pre.length), v); localStorage.removeItem(k); } catch (e) {}
      }
    }
    if (door && door.getAttribute("data-visit") === from) door.setAttribute("data-visit", to);
  }

  // ---- sending -----------------------------------------------------------
  var flushing = false, signIn = false, otherUser = false, retryNote = false, timer = null;
  var sentHere = {}; // kinds answered 2xx for the visit on this page

  function urlOf(it) {
    return it.kind === "ad_hoc" ? "/api/v1/visits" : "/api/v1/visits/" + it.visit + "/" + PATHS[it.kind];
  }

  // The first record that may go now: a visit's records go in order, so a
  // record waits behind an earlier one of its visit that is refused or not
  // yet sent, and behind the creation of a visit made offline.
  function nextToSend(q, force) {
    var held = {}, now = Date.now();
    for (var i = 0; i < q.length; i++) {
      var it = q[i];
      if (held[it.visit] || it.state === "attention" || (isLocal(it.visit) && it.kind !== "ad_hoc") ||
          (!force && it.next && it.next > now)) {
        held[it.visit] = true;
        continue;
      }
      return it;
    }
    return null;
  }

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", "accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (b) { return { status: res.status, body: b || {} }; });
    }, function () { return { status: 0, body: {} }; });
  }
  var retryable = function (s) { return s === 0 || s === 408 || s === 429 || s >= 500; };

  function messages(r) {
    var out = [];
    var errs = (r.body && r.body.errors) || {};
    Object.keys(errs).forEach(function (k) { (errs[k] || []).forEach(function (m) { out.push(String(m)); }); });
    if (r.body && r.body.error) out.push(String(r.body.error));
    if (!out.length) out.push(msg("refused").replace("#", String(r.status)));
    return out;
  }

  function later(it) {
    retryNote = true;
    update(function (q) {
      q.forEach(function (x) {
        if (x.id !== it.id) return;
        x.tries = (x.tries || 0) + 1;
        x.next = Date.now() + Math.min(RETRY_MAX, RETRY_MIN * Math.pow(2, x.tries - 1));
      });
    });
    var wait = Math.min(RETRY_MAX, RETRY_MIN * Math.pow(2, (it.tries || 0)));
    clearTimeout(timer);
    timer = setTimeout(function () { flush(false); }, wait + 50);
  }

  function refused(it, r, list) {
    update(function (q) {
      q.forEach(function (x) {
        if (x.id !== it.id) return;
        x.state = "attention";
        x.status = r.status;
        x.errors = list || messages(r);
        x.fields = Object.keys((r.body && r.body.errors) || {});
        delete x.next;
      });
    });
    if (door && it.visit === door.getAttribute("data-visit")) {
      // Refused: not logged after all, so no "logged, on to the next visit".
      var st = door.getAttribute("data-status"), nx = document.getElementById("door-next");
      if (nx && (st === "scheduled" || st === "in_progress")) nx.hidden = true;
      showDoor();
    }
  }

  function done(it, r) {
    var pid = it.kind === "ad_hoc" ? r.body.pid : it.visit;
    update(function (q) {
      for (var i = q.length - 1; i >= 0; i--) if (q[i].id === it.id) q.splice(i, 1);
    });
    if (it.kind === "ad_hoc") {
      var ids = read(IDS, {});
      ids[it.id] = pid;
      write(IDS, ids);
      rename(it.visit, pid);
    }
    if (it.draft) localStorage.removeItem(it.draft.replace("{visit}", pid));
    if (it.kind === "submit") localStorage.removeItem(PREFIX + "in:" + pid);
    if (door && door.getAttribute("data-visit") === pid) {
      sentHere[it.kind] = true;
      if (it.kind === "check_in") door.setAttribute("data-status", "in_progress");
      if (local) history.replaceState(null, "", "/visits/" + pid);
    }
    // The page the service worker keeps for this visit is out of date now.
    refresh.push("/visits/" + pid);
  }
  var refresh = [];

  // Who the server thinks is signed in: the queue goes only with its owner.
  function whoami() {
    return request("GET", "/api/v1/auth/me").then(function (r) {
      if (r.status === 401) { signIn = true; return false; }
      if (retryable(r.status)) { retryNote = true; return false; }
      if (r.body.pid !== user) { otherUser = true; return false; }
      otherUser = false;
      return true;
    });
  }

  // An amendment starts from the record as this page showed it: if it was
  // corrected since (or the page was an old copy), it is not sent.
  function precheck(it) {
    if (it.kind !== "amend" || typeof it.base !== "number") return Promise.resolve(null);
    return request("GET", "/api/v1/visits/" + it.visit).then(function (r) {
      if (r.status >= 200 && r.status < 300) {
        var n = (r.body.amendments || []).length;
        return n === it.base ? null : { status: 409, body: { error: msg("changed") } };
      }
      return r.status === 404 ? null : r;
    });
  }

  // Sends what may go, one at a time, oldest first.
  function flush(force) {
    if (flushing || signIn) return Promise.resolve();
    if (!nextToSend(load(), force)) { render(); return Promise.resolve(); }
    flushing = true;
    return whoami().then(function (ok) {
      if (!ok) { if (retryNote) later(nextToSend(load(), true) || {}); return; }
      return step(force);
    }).then(function () { flushing = false; finish(); }, function () { flushing = false; render(); });
  }

  function step(force) {
    var it = nextToSend(load(), force);
    if (!it) return Promise.resolve();
    return precheck(it).then(function (pre) {
      return pre || request("POST", urlOf(it), it.body);
    }).then(function (r) {
      if (r.status >= 200 && r.status < 300 && r.body && r.body.pid) { retryNote = false; done(it, r); return step(force); }
      if (r.status === 401) { signIn = true; return; }
      if (retryable(r.status)) { later(it); return; }
      refused(it, r);
      return step(force);
    });
  }

  function finish() {
    render();
    var stale = refresh.splice(0);
    if (stale.length) stale.concat(["/today"]).forEach(function (u) {
      fetch(u, { credentials: "same-origin" }).catch(function () {});
    });
    if (!door) return;
    var visit = door.getAttribute("data-visit");
    var mine = load().filter(function (x) { return x.visit === visit; });
    // The record is in: show the page as the server has it now.
    if ((sentHere.submit || sentHere.amend || (local && !isLocal(visit))) && !mine.length) {
      sentHere = {};
      if (local) window.location.replace("/visits/" + visit);
      else window.location.reload();
      return;
    }
    if (sentHere.check_in) { sentHere.check_in = false; if (!fixing) say(doorMsg("saved")); }
  }

  // ---- what the page shows ------------------------------------------------
  function kindOf(it) { return msg("kind-" + it.kind); }
  function linkOf(it) {
    if (it.kind === "ad_hoc" || isLocal(it.visit)) return "/visits/new#local=" + String(it.visit).slice(6);
    return "/visits/" + it.visit;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function labelOf(it) { return it.label || (isLocal(it.visit) ? msg("local") : ""); }

  function discard(it) {
    var drop = [it.id];
    // A visit made offline takes what was logged for it along.
    if (it.kind === "ad_hoc") load().forEach(function (x) { if (x.visit === it.visit) drop.push(x.id); });
    update(function (q) {
      for (var i = q.length - 1; i >= 0; i--) if (drop.indexOf(q[i].id) >= 0) q.splice(i, 1);
    });
    if (it.draft) localStorage.removeItem(it.draft.replace("{visit}", it.visit));
    if (door && it.visit === door.getAttribute("data-visit")) { fixing = null; showDoor(); }
    flush(true);
  }

  // Discarding asks twice: the first tap turns the button into "really?"
  // for a few seconds (kept across redraws of the list).
  var armed = null, disarm = null;
  function discardButton(it) {
    var b = el("button", null, null);
    b.type = "button";
    b.setAttribute("data-discard", it.id);
    var look = function () {
      var on = armed === it.id;
      b.textContent = on ? msg("discard-confirm") : msg("discard");
      b.className = on ? "secondary small confirm" : "outline secondary small";
    };
    look();
    b.addEventListener("click", function () {
      clearTimeout(disarm);
      if (armed === it.id) { armed = null; discard(it); return; }
      armed = it.id;
      disarm = setTimeout(function () { armed = null; render(); }, 6000);
      render();
    });
    return b;
  }

  function render() {
    var q = load();
    var attention = q.filter(function (x) { return x.state === "attention"; });
    var waiting = q.filter(function (x) { return x.state !== "attention"; });
    var here = door && door.getAttribute("data-visit");

    var sign = document.getElementById("door-signin");
    if (sign) {
      sign.hidden = !(signIn || otherUser) || !q.length;
      sign.querySelector("p").textContent = otherUser ? msg("other-user") : msg("signin");
      var next = local ? "/today" : window.location.pathname + window.location.search;
      sign.querySelector("a").href = "/login?next=" + encodeURIComponent(next);
    }

    var att = document.getElementById("door-attention");
    if (att) {
      att.hidden = !attention.length;
      var list = att.querySelector("ul");
      list.innerHTML = "";
      attention.forEach(function (it) {
        var li = el("li", "door-item", null);
        li.setAttribute("data-id", it.id);
        li.appendChild(el("strong", null, kindOf(it) + (labelOf(it) ? " · " + labelOf(it) : "")));
        (it.errors || []).forEach(function (m) { li.appendChild(el("p", "field-error", m)); });
        var actions = el("div", "door-actions", null);
        var mineHere = here && (it.visit === here);
        if (mineHere) {
          var fix = el("button", "small", msg("fix"));
          fix.type = "button";
          fix.addEventListener("click", function () { startFix(it.id); });
          actions.appendChild(fix);
        } else {
          var a = el("a", null, msg("open"));
          a.setAttribute("role", "button");
          a.className = "small";
          a.href = linkOf(it);
          actions.appendChild(a);
        }
        actions.appendChild(discardButton(it));
        li.appendChild(actions);
        list.appendChild(li);
      });
    }

    var pend = document.getElementById("door-pending");
    if (pend) {
      pend.hidden = !waiting.length;
      var count = pend.querySelector(".door-count");
      var lead = msg("pending") || "Waiting to send:";
      if (/:$/.test(lead)) lead += " ";
      if (count) count.textContent = waiting.length ? lead + waiting.length + (retryNote ? " · " + msg("retry") : "") : "";
      var ul = pend.querySelector("ul");
      if (ul) {
        ul.innerHTML = "";
        var held = {};
        q.forEach(function (it) {
          if (it.state === "attention") { held[it.visit] = true; return; }
          var li = el("li", null, null);
          var text = kindOf(it) + (labelOf(it) ? " · " + labelOf(it) : "");
          if (here && it.visit === here) li.appendChild(el("span", null, text));
          else { var a = el("a", null, text); a.href = linkOf(it); li.appendChild(a); }
          if (held[it.visit]) li.appendChild(el("small", "muted", " (" + msg("held") + ")"));
          held[it.visit] = true;
          ul.appendChild(li);
        });
      }
    }
  }

  var sendNow = document.getElementById("door-send-now");
  if (sendNow) sendNow.addEventListener("click", function () { signIn = false; flush(true); });

  window.addEventListener("online", function () { retryNote = false; flush(true); });
  // Back from signing in on another tab, say: try again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { signIn = false; flush(false); }
  });
  window.addEventListener("storage", function (e) { if (e.key === QUEUE) render(); });
  setInterval(function () { flush(false); }, 30000);

  // ---- the door -----------------------------------------------------------
  var fixing = null; // the id of the refused record being corrected
  if (!door) { render(); flush(true); return; }

  var form = document.getElementById("door-form");
  var checkin = document.getElementById("door-checkin");
  var reasonBox = document.getElementById("door-reason");
  var reason = reasonBox && reasonBox.querySelector("select");
  var errorList = document.getElementById("door-errors");
  var mode = amending ? "amend" : "door";
  var visitId = function () { return door.getAttribute("data-visit"); };
  var draftKey = function () { return PREFIX + "draft:" + visitId() + ":" + mode; };

  function showErrors(list) {
    if (!errorList) return;
    errorList.innerHTML = "";
    (list || []).forEach(function (m) { errorList.appendChild(el("li", null, m)); });
  }

  // Where the door is: the check-in, the form, or "waiting to send".
  function showDoor() {
    var mine = load().filter(function (x) { return x.visit === visitId(); });
    var refusedOne = mine.filter(function (x) { return x.state === "attention"; })[0];
    if (refusedOne && (fixing === null || !find(fixing))) return startFix(refusedOne.id);
    if (fixing) return;
    var logged = mine.some(function (x) { return (x.kind === "submit" || x.kind === "amend") && x.state !== "attention"; });
    var checkedIn = door.getAttribute("data-status") === "in_progress" || mine.some(function (x) { return x.kind === "check_in"; });
    if (logged) {
      if (checkin) checkin.hidden = true;
      form.hidden = true;
      say(doorMsg("waiting"));
      showNext();
      return;
    }
    if (amending) { form.hidden = false; return; }
    if (checkin) checkin.hidden = checkedIn;
    form.hidden = !checkedIn;
  }

  // Logged (on the phone or on the server): on to the next visit.
  function showNext() {
    var next = document.getElementById("door-next");
    if (!next || !next.hidden) return;
    next.hidden = false;
    next.scrollIntoView({ block: "start" });
  }

  // A refused record back in the form (or the check-in), to correct.
  function startFix(id) {
    var it = find(id);
    if (!it) return;
    fixing = id;
    say(doorMsg("fixing"));
    if (it.kind === "check_in") {
      form.hidden = true;
      if (checkin) checkin.hidden = false;
      if (reasonBox) reasonBox.hidden = false;
      if (reason && it.body.location_reason) reason.value = it.body.location_reason;
      (checkin || door).scrollIntoView({ block: "start" });
      return;
    }
    if (it.kind === "ad_hoc") return;
    if (checkin) checkin.hidden = true;
    form.hidden = false;
    var box2 = document.getElementById("amend-box");
    if (box2) box2.open = true;
    // Changed meanwhile (409): the page shows the record as it is now, and
    // the correction is made again on it, never on the old copy.
    if (it.status !== 409) fill(it.form || {}, it.sig || it.body.signature || null);
    if ((it.fields || []).indexOf("minutes_reason") >= 0) showWhy();
    showErrors(it.errors);
    form.scrollIntoView({ block: "start" });
  }

  // Queues a record of this visit; a correction of a refused one takes its
  // place (records after it keep waiting behind it).
  function enqueue(kind, body, extra) {
    body.client_id = uuid();
    var it = { id: body.client_id, kind: kind, visit: visitId(), body: body, label: door.getAttribute("data-label") || "",
               at: Date.now(), state: "queued", tries: 0 };
    Object.keys(extra || {}).forEach(function (k) { it[k] = extra[k]; });
    var was = fixing;
    var ok = update(function (q) {
      var i = -1;
      q.forEach(function (x, n) { if (x.id === was) i = n; });
      if (i >= 0) q[i] = it; else q.push(it);
    });
    if (!ok) { say(doorMsg("storage-full")); return false; }
    fixing = null;
    showErrors(null);
    showDoor();
    if (kind !== "check_in") say(doorMsg("waiting"));
    flush(true);
    return true;
  }

  // ---- check-in ------------------------------------------------------------
  // The server refuses a check-in without a reason when there is no
  // location or it is farther than the radius from the home: ask first.
  var R = 6371008.8;
  function distance(a, b) {
    var rad = Math.PI / 180, p1 = a[0] * rad, p2 = b[0] * rad;
    var dp = p2 - p1, dl = (b[1] - a[1]) * rad;
    var h = Math.pow(Math.sin(dp / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  function homeOf() {
    var lat = parseFloat(door.getAttribute("data-home-lat")), lon = parseFloat(door.getAttribute("data-home-lon"));
    return isFinite(lat) && isFinite(lon) ? [lat, lon] : null;
  }
  function tooFar(point) {
    if (!point) return true;
    var home = homeOf();
    var radius = parseFloat(door.getAttribute("data-radius")) || 500;
    // A few metres inside the radius, so rounding never turns into a refusal.
    return !!home && distance(point, home) > radius - 5;
  }

  var button = document.getElementById("check-in");
  if (button) button.addEventListener("click", function () {
    var body = { device_time: new Date().toISOString() };
    var go = function (point) {
      if (tooFar(point) && !(reason && reason.value)) {
        if (reasonBox) reasonBox.hidden = false;
        say(point ? doorMsg("far") : doorMsg("no-location"));
        return;
      }
      if (reason && reason.value) body.location_reason = reason.value;
      say("");
      // The check-in as this phone recorded it: the service minutes are
      // checked against it before the record is queued.
      try { localStorage.setItem(PREFIX + "in:" + visitId(), body.device_time); } catch (e) {}
      enqueue("check_in", body, {});
    };
    if (!navigator.geolocation) return go(null);
    say(doorMsg("locating"));
    navigator.geolocation.getCurrentPosition(function (p) {
      body.latitude = p.coords.latitude;
      body.longitude = p.coords.longitude;
      body.accuracy = p.coords.accuracy;
      go([p.coords.latitude, p.coords.longitude]);
    }, function () { go(null); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // ---- the form: lines, signature, draft ------------------------------------
  var saveSoon = null;
  function saveDraft() {
    clearTimeout(saveSoon);
    saveSoon = setTimeout(function () {
      if (form.hidden) return;
      var d = snapshot();
      var sig = drawn ? canvas.toDataURL("image/png") : null;
      // Correcting a refused record: the corrections are kept with it.
      var fixed = fixing && find(fixing);
      if (fixed && fixed.form && fixed.status !== 409) {
        update(function (q) { q.forEach(function (x) { if (x.id === fixing) { x.form = d; x.sig = sig; } }); });
        return;
      }
      d.signature = sig;
      write(draftKey(), d);
    }, 250);
  }

  var removable = function (row) {
    row.querySelector(".remove").addEventListener("click", function () { row.remove(); saveDraft(); });
  };
  Array.prototype.forEach.call(form.querySelectorAll(".line"), removable);
  function addLine(kind) {
    var b = form.querySelector("[data-add=" + kind + "]");
    var row = document.getElementById(kind).content.firstElementChild.cloneNode(true);
    removable(row);
    b.parentNode.insertBefore(row, b);
    return row;
  }
  Array.prototype.forEach.call(form.querySelectorAll("[data-add]"), function (b) {
    b.addEventListener("click", function () { addLine(b.getAttribute("data-add")); saveDraft(); });
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
  canvas.addEventListener("pointerup", function () { down = false; saveDraft(); });
  function clearSignature() { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; }
  document.getElementById("signature-clear").addEventListener("click", function () { clearSignature(); saveDraft(); });
  function drawSignature(url) {
    clearSignature();
    if (!url || String(url).indexOf("data:image/") !== 0) return;
    var img = new Image();
    img.onload = function () { ctx.drawImage(img, 0, 0, canvas.width, canvas.height); drawn = true; };
    img.src = url;
  }

  var val = function (root, n) { var x = root.querySelector("[name=" + n + "]"); return x ? x.value.trim() : ""; };
  var set = function (root, n, v) { var x = root.querySelector("[name=" + n + "]"); if (x && v != null) x.value = v; };

  // Everything typed, whatever the outcome (the body sent is cut from it).
  function snapshot() {
    return {
      outcome: (form.querySelector("[name=outcome]:checked") || {}).value,
      services: Array.prototype.map.call(form.querySelectorAll(".service-line"), function (r) {
        return { service: val(r, "service"), minutes: val(r, "minutes") };
      }),
      materials: Array.prototype.map.call(form.querySelectorAll(".material-line"), function (r) {
        return { item: val(r, "item"), category: val(r, "category"), quantity: val(r, "quantity"), unit: val(r, "unit"),
                 value: val(r, "value"), funding: val(r, "funding"), donor: val(r, "donor") };
      }),
      notes: val(form, "notes"),
      referral_kind: val(form, "referral_kind"),
      referral_note: val(form, "referral_note"),
      confirmed_by: val(form, "confirmed_by"),
      confirmed_relation: val(form, "confirmed_relation"),
      no_confirmation_reason: val(form, "no_confirmation_reason"),
      minutes_reason: val(form, "minutes_reason"),
      reason: val(form, "reason")
    };
  }

  function fill(d, signature) {
    if (d.outcome) {
      var radio = form.querySelector("[name=outcome][value=" + d.outcome + "]");
      if (radio) radio.checked = true;
    }
    Array.prototype.forEach.call(form.querySelectorAll(".line"), function (r) { r.remove(); });
    (d.services || []).forEach(function (l) { var r = addLine("service-line"); set(r, "service", l.service); set(r, "minutes", l.minutes); });
    (d.materials || []).forEach(function (l) {
      var r = addLine("material-line");
      ["item", "category", "quantity", "unit", "value", "funding", "donor"].forEach(function (n) { set(r, n, l[n]); });
    });
    ["notes", "referral_kind", "referral_note", "confirmed_by", "confirmed_relation", "no_confirmation_reason", "minutes_reason", "reason"].forEach(function (n) { set(form, n, d[n]); });
    if (d.minutes_reason) showWhy();
    if (signature !== undefined) drawSignature(signature);
  }

  function bodyOf(d) {
    var body = { outcome: d.outcome, device_time: new Date().toISOString(), notes: d.notes || null };
    if (d.outcome === "completed") {
      body.services = d.services;
      body.materials = d.materials.map(function (m) {
        var x = {}; Object.keys(m).forEach(function (k) { x[k] = m[k]; }); x.donor = m.donor || null; return x;
      });
      body.confirmed_by = d.confirmed_by || null;
      body.confirmed_relation = d.confirmed_relation || null;
      body.no_confirmation_reason = d.no_confirmation_reason || null;
      body.minutes_reason = d.minutes_reason || null;
      if (drawn) body.signature = canvas.toDataURL("image/png");
    }
    if (d.referral_kind) body.referrals = [{ kind: d.referral_kind, note: d.referral_note }];
    if (amending) {
      delete body.device_time;
      body.reason = d.reason;
    }
    return body;
  }

  // The service minutes must fit between check-in and check-out (with a
  // few minutes' tolerance) or come with a reason: the server's rule
  // (domain::visit_log), checked here with the times this phone recorded,
  // so a record queued offline is never refused for it later. A minute
  // stricter than the server, so rounding never turns into a refusal.
  function showWhy() {
    var why = document.getElementById("minutes-why");
    if (why) why.hidden = false;
  }
  function lastedSeconds(sentAt) {
    var lasted = parseInt(door.getAttribute("data-lasted"), 10);
    if (amending) return isFinite(lasted) ? lasted : null;
    var inAt = localStorage.getItem(PREFIX + "in:" + visitId()) || door.getAttribute("data-checked-in");
    var from = Date.parse(inAt || ""), to = Date.parse(sentAt || "");
    return isFinite(from) && isFinite(to) ? Math.floor((to - from) / 1000) : null;
  }
  function refuseHere(d, body) {
    if (d.outcome !== "completed") return null;
    if (!d.services.length) return doorMsg("no-service");
    var total = 0;
    d.services.forEach(function (s) { total += parseInt(s.minutes, 10) || 0; });
    var lasted = lastedSeconds(body.device_time || new Date().toISOString());
    var tolerance = (parseInt(door.getAttribute("data-tolerance"), 10) || 5) * 60 - 60;
    if (lasted !== null && total * 60 > lasted + tolerance && !d.minutes_reason) {
      showWhy();
      var box3 = form.querySelector("[name=minutes_reason]");
      if (box3) box3.focus();
      return doorMsg("minutes");
    }
    return null;
  }

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var d = snapshot();
    var body = bodyOf(d);
    var problem = refuseHere(d, body);
    if (problem) { showErrors([problem]); return; }
    var extra = { form: d, draft: PREFIX + "draft:{visit}:" + mode };
    var base = parseInt(door.getAttribute("data-amendments"), 10);
    if (amending && isFinite(base)) extra.base = base;
    // The draft stays until the server has the record.
    var withSig = snapshot();
    withSig.signature = drawn ? canvas.toDataURL("image/png") : null;
    write(draftKey(), withSig);
    // The server refuses (409) a correction made on a record that has
    // been corrected since this page showed it.
    if (amending && isFinite(base)) body.based_on = base;
    enqueue(amending ? "amend" : "submit", body, extra);
  });

  // ---- an ad-hoc visit made offline ------------------------------------------
  // Shanghai wall-clock time now, as the form's datetime-local wants it.
  function localNow(zone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", { timeZone: zone || "Asia/Shanghai", hourCycle: "h23", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
    } catch (e) { return ""; }
  }

  function showLocal(it) {
    adHocForm.hidden = true;
    var hint = document.getElementById("ad-hoc-hint");
    if (hint) hint.hidden = true;
    door.hidden = false;
    door.setAttribute("data-visit", it.visit);
    door.setAttribute("data-label", it.label || "");
    if (it.home) { door.setAttribute("data-home-lat", it.home[0]); door.setAttribute("data-home-lon", it.home[1]); }
    restore();
    showDoor();
    if (!fixing && !load().some(function (x) { return x.visit === it.visit && x.kind !== "ad_hoc"; })) say(doorMsg("local"));
  }

  function fixAdHoc(it) {
    adHocForm.hidden = false;
    door.hidden = true;
    fixing = it.id;
    ["recipient", "reason", "starts_at", "duration_minutes"].forEach(function (n) { set(adHocForm, n, it.body[n]); });
    var list = document.getElementById("ad-hoc-errors");
    if (list) { list.innerHTML = ""; (it.errors || []).forEach(function (m) { list.appendChild(el("li", null, m)); }); }
  }

  if (local && adHocForm) {
    var startsAt = adHocForm.querySelector("[name=starts_at]");
    var rendered = adHocForm.getAttribute("data-now");
    adHocForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var pick = adHocForm.querySelector("[name=recipient]");
      var opt = pick.options[pick.selectedIndex];
      var body = { recipient: pick.value, reason: val(adHocForm, "reason"), duration_minutes: val(adHocForm, "duration_minutes") };
      // A page kept offline shows the time it was loaded: "now" is now.
      var when = startsAt.value === rendered ? localNow(adHocForm.getAttribute("data-zone")) : startsAt.value;
      body.starts_at = when || startsAt.value;
      var lat = parseFloat(opt.getAttribute("data-lat")), lon = parseFloat(opt.getAttribute("data-lon"));
      body.client_id = uuid();
      var it = { id: body.client_id, kind: "ad_hoc", visit: "local:" + body.client_id, body: body,
                 label: opt.textContent.trim() + " · " + body.starts_at.replace("T", " "),
                 home: isFinite(lat) && isFinite(lon) ? [lat, lon] : null, at: Date.now(), state: "queued", tries: 0 };
      var was = fixing ? find(fixing) : null;
      var ok = update(function (q) {
        var i = -1;
        q.forEach(function (x, n) { if (was && x.id === was.id) i = n; });
        if (i >= 0) q[i] = it; else q.push(it);
      });
      if (!ok) { say(doorMsg("storage-full")); return; }
      if (was) rename(was.visit, it.visit);
      fixing = null;
      history.replaceState(null, "", "/visits/new#local=" + it.id);
      showLocal(it);
      flush(true);
    });
  }

  function restore() {
    var d = read(draftKey(), null);
    if (d && typeof d === "object") {
      fill(d, d.signature || null);
      if (amending) { var b = document.getElementById("amend-box"); if (b) b.open = true; }
      say(doorMsg("draft"));
    }
  }

  // ---- start ------------------------------------------------------------------
  if (local) {
    var m = /local=([0-9a-f-]+)/.exec(window.location.hash);
    var id = m && m[1];
    var item = id && find(id);
    var known = id && read(IDS, {})[id];
    if (item && item.kind === "ad_hoc") {
      if (item.state === "attention") fixAdHoc(item); else showLocal(item);
    } else if (id && load().some(function (x) { return x.visit === "local:" + id; })) {
      showLocal({ visit: "local:" + id, label: "" });
    } else if (known) {
      window.location.replace("/visits/" + known);
      return;
    }
  } else {
    restore();
    showDoor();
  }
  render();
  flush(true);
})();
