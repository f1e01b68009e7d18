// The service worker's rules, run in node against fakes of the worker's
// globals (no browser needed): a `no-store` response is never copied, a
// page is; signing out, signing in and landing on the sign-in page drop
// the copied pages; an earlier version's caches go on activation.
const assert = require("assert");
const fs = require("fs");
const path = require("path");

const stores = new Map();
const cacheOf = (name) => {
  if (!stores.has(name)) stores.set(name, new Map());
  const m = stores.get(name);
  return { put: async (req, res) => { m.set(new URL(req.url).pathname, res); },
           addAll: async () => {}, match: async (req) => m.get(new URL(req.url || req, "http://x").pathname) };
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
new Function("self", "caches", "fetch", "URL", "Response", src)(self, caches, fetch, URL, { error: () => ({ error: true }) });

const wait = [];
const event = (url, method = "GET") => ({
  request: { url: "http://app" + url, method },
  respondWith: (p) => wait.push(p), waitUntil: (p) => wait.push(p),
});
const settle = async () => { await Promise.all(wait.splice(0)); await new Promise((r) => setTimeout(r, 10)); };
const headersOf = (cc) => ({ get: (k) => (k.toLowerCase() === "cache-control" ? cc : null) });
const answer = (cc) => ({ ok: true, redirected: false, type: "basic", headers: headersOf(cc), clone() { return this; } });

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

  listeners.fetch(event("/logout", "POST"));
  await settle();
  assert(![...stores.keys()].some((k) => k.startsWith("doudi-pages")), "sign-out kept pages");

  network = async () => answer(null);
  listeners.fetch(event("/today"));
  await settle();
  listeners.fetch(event("/login"));
  await settle();
  assert(![...stores.keys()].some((k) => k.startsWith("doudi-pages")), "the sign-in page kept pages");
  console.log("service worker rules: no-store never copied; sign-out and sign-in page drop pages");
})().catch((e) => { console.error(e); process.exit(1); });
