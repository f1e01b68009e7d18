// The service worker's rules, run in node against fakes of the worker's
// globals (no browser needed): a `no-store` response is never copied, a
// page is; signing out, signing in and landing on the sign-in page drop
// the copied pages; a copy older than two days goes; an earlier version's
// caches go on activation.
const assert = require("assert");
const fs = require("fs");
const path = require("path");

const stores = new Map();
const cacheOf = (name) => {
  if (!stores.has(name)) stores.set(name, new Map());
  const m = stores.get(name);
  const path = (req) => new URL(req.url || req, "http://x").pathname;
  return { put: async (req, res) => { m.set(path(req), res); },
           addAll: async () => {}, match: async (req) => m.get(path(req)),
           keys: async () => [...m.keys()].map((k) => ({ url: "http://app" + k })),
           delete: async (req) => m.delete(path(req)) };
};
const caches = {
  open: async (name) => cacheOf(name),
  delete: async (name) => stores.delete(name),
  keys: async () => [...stores.keys()],
  match: async (req) => { for (const m of stores.values()) { const hit = m.get(new URL(req.url || req, "http://x").pathname); if (hit) return hit; } },
};
const listeners = {};
const self = { location: { origin: "http://app" }, addEventListener: (t, f) => { listeners[t] = f; },
               skipWaiting: () => {}, clients: { claim: async () => {} } };
let network;
const fetch = async (req) => network(req);
const src = fs.readFileSync(path.join(__dirname, "../../assets/static/sw.js"), "utf8");
new Function("self", "caches", "fetch", "URL", src)(self, caches, fetch, URL);

const wait = [];
const event = (url, method = "GET") => ({
  request: { url: "http://app" + url, method },
  respondWith: (p) => wait.push(p), waitUntil: (p) => wait.push(p),
});
const settle = async () => { await Promise.all(wait.splice(0)); await new Promise((r) => setTimeout(r, 10)); };
const headersOf = (cc) => new Headers(cc ? { "cache-control": cc } : {});
const answer = (cc) => ({ ok: true, status: 200, statusText: "OK", redirected: false, type: "basic",
                          headers: headersOf(cc), clone() { return this; }, blob: async () => new Blob(["page"]) });

(async () => {
  // An earlier version's caches go on activation.
  stores.set("doudi-pages-v2", new Map([["/visits/x/signature", answer("private, no-store")]]));
  listeners.activate({ waitUntil: (p) => wait.push(p) });
  await settle();
  assert(!stores.has("doudi-pages-v2"), "old pages cache kept");

  network = async () => answer("private, no-store");
  listeners.fetch(event("/visits/abc/signature"));
  await settle();
  network = async () => answer(null);
  listeners.fetch(event("/visits/abc"));
  listeners.fetch(event("/today"));
  await settle();
  const pages = [...stores.entries()].find(([k]) => k.startsWith("doudi-pages"));
  assert(pages, "no pages cache");
  assert(!pages[1].has("/visits/abc/signature"), "a no-store signature was copied");
  assert(pages[1].has("/visits/abc") && pages[1].has("/today"), "pages not copied");

  // A copy older than two days goes when the worker opens /today.
  const stale = [...stores.entries()].find(([k]) => k.startsWith("doudi-pages"))[1];
  const old = stale.get("/visits/abc");
  const h = new Headers(old.headers);
  h.set("x-doudi-copied", String(Date.now() - 3 * 86400000));
  stale.set("/visits/old", new Response("old", { headers: h }));
  stale.set("/visits/undated", new Response("undated"));
  listeners.fetch(event("/today"));
  await settle();
  assert(!stale.has("/visits/old") && !stale.has("/visits/undated"), "old copies kept");
  assert(stale.has("/visits/abc"), "a fresh copy was dropped");

  listeners.fetch(event("/logout", "POST"));
  await settle();
  assert(![...stores.keys()].some((k) => k.startsWith("doudi-pages")), "sign-out kept pages");

  network = async () => answer(null);
  listeners.fetch(event("/today"));
  await settle();
  listeners.fetch(event("/login"));
  await settle();
  assert(![...stores.keys()].some((k) => k.startsWith("doudi-pages")), "the sign-in page kept pages");
  console.log("service worker rules: no-store never copied; copies live two days; sign-out and sign-in page drop pages");
})().catch((e) => { console.error(e); process.exit(1); });
