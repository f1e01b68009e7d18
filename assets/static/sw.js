// Doudi's service worker: the app shell from cache, pages from the network
// with the last copy as a fallback, so today's visits open without signal.
// Submissions are not cached: door.js queues them until the server answers.
var SHELL = "doudi-shell-v1";
var PAGES = "doudi-pages-v1";
var SHELL_FILES = ["/static/app.css", "/static/vendor/pico.min.css", "/static/vendor/htmx.min.js", "/static/js/door.js"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(SHELL_FILES).catch(function () {}); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== PAGES; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        var copy = res.clone();
        caches.open(SHELL).then(function (c) { c.put(req, copy); });
        return res;
      });
    }));
    return;
  }
  if (url.pathname === "/today" || url.pathname.indexOf("/visits/") === 0 || url.pathname === "/my_week") {
    e.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(PAGES).then(function (c) { c.put(req, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || caches.match("/today"); });
    }));
  }
});
