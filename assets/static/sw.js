// Doudi's service worker: pages from the network with the last copy as a
// fallback, so today's visits (and the ad-hoc form) open without signal.
// Nothing sent is cached: door.js queues records until the server answers.
// A copy never sends stale data by itself: door.js checks a correction
// against the record as the server has it before sending, and refreshes
// the copy of a visit's page once its record is in. Scripts come from the
// network first (an old door.js must not run against a newer server), the
// rest of the shell from the cache. Signing in or out (or landing on the
// sign-in page, as after a session ends) drops the copied pages, so the
// next person on the phone never opens the last one's. A response marked
// `no-store` (a signature image, a revealed number, an export) is never
// copied. Version 4 drops the caches of earlier versions, which could hold
// signature images and copies with no date. Shell version 5 fetches the
// stylesheet of the tab bar (issue 15) again.
var SHELL = "doudi-shell-v5";
var PAGES = "doudi-pages-v4";
var SHELL_FILES = ["/static/app.css", "/static/vendor/pico.min.css", "/static/vendor/htmx.min.js", "/static/js/door.js"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(SHELL_FILES).catch(function () {}); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== PAGES; }).map(function (k) { return caches.delete(k); }));
  }).then(prune).then(function () { return self.clients.claim(); }));
});

// Whether a response may be copied: a whole, same-origin answer that does
// not forbid storing.
function storable(res) {
  var cc = (res.headers.get("Cache-Control") || "").toLowerCase();
  return res.ok && !res.redirected && res.type === "basic" && cc.indexOf("no-store") < 0;
}

// A copied page lives at most two days: it is copied again whenever it is
// opened with signal, and a worker sees a person whole only around their
// visit's day, so an old copy must not keep a name and address on the
// phone (pruned when the worker starts or opens /today).
var PAGE_DAYS = 2;

function keep(cache, req, res) {
  if (storable(res)) {
    var copy = res.clone();
    copy.blob().then(function (body) {
      var h = new Headers(copy.headers);
      h.set("x-doudi-copied", String(Date.now()));
      return caches.open(cache).then(function (c) {
        return c.put(req, new Response(body, { status: copy.status, statusText: copy.statusText, headers: h }));
      });
    }).catch(function () {});
  }
  return res;
}

function prune() {
  return caches.open(PAGES).then(function (c) {
    return c.keys().then(function (keys) {
      return Promise.all(keys.map(function (k) {
        return c.match(k).then(function (r) {
          var at = Number(r && r.headers.get("x-doudi-copied"));
          if (!at || Date.now() - at > PAGE_DAYS * 86400000) return c.delete(k);
        });
      }));
    });
  }).catch(function () {});
}

self.addEventListener("fetch", function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method !== "GET") {
    if (url.pathname === "/login" || url.pathname === "/logout") e.waitUntil(caches.delete(PAGES));
    return;
  }
  if (url.pathname.indexOf("/api/") === 0) return;
  if (url.pathname === "/login") {
    // Whoever sees the sign-in page is signed out: nothing of the last
    // person's pages stays.
    e.waitUntil(caches.delete(PAGES));
    return;
  }
  if (url.pathname.indexOf("/static/js/") === 0) {
    e.respondWith(fetch(req).then(function (res) { return keep(SHELL, req, res); }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) { return keep(SHELL, req, res); });
    }));
    return;
  }
  if (url.pathname === "/today") e.waitUntil(prune());
  if (url.pathname === "/today" || url.pathname.indexOf("/visits/") === 0 || url.pathname === "/my_week") {
    e.respondWith(fetch(req).then(function (res) { return keep(PAGES, req, res); }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || caches.match("/today"); });
    }));
  }
});
