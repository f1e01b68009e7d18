// The smoke walk (issue 15): every role's start page and main journey at
// 360 × 800 in Chinese and English, headless Chromium. Run by tests/e2e/run
// after the offline test, against the same app (BASE_URL); on its own:
//   BASE_URL=http://127.0.0.1:5151 node tests/e2e/walk.js
// Screenshots (full page): $SHOTS_DIR/<lang>/<role>-NN-<step>.png
// (default target/e2e-shots).
//
// On every page it fails on:
//  - sideways scroll: documentElement.scrollWidth wider than the 360 px
//    viewport (it names the widest elements that stick out);
//  - English in a Chinese page: a Latin word of two or more letters in
//    visible text (text nodes, the selected and listed options of visible
//    selects, placeholders, button values, the title), outside data. Data
//    is (1) whatever sits inside an element marked translate="no", class
//    "data", or a lang attribute that is not Chinese (e.g. the language
//    switch's "English"), or inside code/kbd/samp; (2) e-mail addresses,
//    URLs and paths, ISO dates and times, UUIDs, and codes: runs of Latin
//    letters, digits and - _ . / : that hold a digit (a contract number
//    BZ-511902101000-2026-001, WGS-84, UTF-8, 3G); (3) the short allowlist
//    ALLOWED below (file formats and abbreviations read as such in
//    Chinese). In Chinese, the acceptance pack's file name is checked too;
//  - a link, button or other control inside the page's navigation (the
//    <nav> elements outside <main>, and the page's header bar) smaller than
//    44 × 44 CSS px;
//  - a console error or uncaught page error, and any 4xx/5xx response
//    except the ones a step expects.
// All failures are collected, printed grouped by page, and the exit code is
// 1 when there are any. WALK_ONLY=worker,admin and WALK_LANGS=en limit the
// walk; WALK_JOBS (default 4) is how many roles walk at once (each role's
// languages walk one after the other: the language is the user's setting).
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const BASE = process.env.BASE_URL || "http://127.0.0.1:5151";
const SHOTS = process.env.SHOTS_DIR || path.join(__dirname, "../../target/e2e-shots");
const PASSWORD = "doudi-demo";
const WIDTH = 360;
const HEIGHT = 800;
const MIN_TAP = 44;
const LANGS = (process.env.WALK_LANGS || "zh-CN,en").split(",");
const ONLY = process.env.WALK_ONLY ? process.env.WALK_ONLY.split(",") : null;
const JOBS = Number(process.env.WALK_JOBS || 4);

// Latin words a Chinese page may show: file formats and abbreviations that
// are read as they are in Chinese. Compared case-sensitively.
const ALLOWED = ["PDF", "CSV", "XLSX", "Excel", "Word", "WPS", "PNG", "JPG", "JPEG", "JSON", "OCDS", "ID", "km", "KB", "MB", "GPS", "API", "URL", "iCal", "ICS"];

const failures = []; // { page, kind, detail }
let pages = 0;

function fail(where, kind, detail) {
  failures.push({ page: where, kind, detail });
}

// ---- what is checked on every page (runs in the page) ----------------------

function pageProblems({ width, minTap, allowed }) {
  const out = { overflow: null, english: [], taps: [] };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean).slice(0, 3);
    if (cls.length) s += "." + cls.join(".");
    const parent = el.parentElement && el.parentElement !== document.body ? el.parentElement : null;
    if (parent && !el.id) {
      let p = parent.tagName.toLowerCase();
      if (parent.id) p += "#" + parent.id;
      else if (parent.getAttribute("class")) p += "." + parent.getAttribute("class").trim().split(/\s+/)[0];
      s = p + " > " + s;
    }
    return s;
  };
  const snippet = (t) => t.replace(/\s+/g, " ").trim().slice(0, 70);
  const visible = (el) => el.checkVisibility
    ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && el.getClientRects().length > 0
    : el.getClientRects().length > 0;

  // 1. Sideways scroll, and what sticks out.
  const sw = document.documentElement.scrollWidth;
  if (sw > width) {
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox !== "visible") return true;
      }
      return false;
    };
    const over = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      const right = r.left + window.scrollX + Math.max(r.width, getComputedStyle(el).overflowX === "visible" ? el.scrollWidth : 0);
      if (right > width + 1 && !clipped(el)) over.push({ el, right, w: Math.round(Math.max(r.width, el.scrollWidth)) });
    }
    // The innermost ones: those none of whose descendants stick out.
    const set = new Set(over.map((o) => o.el));
    const leaves = over.filter((o) => ![...o.el.querySelectorAll("*")].some((d) => set.has(d)));
    leaves.sort((a, b) => b.right - a.right);
    out.overflow = {
      scrollWidth: sw,
      widest: leaves.slice(0, 5).map((o) => `${describe(o.el)} (right edge ${Math.round(o.right)} px, ${o.w} px wide) "${snippet(o.el.textContent || o.el.value || "")}"`),
    };
  }

  // 2. Latin words in visible text, outside data.
  if (document.documentElement.lang.startsWith("zh")) {
    const DATA = "[translate=no], .data, code, kbd, samp, [lang]:not([lang^=zh])";
    const scrub = (t) => t
      .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, " ")                                 // e-mail
      .replace(/\b(?:https?|webcal|mailto|tel):\S*/gi, " ")                        // URL
      .replace(/(^|\s)\/[\w\-./?=&%#:;]+/g, " ")                                    // path
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, " ") // UUID
      .replace(/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, " ") // ISO date/time
      .replace(/[A-Za-z0-9_./:-]*\d[A-Za-z0-9_./:-]*/g, " ");                        // codes: runs with a digit
    const words = (t) => (scrub(t).match(/[A-Za-z]{2,}/g) || []).filter((w) => !allowed.includes(w));
    const seen = new Set();
    const leak = (el, text, how) => {
      const ws = words(text);
      if (!ws.length) return;
      const key = describe(el) + "|" + snippet(text);
      if (seen.has(key)) return;
      seen.add(key);
      out.english.push(`${describe(el)}${how ? " [" + how + "]" : ""}: "${snippet(text)}" (${[...new Set(ws)].join(", ")})`);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim()) continue;
      if (el.closest("script, style, noscript, template, option, " + DATA)) continue;
      if (!visible(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      if (![...range.getClientRects()].some((r) => r.width > 0 && r.height > 0)) continue;
      leak(el, n.textContent, "");
    }
    for (const sel of document.querySelectorAll("select")) {
      if (!visible(sel) || sel.closest(DATA)) continue;
      for (const o of sel.options) if (!o.closest(DATA)) leak(sel, o.textContent, o.selected ? "selected option" : "option");
    }
    for (const el of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
      if (visible(el) && !el.value && !el.closest(DATA)) leak(el, el.placeholder, "placeholder");
    }
    for (const el of document.querySelectorAll("input[type=submit], input[type=button], input[type=reset]")) {
      if (visible(el) && !el.closest(DATA)) leak(el, el.value, "button");
    }
    if (document.title) leak(document.documentElement, document.title, "title");
  }

  // 3. Tap targets in the navigation: the <nav>s outside <main>.
  const navs = [...document.querySelectorAll("nav, body > header")].filter((n) => !n.closest("main") && !n.parentElement.closest("nav, body > header"));
  for (const nav of navs) {
    for (const el of nav.querySelectorAll("a[href], button, [role=button], [role=tab], [role=link], select, input:not([type=hidden]), summary")) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width < minTap - 0.5 || r.height < minTap - 0.5) {
        out.taps.push(`${describe(el)} "${snippet(el.textContent || el.value || el.getAttribute("aria-label") || "")}" ${Math.round(r.width)}×${Math.round(r.height)} px`);
      }
    }
  }
  return out;
}

// ---- a walker: one role in one language --------------------------------------

class Walk {
  constructor(browser, lang, role, email) {
    this.browser = browser;
    this.lang = lang;
    this.role = role;
    this.email = email;
    this.n = 0;
    this.expected = []; // [status, RegExp] a step expects
    this.seen = [];     // responses and console errors since the last check
  }

  async open() {
    this.context = await this.browser.newContext({
      viewport: { width: WIDTH, height: HEIGHT },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: this.lang,
      // Near no demo home: the door asks for the location reason.
      geolocation: { latitude: 30.66, longitude: 104.06, accuracy: 20 },
      permissions: ["geolocation"],
    });
    await this.context.addCookies([{ name: "lang", value: this.lang, url: BASE }]);
    const page = await this.context.newPage();
    page.setDefaultTimeout(20000);
    page.setDefaultNavigationTimeout(30000);
    page.on("response", (r) => {
      if (r.status() >= 400) this.seen.push({ kind: "response", status: r.status(), url: r.url(), method: r.request().method() });
    });
    page.on("console", (m) => {
      // A failed load is reported (and judged) as its response.
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) this.seen.push({ kind: "console", text: m.text() });
    });
    page.on("pageerror", (e) => this.seen.push({ kind: "console", text: "uncaught " + (e.message || e) }));
    this.page = page;
  }

  async close() {
    await this.context.close();
  }

  // The page a failure belongs to: the step being walked (numbered as its
  // screenshot) and its address.
  where(step, url) {
    const p = (url || this.page.url()).replace(BASE, "");
    return `${this.lang} ${this.role} ${String(this.n).padStart(2, "0")}-${step} ${p}`;
  }

  // Waits for the page to settle, checks it and takes its picture.
  async check(step) {
    this.n += 1;
    const page = this.page;
    await page.waitForLoadState("load").catch(() => {});
    await page.waitForLoadState("networkidle", { timeout: 3000 }).catch(() => {});
    const where = this.where(step);
    pages += 1;
    const p = await page.evaluate(pageProblems, { width: WIDTH, minTap: MIN_TAP, allowed: ALLOWED });
    if (p.overflow) fail(where, "scrolls sideways", `scrollWidth ${p.overflow.scrollWidth} > ${WIDTH}; widest: ${p.overflow.widest.join("; ") || "(none found)"}`);
    for (const e of p.english) fail(where, "English in the Chinese page", e);
    if (p.taps.length) fail(where, "navigation tap targets under 44 px", p.taps.join("; "));
    this.flush(where);
    const file = path.join(SHOTS, this.lang, `${this.role}-${String(this.n).padStart(2, "0")}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch((e) => fail(where, "screenshot", String(e)));
  }

  // Judges the responses and console errors seen since the last call.
  flush(where) {
    for (const s of this.seen.splice(0)) {
      if (s.kind === "console") fail(where, "console error", s.text);
      else if (!this.expected.some(([st, re]) => st === s.status && re.test(s.url))) {
        fail(where, `HTTP ${s.status}`, `${s.method} ${s.url.replace(BASE, "")}`);
      }
    }
  }

  async go(step, url) {
    try {
      await this.page.goto(BASE + url, { waitUntil: "load" });
    } catch (e) {
      this.n += 1;
      fail(this.where(step, url), "navigation", e.message.split("\n")[0]);
      this.n -= 1;
    }
    await this.check(step);
  }

  // A step that breaks (a missing element, a timeout) is a failure of its
  // page; the walk of this role goes on with the next step.
  async step(step, fn) {
    try {
      await fn();
    } catch (e) {
      this.flush(this.where(step));
      fail(this.where(step), "step failed", e.message.split("\n")[0]);
    }
  }

  async signIn() {
    const page = this.page;
    await page.goto(BASE + "/login");
    if (this.role === "worker") await this.check("sign-in"); // the public page, once per language
    await page.fill("input[name=email]", this.email);
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
    // The user's own setting wins over the cookie: set it to this language.
    const lang = await page.evaluate(() => document.documentElement.lang);
    if (lang !== this.lang) {
      await page.evaluate(async (l) => {
        await fetch("/language", { method: "POST", body: new URLSearchParams({ lang: l, next: "/" }), redirect: "manual" });
      }, this.lang);
      await page.reload();
    }
    await this.check("start");
  }

  // Hrefs in <main> matching a pattern, in page order.
  links(re) {
    return this.page.$$eval("main a[href]", (as, src) => as.map((a) => a.getAttribute("href")).filter((h) => new RegExp(src).test(h)), re.source);
  }
}

// ---- the journeys --------------------------------------------------------------

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

async function worker(w) {
  const page = w.page;
  await w.step("today", async () => {
    if (!page.url().endsWith("/today")) await w.go("today", "/today");
  });
  // The first visit on today's list that is still to be done.
  let opened = false;
  await w.step("visit", async () => {
    const hrefs = await w.links(new RegExp("^/visits/" + UUID + "$"));
    for (const href of hrefs.slice(0, 12)) {
      await page.goto(BASE + href);
      const status = await page.$eval("#door", (d) => d.dataset.status).catch(() => null);
      if (status === "scheduled" || status === "in_progress") {
        opened = true;
        break;
      }
    }
    if (opened) return w.check("visit");
    // None left (the offline test and the other language took them): an
    // ad-hoc visit, as a worker called out would make.
    await w.go("ad-hoc-new", "/visits/new");
    // Someone with a home point first (the door then knows to ask for the
    // location reason before checking in).
    const someone = await page.$$eval("#ad-hoc-form select[name=recipient] option", (os) => os.filter((o) => o.value)
      .sort((a, b) => (b.dataset.lat ? 1 : 0) - (a.dataset.lat ? 1 : 0)).map((o) => o.value));
    if (!someone.length) throw new Error("no visit to do on /today and nobody to visit ad hoc");
    await page.selectOption("#ad-hoc-form select[name=recipient]", someone[LANGS.indexOf(w.lang) % someone.length]);
    await page.fill("#ad-hoc-form input[name=reason]", w.lang === "en" ? "Neighbour called" : "邻居来电");
    await Promise.all([
      page.waitForURL(new RegExp("/visits/" + UUID + "$"), { timeout: 30000 }),
      page.click("#ad-hoc-form button[type=submit]"),
    ]);
    await page.waitForSelector("#door");
    opened = true;
    await w.check("visit");
  });
  if (!opened) return;
  await w.step("check-in", async () => {
    // The door asks for the location reason before queueing when it can
    // judge the distance; when it cannot (no home point), it may show the
    // form at once and be refused by the server (422), then ask. Either
    // way, asking is the page's way.
    const door = () => page.waitForFunction(() => {
      if (document.querySelector("#door").dataset.status === "in_progress") return "in";
      const r = document.querySelector("#door-reason");
      return r && !r.hidden ? "asked" : false;
    }, null, { timeout: 40000 }).then((h) => h.jsonValue()).catch(async (e) => {
      const status = await page.textContent("#door-status").catch(() => "");
      throw new Error(`check-in: neither checked in nor asked why (door says "${(status || "").trim()}"): ${e.message.split("\n")[0]}`);
    });
    if (await page.isVisible("#check-in")) await page.click("#check-in");
    for (let round = 0; round < 3; round++) {
      if ((await door()) === "in") break;
      w.expected.push([422, new RegExp("/api/v1/visits/" + UUID + "/check_in$")]);
      await w.check("check-in-reason");
      const reason = await page.$$eval("#door-reason select option", (os) => os.map((o) => o.value).find((v) => v));
      await page.selectOption("#door-reason select", reason);
      await page.click("#check-in");
      // Sent: wait until the door has taken it (the question goes away).
      await page.waitForFunction(() => document.querySelector("#door").dataset.status === "in_progress"
        || document.querySelector("#door-reason").hidden, null, { timeout: 40000 });
    }
    await page.waitForSelector("#door-form:not([hidden])", { timeout: 20000 });
    await w.check("checked-in");
  });
  await w.step("service-line", async () => {
    if (!(await page.$("#door-form .service-line"))) await page.click("[data-add=service-line]");
    const line = page.locator("#door-form .service-line").first();
    const type = line.locator("select").first();
    if (await type.count()) {
      const v = await type.evaluate((s) => s.value || [...s.options].map((o) => o.value).find((x) => x));
      if (v) await type.selectOption(v);
    }
    await line.locator("input[name=minutes]").fill("30");
    const outcome = page.locator("#door-form input[name=outcome][value=completed]");
    if (await outcome.count()) await outcome.check();
    await page.fill("#door-form input[name=confirmed_by]", w.lang === "en" ? "Zhang" : "本人");
    const rel = page.locator("#door-form input[name=confirmed_relation]");
    if (await rel.count()) await rel.fill(w.lang === "en" ? "self" : "本人");
    const canvas = page.locator("#signature");
    if (await canvas.count()) {
      await canvas.scrollIntoViewIfNeeded();
      const box = await canvas.boundingBox();
      await page.mouse.move(box.x + 20, box.y + 40);
      await page.mouse.down();
      await page.mouse.move(box.x + 150, box.y + 90, { steps: 6 });
      await page.mouse.up();
    }
    await w.check("service-line");
  });
  await w.step("submit", async () => {
    // A check the server may make (e.g. minutes against the time at the
    // door) answers 422 and asks for more: fill what it asks, send again.
    w.expected.push([422, new RegExp("/api/v1/visits/" + UUID + "/submission")]);
    for (let round = 0; round < 3; round++) {
      await page.click("#door-form button[type=submit]");
      const done = await page.waitForFunction(() => {
        if (document.querySelector("#amend-box")) return "done";
        const errs = document.querySelector("#door-errors");
        const form = document.querySelector("#door-form");
        return errs && errs.textContent.trim() && form && !form.hidden ? "asked" : false;
      }, null, { timeout: 30000 }).then((h) => h.jsonValue());
      if (done === "done") break;
      await w.check("submit-refused");
      const filled = await page.evaluate(() => {
        let n = 0;
        for (const el of document.querySelectorAll("#door-form input:not([type=hidden]):not([type=radio]):not([type=checkbox]), #door-form select, #door-form textarea")) {
          if (!el.checkVisibility() || el.value) continue;
          // Only what the refusal asks for: an optional select (a referral,
          // a reason for no confirmation) would ask for more.
          const asked = el.required || el.getAttribute("aria-invalid") === "true" || el.name === "minutes_reason";
          if (!asked) continue;
          if (el.tagName === "SELECT") {
            const v = [...el.options].map((o) => o.value).find((x) => x);
            if (v) { el.value = v; n++; }
          } else if (el.required || el.getAttribute("aria-invalid") === "true" || el.name === "minutes_reason") {
            el.value = el.type === "number" ? "1" : "演示";
            n++;
          }
          el.dispatchEvent(new Event("input", { bubbles: true }));
          el.dispatchEvent(new Event("change", { bubbles: true }));
        }
        return n;
      });
      if (!filled) throw new Error("the submission was refused: " + (await page.textContent("#door-errors")).trim());
    }
    await page.waitForSelector("#amend-box", { timeout: 30000 });
    await w.check("submitted");
    w.expected = [];
  });
  await w.step("back-to-today", async () => {
    // "Next visit" when the page offers it; today's list in any case.
    const next = await w.links(/^\/(today|visits\/)/);
    if (next.includes("/today")) {
      await Promise.all([page.waitForNavigation(), page.click("main a[href='/today']")]);
      await w.check("back-to-today");
    } else {
      await w.go("back-to-today", "/today");
    }
  });
}

async function coordinator(w) {
  const page = w.page;
  await w.go("board", "/board");
  await w.go("attention", "/attention");
  // A recipient to plan for (and to look at later).
  const list = await page.request.get(BASE + "/recipients");
  const recipient = (new RegExp("/recipients/(" + UUID + ")").exec(await list.text()) || [])[1];
  await w.step("plan-new", async () => {
    if (!recipient) throw new Error("no recipient on /recipients");
    await w.go("plan-new", "/service_plans/new?recipient=" + recipient);
  });
  await w.step("plan-preview", async () => {
    // Day chips hide their boxes behind labels.
    // A service (it may sit folded under "more"): set it as a tap would.
    await page.evaluate(() => {
      const box = document.querySelector("main form input[name=services]");
      if (box && !box.checked) {
        box.checked = true;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    const pattern = page.locator("main form select[name=pattern]");
    if (await pattern.count()) await pattern.selectOption("weekly");
    const weekly = page.locator("main form input[name=pattern][value=weekly]");
    if (await weekly.count()) await weekly.evaluate((el) => { el.checked = true; el.dispatchEvent(new Event("change", { bubbles: true })); });
    const days = page.locator("main form input[name=weekdays]");
    // Tap the day chips as a person would (the label, not the hidden box).
    for (const i of [1, 3]) {
      if ((await days.count()) <= i || (await days.nth(i).isChecked())) continue;
      await days.nth(i).evaluate((el) => (el.closest("label") || el).click());
    }
    // The live preview (htmx) answers each change.
    await page.waitForResponse((r) => r.url().includes("/service_plans/preview"), { timeout: 10000 }).catch(() => {});
    await page.waitForTimeout(500);
    await w.check("plan-preview");
  });
  let person = null;
  await w.step("recipients-search", async () => {
    await w.go("recipients", "/recipients");
    const name = await page.$eval("main ul.cards a strong, main a[href^='/recipients/'] strong", (s) => s.textContent.trim()).catch(() => "");
    const q = (name.match(/\p{Script=Han}/u) || [name.slice(0, 1)])[0] || "张";
    await w.go("recipients-search", "/recipients?q=" + encodeURIComponent(q));
    person = (await w.links(new RegExp("^/recipients/" + UUID + "$")))[0] || (recipient && "/recipients/" + recipient);
  });
  await w.step("recipient", async () => {
    if (!person) throw new Error("no recipient found");
    await w.go("recipient", person);
  });
  await w.go("referrals", "/referrals");
  // Issue 16: the people taken over from last year's provider, and the
  // proposals sent to the township.
  await w.go("handover", "/handover");
  await w.go("proposals", "/proposals?show=all");
}

async function official(w) {
  const page = w.page;
  await w.go("dashboard", "/dashboard");
  await w.go("proposals", "/proposals?show=all");
  await w.go("contracts", "/contracts");
  const contracts = [...new Set(await w.links(new RegExp("^/contracts/" + UUID + "$")))];
  if (!contracts.length) fail(w.where("contracts"), "step failed", "no contract on /contracts");
  // The first contract with an acceptance pack, else the first contract.
  let chosen = contracts[0];
  let pack = null;
  for (const c of contracts.slice(0, 8)) {
    // The pack links sit in the acceptance section when the page has sections.
    const html = (await (await page.request.get(BASE + c)).text()) + (await (await page.request.get(BASE + c + "?tab=acceptance")).text());
    const m = new RegExp(c + "/acceptances/" + UUID + "/pack\\.pdf[^\"']*").exec(html);
    if (m) { chosen = c; pack = m[0].replace(/&amp;/g, "&"); break; }
  }
  if (!chosen) return;
  await w.go("contract", chosen);
  // Each section: tabs if the page has them (each checked), else a
  // picture of each section heading scrolled to the top of the screen;
  // then the contract's own sub-pages and section links.
  await w.step("contract-sections", async () => {
    const tabs = await page.$$("main [role=tab]");
    for (let i = 0; i < tabs.length && i < 8; i++) {
      const t = page.locator("main [role=tab]").nth(i);
      if (!(await t.isVisible())) continue;
      const label = (await t.getAttribute("href")) || (await t.getAttribute("aria-controls")) || String(i + 1);
      await t.click();
      await page.waitForTimeout(300);
      await w.check("contract-tab-" + slug(label));
    }
    if (!tabs.length) {
      const n = String(w.n).padStart(2, "0");
      const heads = await page.$$("main h2");
      for (let i = 0; i < heads.length && i < 12; i++) {
        const h = page.locator("main h2").nth(i);
        if (!(await h.isVisible())) continue;
        await h.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 8));
        await page.screenshot({ path: path.join(SHOTS, w.lang, `${w.role}-${n}-contract-section-${String(i + 1).padStart(2, "0")}.png`) });
      }
    }
    const subs = [...new Set(await w.links(new RegExp("^" + chosen + "(/(recipients|visits)(\\?figure=completed)?|\\?(tab|section)=[\\w-]+|/[\\w-]+#[\\w-]+)$")))];
    for (const s of subs.slice(0, 8)) {
      await w.go("contract-" + slug(s.slice(chosen.length)), s);
    }
  });
  await w.step("acceptance-pack", async () => {
    if (!pack) throw new Error("no acceptance pack link on any contract page");
    const head = await page.request.head(BASE + pack);
    const get = await page.request.get(BASE + pack);
    const where = w.where("acceptance-pack", pack);
    if (head.status() !== 200 && head.status() !== 405) fail(where, `HTTP ${head.status()}`, "HEAD " + pack);
    if (get.status() !== 200) fail(where, `HTTP ${get.status()}`, "GET " + pack);
    else {
      const type = get.headers()["content-type"] || "";
      const body = await get.body();
      if (!type.includes("pdf") || body.subarray(0, 5).toString() !== "%PDF-") fail(where, "not a PDF", type);
      const disposition = get.headers()["content-disposition"] || "";
      console.error(`[walk] ${w.lang} pack: ${disposition || "(no content-disposition)"}, ${body.length} bytes`);
      // Its file name, as the phone saves it: Chinese in a Chinese page.
      const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
      const plain = /filename="?([^";]+)"?/i.exec(disposition);
      const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : "";
      const english = name.replace(/\.[a-z]+$/i, "").replace(/(?<![A-Za-z])[A-Z]+-\d[\d-]*/g, "").split(/[-_. ]+/).filter((x) => /^[A-Za-z]{2,}$/.test(x) && !ALLOWED.includes(x));
      if (w.lang.startsWith("zh") && english.length) fail(where, "English in the Chinese pack's file name", `${name} (${english.join(", ")})`);
    }
  });
  await w.go("attention", "/attention");
}

async function admin(w) {
  await w.go("users", "/users");
  await w.go("townships", "/townships");
  await w.go("audit", "/audit");
}

const slug = (s) => s.replace(/^[/?#]+/, "").replace(/[^\w]+/g, "-").replace(/^-|-$/g, "").slice(0, 30) || "x";

const ROLES = [
  ["worker", "worker@doudi.test", worker],
  ["coordinator", "coordinator@doudi.test", coordinator],
  ["official", "official@doudi.test", official],
  ["admin", "admin@doudi.test", admin],
].filter(([r]) => !ONLY || ONLY.includes(r));

// ---- main ------------------------------------------------------------------------

(async () => {
  const started = Date.now();
  for (const l of LANGS) fs.mkdirSync(path.join(SHOTS, l), { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  // Each role walks its languages in turn; roles walk side by side.
  const chains = ROLES.map(([role, email, journey]) => async () => {
    for (const lang of LANGS) {
      const w = new Walk(browser, lang, role, email);
      await w.open();
      try {
        await w.step("start", () => w.signIn());
        await journey(w);
      } catch (e) {
        fail(w.where("walk"), "walk stopped", e.message.split("\n")[0]);
      }
      w.flush(w.where("end"));
      await w.close();
      console.error(`[walk] ${lang} ${role}: ${w.n} pages, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  });
  const running = [];
  for (const c of chains) {
    running.push(c());
    if (running.length >= JOBS) await Promise.race(running.map((p, i) => p.then(() => i)))
      .then((i) => running.splice(i, 1));
  }
  await Promise.all(running);
  await browser.close();

  const secs = ((Date.now() - started) / 1000).toFixed(0);
  const byPage = new Map();
  for (const f of failures) {
    if (!byPage.has(f.page)) byPage.set(f.page, []);
    byPage.get(f.page).push(f);
  }
  const pagesOrdered = [...byPage.keys()].sort();
  for (const p of pagesOrdered) {
    console.log(`\n${p}`);
    for (const f of byPage.get(p)) console.log(`  - ${f.kind}: ${f.detail}`);
  }
  const kinds = {};
  for (const f of failures) kinds[f.kind] = (kinds[f.kind] || 0) + 1;
  const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
  console.log(`\nwalk: ${pages} pages in ${LANGS.join(", ")}, ${failures.length} failures on ${byPage.size} pages${summary ? " (" + summary + ")" : ""}, ${secs} s; screenshots in ${SHOTS}`);
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
