// Drives the classroom view in a real browser (Debian's Chromium through
// playwright-core, which downloads no browser): opens pages `ipcsim run
// --html` wrote, steps through them with the buttons, the keyboard and the
// slider, and checks what they show. Usage: node check.mjs DIR (pages
// echo.html, deadlock.html, buffers_capacity.html, semaphore_contended.html).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import path from "node:path";

const dir = path.resolve(process.argv[2] ?? ".");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
let failed = 0;

async function open(name) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  // Self-contained: the page may load nothing but itself.
  page.on("request", (r) => { if (!r.url().startsWith("file://")) errors.push("fetched " + r.url()); });
  await page.goto("file://" + path.join(dir, name));
  return { page, errors };
}
const where = (page) => page.textContent("#where");
const procState = (page, name) =>
  page.textContent(`#procs tr[data-name="${name}"] td:nth-child(2)`);
const objRow = (page, label) => page.textContent(`#objs tr[data-name="${label}"]`);

async function check(name, body) {
  const { page, errors } = await open(name + ".html");
  try {
    await body(page);
    assert.deepEqual(errors, [], "errors in the page");
    await page.screenshot({ path: path.join(dir, name + ".png"), fullPage: true });
    console.log("ok   " + name);
  } catch (e) {
    failed++;
    console.log("FAIL " + name + ": " + e.message);
  } finally {
    await page.close();
  }
}

await check("echo", async (page) => {
  const total = Number((await where(page)).match(/of (\d+)/)[1]);
  assert.ok(total > 10, "echo has events");
  assert.match(await where(page), /^event 1 of \d+ · t=0 · server/);
  await page.click("#last");
  assert.match(await where(page), new RegExp(`^event ${total} of ${total}`));
  assert.equal(await procState(page, "server"), "blocked: waits for a sender on echo");
  assert.equal(await procState(page, "client"), "ended: exited");
  await page.keyboard.press("Home");
  assert.match(await where(page), /^event 1 of/);
  for (let i = 0; i < 3; i++) await page.click("#fwd");
  assert.match(await where(page), /^event 4 of/);
  await page.keyboard.press("ArrowLeft");
  assert.match(await where(page), /^event 3 of/);
  await page.click("#back");
  assert.match(await where(page), /^event 2 of/);
  // The slider: event 10 is the first call's control-flow transfer.
  await page.$eval("#slider", (s) => { s.value = "9"; s.dispatchEvent(new Event("input")); });
  assert.match(await page.textContent("#trace li.on"), /runs \(control-flow transfer from client\)/);
  assert.equal(await page.getAttribute("#diagram .row.on", "data-step"), "9");
  assert.equal(await procState(page, "server"), "running");
  assert.equal(await procState(page, "client"), "blocked: waits for the reply from server");
  assert.match(await page.textContent('#procs tr[data-name="client"]'), /echo \(endpoint\): send/);
  // Clicking a trace line goes to it.
  await page.click('#trace li[data-step="4"]');
  assert.match(await where(page), /^event 5 of/);
  assert.equal(await page.isHidden("#deadlock"), true);
  assert.match(await page.textContent("#report"), /result: PASS/);
});

await check("deadlock", async (page) => {
  assert.equal(await page.isHidden("#deadlock"), true);
  await page.keyboard.press("End");
  assert.equal(await page.isVisible("#deadlock"), true);
  const box = await page.textContent("#deadlock");
  assert.match(box, /Deadlock: alice, bob/);
  assert.match(box, /cycle: (alice → bob → alice|bob → alice → bob)/);
  assert.equal(await page.locator("#cycle circle").count(), 2);
  assert.equal(await page.locator("#diagram rect.deadlock").count(), 1);
  assert.match(await objRow(page, "to_bob (endpoint)"), /alice to send/);
});

await check("buffers_capacity", async (page) => {
  // Step until the bounded mailbox is full and the producer waits for room.
  const total = Number((await where(page)).match(/of (\d+)/)[1]);
  let seen = false;
  for (let i = 0; i < total && !seen; i++) {
    const row = await objRow(page, "two (mailbox)");
    seen = /2 messages of 2/.test(row) && /"y""y"/.test(row) && /producer for room/.test(row);
    await page.keyboard.press("ArrowRight");
  }
  assert.ok(seen, "mailbox two shown full, holding two \"y\", with the producer waiting for room");
});

await check("semaphore_contended", async (page) => {
  const total = Number((await where(page)).match(/of (\d+)/)[1]);
  let seen = false;
  for (let i = 0; i < total && !seen; i++) {
    const row = await objRow(page, "lock (semaphore)");
    seen = /value 0/.test(row) && /worker#2 to P/.test(row) && /worker#3 to P/.test(row);
    await page.keyboard.press("ArrowRight");
  }
  assert.ok(seen, "the lock shown at 0 with two workers queued to P");
});

await browser.close();
if (failed) { console.log(failed + " page(s) failed"); process.exit(1); }
console.log("all pages ok");
