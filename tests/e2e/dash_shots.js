// The officials' dashboard at 360 x 800, as an official and an admin, in
// Chinese and English: screenshots (SHOTS_DIR), and checks that the first
// load does not fetch ECharts until a chart scrolls into view, that the
// page does not scroll sideways, that every figure link is at least 44 px
// tall, and (Chinese) that no English word shows outside data.
// Needs the app running at BASE_URL with the demo county.
const { chromium } = require("playwright-core");
const assert = require("assert");

const BASE = process.env.BASE_URL || "http://127.0.0.1:5166";
const SHOTS = process.env.SHOTS_DIR || "/tmp";
const PASSWORD = "doudi-demo";

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const host = new URL(BASE).hostname;
  for (const who of ["official", "admin"]) {
    for (const lang of ["zh-CN", "en"]) {
      const context = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: lang });
      await context.addCookies([{ name: "lang", value: lang, domain: host, path: "/" }]);
      const page = await context.newPage();
      page.on("pageerror", (e) => { console.error("page error:", e); process.exitCode = 1; });
      await page.goto(BASE + "/login");
      await page.fill("input[name=email]", `${who}@doudi.test`);
      await page.fill("input[name=password]", PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
      const fetched = [];
      page.on("request", (r) => fetched.push(r.url()));
      await page.goto(BASE + "/dashboard", { waitUntil: "load" });
      await page.waitForTimeout(800);
      const echarts = () => fetched.filter((u) => u.includes("echarts.min.js")).length;
      const firstChart = await page.evaluate(() => {
        const f = document.querySelector("[data-chart]");
        return f ? f.getBoundingClientRect().top : null;
      });
      const atLoad = echarts();
      const tag = `${who}-${lang}`;
      // Below the fold at load: nothing fetched yet.
      if (firstChart !== null && firstChart > 800) {
        assert.strictEqual(atLoad, 0, `${tag}: echarts fetched before any chart was visible`);
      }
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 360, `${tag}: ${wide} px wide`);
      const short = await page.evaluate(() =>
        [...document.querySelectorAll("main a.figure, main a.tap")]
          .map((a) => [a.textContent.trim(), a.getBoundingClientRect().height])
          .filter(([, h]) => h > 0 && h < 44));
      assert.deepStrictEqual(short, [], `${tag}: tap targets under 44 px`);
      let english = [];
      if (lang === "zh-CN") {
        english = await page.evaluate(() => {
          const words = (document.querySelector("main").innerText.match(/[A-Za-z]{2,}/g) || []);
          // Data: contract codes (BZ-ZK-…); units or words in figures are not.
          return words.filter((w) => !/^(BZ|ZK)$/.test(w));
        });
      }
      await page.screenshot({ path: `${SHOTS}/dashboard-${tag}-top.png` });
      // Scroll to the first chart: ECharts comes then, and the chart is drawn.
      await page.locator("[data-chart]").first().scrollIntoViewIfNeeded();
      await page.waitForFunction(() => !!window.echarts, null, { timeout: 15000 });
      await page.waitForSelector(".chart:not([hidden]) svg", { timeout: 15000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${SHOTS}/dashboard-${tag}-chart.png` });
      await page.screenshot({ path: `${SHOTS}/dashboard-${tag}-full.png`, fullPage: true });
      console.log(JSON.stringify({ tag, firstChartTop: firstChart, echartsAtLoad: atLoad, echartsAfterScroll: echarts(), scrollWidth: wide, english }));
      // Without script: the tables stand in for the charts.
      if (who === "official") {
        const bare = await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: false });
        await bare.addCookies((await context.cookies()));
        const p = await bare.newPage();
        const got = [];
        p.on("request", (r) => got.push(r.url()));
        await p.goto(BASE + "/dashboard");
        await p.locator("figure.dash-figure").first().scrollIntoViewIfNeeded();
        await p.screenshot({ path: `${SHOTS}/dashboard-${tag}-nojs.png` });
        assert.ok(!got.some((u) => u.includes("echarts")), `${tag}: echarts without script`);
        await bare.close();
      }
      await context.close();
    }
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
