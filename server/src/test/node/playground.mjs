// Drives the playground page in headless Chromium (playwright-core, the browser Debian's chromium package):
// types a prompt, picks a mode and policy, generates, waits for the trace, saves a screenshot, and prints one JSON
// line with what the page shows (PlaygroundTest asserts on it; README's screenshot is taken with it).
//
//   node playground.mjs CHROMIUM BASE_URL SCREENSHOT.png \
//       '{"prompt":…,"mode":…,"policy":…,"spec":…,"budget":…,"maxTokens":…}'   (each optional)
import { chromium } from "playwright-core";

const [executablePath, base, screenshot, optionsJson] = process.argv.slice(2);
if (!executablePath || !base || !screenshot) {
  console.error("usage: node playground.mjs CHROMIUM BASE_URL SCREENSHOT.png [OPTIONS_JSON]");
  process.exit(2);
}
const options = JSON.parse(optionsJson || "{}");
const browser = await chromium.launch({ executablePath, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));

  await page.goto(`${base}/`);
  await page.waitForSelector("body:is([data-state=ready], [data-state=error])", { timeout: 60_000 });
  const policies = await page.$$eval("#policy option", (os) => os.map((o) => o.value));

  const prompt = page.locator("#prompt");
  await prompt.fill("");
  await prompt.pressSequentially(options.prompt ?? "Once upon a time", { delay: 5 });
  await page.selectOption("#mode", options.mode ?? "early-exit");
  if (options.policy !== undefined) {
    await page.selectOption("#policy", options.policy);  // fills the spec box with the policy's example
  }
  if (options.spec !== undefined) {
    await page.fill("#spec", options.spec);
  }
  if (options.budget !== undefined) {
    await page.fill("#budget", String(options.budget));
  }
  if (options.maxTokens !== undefined) {
    await page.fill("#max-tokens", String(options.maxTokens));
  }
  const spec = await page.inputValue("#spec");
  await page.click("#go");
  await page.waitForSelector("#output .token", { timeout: 120_000 });
  const streaming = await page.evaluate(() => document.body.dataset.state);  // "running" if the trace was not in yet
  await page.waitForSelector("body:is([data-state=done], [data-state=error])", { timeout: 120_000 });

  const tokens = await page.$$eval("#output .token", (els) => els.map((e) => ({
    text: e.textContent,
    layer: Number(e.dataset.exitLayer),
    colour: getComputedStyle(e).backgroundColor,
    tip: e.dataset.tip,
    signals: e.dataset.signals ? JSON.parse(e.dataset.signals) : null,
  })));
  const legend = await page.$$eval("#legend .swatch", (els) => els.map((e) => ({
    layer: Number(e.dataset.layer),
    colour: getComputedStyle(e).backgroundColor,
  })));
  // Hover the first token a policy let leave early (its tooltip has signals), else the first; the screenshot shows it.
  const hovered = Math.max(0, tokens.findIndex((t) => t.signals && t.layer < legend.length));
  await page.hover(`#output .token >> nth=${hovered}`);
  await page.waitForSelector("#tip:not([hidden])", { timeout: 10_000 });
  const tip = await page.textContent("#tip");
  // Pixels the chart drew: nonzero once bars and the tokens/s line are on the canvas.
  const chartPixels = await page.$eval("#chart", (c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) {
      drawn += data[i] > 0 ? 1 : 0;
    }
    return drawn;
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  const summary = await page.textContent("#summary");
  const budget = await page.evaluate(() => {
    const el = document.getElementById("budget-outcome");
    return el ? { outcome: el.dataset.outcome, text: el.textContent } : null;
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ state, policies, spec, streaming, tokens, legend, hovered, tip, chartPixels, summary,
    budget, requests, errors }));
} finally {
  await browser.close();
}
