// Headless Chromium at 360 px, as a worker at the door with bad signal.
// Run by tests/e2e/run (which starts the app on a scratch database and
// checks afterwards, in the database, that each record landed once).
//  1. Check in (the location reason is asked before anything is queued),
//     log, reload (the draft and signature come back), lose the network,
//     submit; the session is revoked meanwhile; back online the record
//     stays and the page asks to sign in; signed in again, it is sent.
//     Then a correction.
//  2. A refused check-in stays under "needs attention" and the submission
//     queued after it waits; corrected, both go; the submission is refused
//     (422) in turn, stays, is corrected and sent.
//  3. An ad-hoc visit made offline, checked in and logged offline; another
//     worker signing in on the phone neither sees nor sends it; its owner
//     signs in again and it reaches the server once.
const { chromium } = require("playwright-core");
const assert = require("assert");

const BASE = process.env.BASE_URL || "http://127.0.0.1:5151";
const SHOTS = process.env.SHOTS_DIR || "/tmp";
const PASSWORD = "doudi-demo";

// The signed-in user's queue, as door.js keeps it (keyed by the user the
// page names).
const queue = (page) => page.evaluate(() => {
  const user = document.querySelector("#door-queue").dataset.doorUser;
  return JSON.parse(localStorage.getItem("doudi-door:" + user + ":queue") || "[]");
});


async function signIn(page, email) {
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click("form[action='/logout'] button")]);
}

async function sign(page) {
  await page.locator("#signature").scrollIntoViewIfNeeded();
  const box = await page.locator("#signature").boundingBox();
  await page.mouse.move(box.x + 20, box.y + 40);
  await page.mouse.down();
  await page.mouse.move(box.x + 120, box.y + 90, { steps: 8 });
  await page.mouse.move(box.x + 220, box.y + 30, { steps: 8 });
  await page.mouse.up();
}

// Checks in; when the page asks why (no location, or far from the home),
// gives a reason first. Returns whether it asked.
async function checkIn(page) {
  await page.click("#check-in");
  const asked = await page.waitForFunction(() => {
    const form = document.querySelector("#door-form");
    if (form && !form.hidden) return "in";
    const r = document.querySelector("#door-reason");
    return r && !r.hidden ? "asked" : false;
  }, null, { timeout: 20000 }).then((h) => h.jsonValue());
  if (asked === "asked") {
    assert.strictEqual((await queue(page)).filter((x) => x.kind === "check_in").length, 0, "asked before queueing");
    await page.selectOption("#door-reason select", "met_elsewhere");
    await page.click("#check-in");
    await page.waitForSelector("#door-form:not([hidden])");
  }
  return asked === "asked";
}

// Submits the door's form. Minutes longer than the time since check-in
// (they always are here: the test logs seconds after checking in) are
// asked about before anything is queued; the reason is given and the
// form sent again.
async function submitDoor(page, reason) {
  const before = (await queue(page)).filter((x) => x.kind === "submit").length;
  await page.click("#door-form button[type=submit]");
  await page.waitForSelector("#minutes-why:not([hidden])", { timeout: 5000 });
  assert.strictEqual((await queue(page)).filter((x) => x.kind === "submit").length, before, "asked before queueing");
  assert.ok((await page.textContent("#door-errors")).includes("分钟"), "says why");
  await page.fill("textarea[name=minutes_reason]", reason || "签到后忘记记录，离开时补填");
  await page.click("#door-form button[type=submit]");
}

const api = (page, pid) => page.evaluate(async (p) => (await fetch("/api/v1/visits/" + p)).json(), pid);
const noSideScroll = async (page, what) => {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, what + " scrolls sideways: " + width);
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const phone = {
    viewport: { width: 360, height: 740 },
    locale: "zh-CN",
    // Chengdu, some 300 km from every demo home: always an exception.
    geolocation: { latitude: 30.66, longitude: 104.06, accuracy: 20 },
    permissions: ["geolocation"],
  };
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  page.on("pageerror", (e) => { console.error("page error:", e); process.exitCode = 1; });
  if (process.env.DEBUG) page.on("response", async (r) => { if (r.url().includes("/api/")) console.error(r.status(), r.url(), await r.text().catch(() => "")); });
  if (process.env.DEBUG) page.on("console", (m) => console.error("console:", m.text()));
  await page.goto(BASE + "/login");
  await signIn(page, "worker@doudi.test");
  assert.ok(page.url().endsWith("/today"), "workers start on /today, got " + page.url());
  await page.screenshot({ path: SHOTS + "/e2e-today.png", fullPage: true });
  await noSideScroll(page, "today");

  // The first of today's (or overdue) visits whose door is open: its page
  // knows where the home is (the door's days, privacy::at_the_door).
  const hrefs = await page.$$eval("#overdue li.visit-card a, #today li.visit-card a", (as) => as.map((a) => a.getAttribute("href")));
  let href = null;
  for (const h of hrefs) {
    const html = await page.evaluate(async (u) => (await fetch(u)).text(), h);
    if (html.includes("data-home-lat")) { href = h; break; }
  }
  assert.ok(href, "a visit at the door to open among " + hrefs.length);

  // What the visit page costs over the wire on a first visit (nothing
  // cached): HTML, CSS and JS, compressed, headers included.
  const cold = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN",
    storageState: await context.storageState(), serviceWorkers: "block" });
  const probe = await cold.newPage();
  const responses = [];
  probe.on("response", (r) => responses.push(r));
  await probe.goto(BASE + href, { waitUntil: "networkidle" });
  let bytes = 0;
  for (const r of responses) {
    const sz = await r.request().sizes();
    bytes += sz.responseBodySize + sz.responseHeadersSize;
  }
  console.error(`visit page: ${responses.length} requests, ${(bytes / 1024).toFixed(1)} KB transferred`);
  assert.ok(bytes < 60 * 1024, "visit page over 60 KB: " + bytes);
  await cold.close();

  // ---- 1. offline submission, session revoked, signed in again ----------------
  const pid = href.split("/").pop();
  await page.goto(BASE + href);
  // Far from the registered home: the page asks why before queueing.
  assert.ok(await checkIn(page), "a far check-in asks for the reason");
  await page.waitForFunction(() => document.querySelector("#door").dataset.status === "in_progress", null, { timeout: 15000 });

  // Log: no line until one is added; one service line, one material
  // line, signed.
  assert.strictEqual(await page.locator("#door-form .service-line").count(), 0, "no line filled in");
  await page.click("[data-add=service-line]");
  await page.fill(".service-line input[name=minutes]", "45");
  await page.click("[data-add=material-line]");
  await page.fill(".material-line input[name=item]", "大米");
  await page.selectOption(".material-line select[name=category]", "food");
  await page.fill(".material-line input[name=quantity]", "10");
  await page.fill(".material-line input[name=unit]", "斤");
  await page.fill(".material-line input[name=value]", "35.5");
  await page.fill("input[name=confirmed_by]", "单秀英");
  await page.fill("input[name=confirmed_relation]", "本人");
  await sign(page);
  await page.screenshot({ path: SHOTS + "/e2e-door.png", fullPage: true });

  // A reload loses nothing typed or signed.
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.includes(":draft:") && localStorage.getItem(k).includes("data:image/png")));
  await page.reload();
  await page.waitForFunction(() => {
    const c = document.querySelector("#signature");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
    return false;
  });
  assert.strictEqual(await page.inputValue(".service-line input[name=minutes]"), "45");
  assert.strictEqual(await page.inputValue(".material-line input[name=item]"), "大米");
  assert.strictEqual(await page.inputValue("input[name=confirmed_by]"), "单秀英");

  // No signal: the submission waits in the browser.
  await context.setOffline(true);
  await submitDoor(page);
  await page.waitForSelector("#door-pending:not([hidden])");
  assert.strictEqual((await queue(page)).length, 1, "one submission waiting");
  assert.strictEqual((await queue(page))[0].body.minutes_reason.length > 0, true, "the reason goes with it");
  // Queued: on to the next visit (or back to today) at once.
  await page.waitForSelector("#door-next:not([hidden])");
  await page.screenshot({ path: SHOTS + "/e2e-offline.png", fullPage: true });

  // Meanwhile the session is revoked (signing out anywhere revokes all).
  const other = await browser.newContext(phone);
  const elsewhere = await other.newPage();
  await elsewhere.goto(BASE + "/login");
  await signIn(elsewhere, "worker@doudi.test");
  await signOut(elsewhere);
  await other.close();

  // Signal again: the server says 401; the record stays, the page asks
  // to sign in.
  await context.setOffline(false);
  await page.waitForSelector("#door-signin:not([hidden])", { timeout: 30000 });
  assert.strictEqual((await queue(page)).length, 1, "a 401 keeps the record");
  await page.screenshot({ path: SHOTS + "/e2e-signin.png", fullPage: true });
  await noSideScroll(page, "sign-in prompt");
  await Promise.all([page.waitForNavigation(), page.click("#door-signin a")]);
  assert.ok(page.url().includes("/login?next="), page.url());
  await signIn(page, "worker@doudi.test");
  assert.ok(page.url().endsWith(href), "back on the visit: " + page.url());
  await page.waitForSelector("#amend-box", { timeout: 30000 });
  assert.strictEqual((await queue(page)).length, 0, "nothing left to send");
  const visit = await api(page, pid);
  assert.strictEqual(visit.status, "completed");
  assert.strictEqual(visit.record.services[0].minutes, 45);
  assert.ok(visit.record.minutes_reason, "the reason is on the record");
  await page.waitForSelector("#door-next:not([hidden])");
  await page.screenshot({ path: SHOTS + "/e2e-record.png", fullPage: true });

  // A correction: the form starts from the record; a reason is needed.
  await page.click("#amend-box summary");
  assert.strictEqual(await page.inputValue(".material-line input[name=item]"), "大米");
  await page.fill(".service-line input[name=minutes]", "50");
  await page.fill("#door-form input[name=reason]", "时长记错");
  await page.screenshot({ path: SHOTS + "/e2e-amend.png", fullPage: true });
  await page.click("#door-form button[type=submit]");
  await page.waitForSelector("ol.amendments li", { timeout: 30000 });
  const amended = await api(page, pid);
  assert.strictEqual(amended.record.services[0].minutes, 50);
  assert.strictEqual(amended.amendments[0].before.services[0].minutes, 45);

  // ---- 2. refusals: kept under "needs attention", corrected, sent --------------
  // An ad-hoc visit made with signal: created at once, its page opens.
  await page.goto(BASE + "/visits/new");
  const someone = await page.$$eval("select[name=recipient] option", (os) => os.map((o) => o.value).filter((v) => v));
  await page.selectOption("select[name=recipient]", someone[someone.length - 1]);
  await page.fill("input[name=reason]", "电话回访后上门");
  await Promise.all([page.waitForURL(/\/visits\/[0-9a-f-]{36}$/, { timeout: 30000 }), page.click("#ad-hoc-form button[type=submit]")]);
  const pid2 = page.url().split("/").pop();
  await page.waitForSelector("#door #check-in");
  await context.setOffline(true);
  await checkIn(page);
  await page.click("[data-add=service-line]");
  await page.fill(".service-line input[name=minutes]", "30");
  await page.click("[data-add=material-line]");
  await page.fill(".material-line input[name=item]", "食用油");
  await page.fill(".material-line input[name=quantity]", "1");
  await page.fill(".material-line input[name=unit]", "桶");
  await page.fill(".material-line input[name=value]", "很多"); // not an amount: 422
  await page.selectOption("select[name=no_confirmation_reason]", "cannot_write");
  await submitDoor(page);
  await page.waitForFunction(() => document.querySelector("#door-form").hidden);
  // Make the queued check-in one the server refuses (as a check-in queued
  // by an older page, without the reason now needed, would be).
  await page.evaluate(() => {
    const k = "doudi-door:" + document.querySelector("#door-queue").dataset.doorUser + ":queue";
    const q = JSON.parse(localStorage.getItem(k));
    q[0].body.location_reason = "no_such_reason";
    localStorage.setItem(k, JSON.stringify(q));
  });
  await context.setOffline(false);
  await page.waitForSelector("#door-attention:not([hidden]) li.door-item", { timeout: 30000 });
  let q = await queue(page);
  assert.deepStrictEqual(q.map((x) => [x.kind, x.state]), [["check_in", "attention"], ["submit", "queued"]],
    "the refused check-in did not take the submission with it");
  assert.ok((await page.textContent("#door-attention")).includes("签到"), "the refusal is shown");
  await page.screenshot({ path: SHOTS + "/e2e-attention-checkin.png", fullPage: true });
  await noSideScroll(page, "needs attention");
  // Discarding takes two taps: one does nothing yet.
  await page.click("#door-attention [data-discard]");
  assert.strictEqual((await queue(page)).length, 2, "one tap discards nothing");
  // Corrected: the check-in goes, then the submission, which is refused.
  await page.waitForSelector("#door-reason:not([hidden])");
  await page.selectOption("#door-reason select", "met_elsewhere");
  await page.click("#check-in");
  await page.waitForFunction(() => {
    const user = document.querySelector("#door-queue").dataset.doorUser;
    const q = JSON.parse(localStorage.getItem("doudi-door:" + user + ":queue") || "[]");
    return q.length === 1 && q[0].kind === "submit" && q[0].state === "attention";
  }, null, { timeout: 30000 });
  await page.waitForSelector("#door-form:not([hidden])");
  assert.strictEqual(await page.inputValue(".material-line input[name=item]"), "食用油", "the refused record is back in the form");
  assert.ok((await page.textContent("#door-errors")).length > 0, "with the server's message");
  await page.screenshot({ path: SHOTS + "/e2e-attention-submit.png", fullPage: true });
  // Not lost to a reload either.
  await page.reload();
  await page.waitForSelector("#door-attention:not([hidden]) li.door-item");
  assert.strictEqual(await page.inputValue(".material-line input[name=value]"), "很多");
  await page.fill(".material-line input[name=value]", "60");
  await page.click("#door-form button[type=submit]");
  await page.waitForSelector("#amend-box", { timeout: 30000 });
  assert.strictEqual((await queue(page)).length, 0, "nothing left to send");
  const visit2 = await api(page, pid2);
  assert.strictEqual(visit2.status, "completed");
  assert.strictEqual(visit2.record.materials[0].item, "食用油");

  // ---- 3. an ad-hoc visit made offline -------------------------------------------
  await page.goto(BASE + "/today");
  await page.waitForFunction(async () => !!(await caches.match("/visits/new")), null, { timeout: 20000 });
  await context.setOffline(true);
  await page.goto(BASE + "/visits/new");
  const reason = "邻居来电 " + Date.now();
  // Someone with a visit at the door today: the form knows their home, so
  // the far check-in is asked about before it is queued.
  const option = await page.$$eval("select[name=recipient] option[data-lat]", (os) => os.map((o) => o.value).find((v) => v));
  assert.ok(option, "someone at the door to visit ad hoc");
  await page.selectOption("select[name=recipient]", option);
  await page.fill("input[name=reason]", reason);
  await page.click("#ad-hoc-form button[type=submit]");
  await page.waitForSelector("#door:not([hidden]) #check-in");
  const localId = (/#local=([0-9a-f-]+)/.exec(page.url()) || [])[1];
  assert.ok(localId, "the visit made offline has a local id: " + page.url());
  assert.ok(await checkIn(page), "a far ad-hoc check-in asks for the reason");
  await page.click("[data-add=service-line]");
  await page.fill(".service-line input[name=minutes]", "20");
  await page.check("input[name=outcome][value=completed]");
  await page.selectOption("select[name=no_confirmation_reason]", "cannot_write");
  await submitDoor(page);
  await page.waitForFunction(() => document.querySelector("#door-form").hidden);
  assert.deepStrictEqual((await queue(page)).map((x) => x.kind), ["ad_hoc", "check_in", "submit"]);
  await page.screenshot({ path: SHOTS + "/e2e-adhoc-offline.png", fullPage: true });
  await noSideScroll(page, "ad-hoc offline");
  await page.reload();
  await page.waitForSelector("#door:not([hidden])");
  await page.waitForSelector("#door-pending:not([hidden])");

  // Back online, but the API is out of reach for a while: the worker signs
  // out and a colleague signs in on the same phone.
  let sentByOther = 0;
  await context.route("**/api/v1/visits**", (route) => { sentByOther++; return route.abort(); });
  await context.setOffline(false);
  await page.goto(BASE + "/today");
  await signOut(page);
  await page.goto(BASE + "/login");
  await signIn(page, "worker1@doudi.test");
  sentByOther = 0;
  await page.goto(BASE + "/today");
  await page.waitForLoadState("networkidle");
  assert.ok(await page.isHidden("#door-pending"), "a colleague does not see the queue");
  assert.ok(await page.isHidden("#door-attention"), "nor its refusals");
  assert.strictEqual(sentByOther, 0, "a colleague does not send it");
  assert.strictEqual((await queue(page)).length, 0);
  await signOut(page);
  await context.unroute("**/api/v1/visits**");

  // Its owner signs in again: sent, in order, once.
  await page.goto(BASE + "/login");
  await signIn(page, "worker@doudi.test");
  await page.waitForFunction(() => {
    const box = document.querySelector("#door-queue");
    return box && JSON.parse(localStorage.getItem("doudi-door:" + box.dataset.doorUser + ":queue") || "[]").length === 0;
  }, null, { timeout: 30000 });
  const adhoc = await page.evaluate((id) => {
    const k = "doudi-door:" + document.querySelector("#door-queue").dataset.doorUser + ":ids";
    return JSON.parse(localStorage.getItem(k))[id];
  }, localId);
  assert.ok(adhoc, "the visit made offline got its pid");
  // Its local page now leads to the visit itself.
  await page.goto(BASE + "/visits/new#local=" + localId);
  await page.waitForURL(BASE + "/visits/" + adhoc);
  const made = await api(page, adhoc);
  assert.strictEqual(made.status, "completed", JSON.stringify(made));
  assert.strictEqual(made.ad_hoc_reason, reason);
  await page.screenshot({ path: SHOTS + "/e2e-adhoc-record.png", fullPage: true });

  console.log(JSON.stringify({ visit: pid, visit2: pid2, adhoc: adhoc, reason: reason }));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
