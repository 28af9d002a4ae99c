// Drives Debian's Chromium (headless, through playwright-core) through Parlor's end-user page.
//
//   node web-test.mjs <baseUrl> <wiremockBaseUrl> <screenshotDir>
//
// The node under test has two webhook networks, chatapp and textnet, whose deliveryUrls point at
// WireMock; one-time codes arrive there as delivered envelopes, so this script reads them from
// WireMock's request journal. Env PARLOR_TEST_CHATAPP_SECRET is chatapp's webhook secret (to send
// a signed message as another chatapp user and see Alice's new preferred account applied).
// Exits 0 when every check passed, 1 otherwise (with a failure screenshot).
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [baseArg, wiremockArg, shotArg] = process.argv.slice(2);
if (!baseArg || !wiremockArg || !shotArg) {
  console.error('usage: node web-test.mjs <baseUrl> <wiremockBaseUrl> <screenshotDir>');
  process.exit(2);
}
const BASE = baseArg.replace(/\/+$/, '');
const WIREMOCK = wiremockArg.replace(/\/+$/, '');
const SHOTS = path.resolve(shotArg);
const CHROMIUM = process.env.PARLOR_TEST_CHROMIUM || '/usr/bin/chromium';
const CHATAPP_SECRET = process.env.PARLOR_TEST_CHATAPP_SECRET;
const TEXTNET_SECRET = process.env.PARLOR_TEST_TEXTNET_SECRET;
const ALICE = 'chatapp:alice';
const ALICE_TEXTNET = 'textnet:alice';
const BOB = 'chatapp:bob';

const started = Date.now();
const log = (msg) => console.log(`[web-test +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(cond, what) {
  if (!cond) {
    throw new Error(`check failed: ${what}`);
  }
}

async function until(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(100);
  }
}

// ------------------------------------------------------------------ WireMock journal

async function journal() {
  const res = await fetch(`${WIREMOCK}/__admin/requests`);
  check(res.ok, `WireMock journal answers 200 (got ${res.status})`);
  const data = await res.json();
  return (data.requests || []).map((r) => {
    let body = null;
    try {
      body = JSON.parse(r.request.body);
    } catch {
      body = null;
    }
    return { url: r.request.url, at: r.request.loggedDate || Date.parse(r.request.loggedDateString || 0), body };
  });
}

/** The newest envelope delivered to `address` since `sinceMs`. */
async function newestDeliveryTo(address, sinceMs, predicate = () => true) {
  const all = (await journal()).filter(
    (r) => r.body && r.body.to === address && r.at >= sinceMs - 1000 && predicate(r.body));
  all.sort((a, b) => b.at - a.at);
  return all[0];
}

async function codeFor(address, sinceMs) {
  const req = await until(`a one-time code delivered to ${address}`, () => newestDeliveryTo(address, sinceMs,
    (b) => b.content && typeof b.content.text === 'string' && /\b\d{6}\b/.test(b.content.text)));
  const code = req.body.content.text.match(/\b(\d{6})\b/)[1];
  log(`code for ${address} read from WireMock (${req.url})`);
  return code;
}

// ------------------------------------------------------------------ HTTP checks (no browser)

async function httpChecks() {
  const res = await fetch(`${BASE}/`);
  check(res.status === 200, `GET / answers 200 (got ${res.status})`);
  const csp = res.headers.get('content-security-policy');
  check(csp, 'GET / carries a Content-Security-Policy header');
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
    check(csp.includes(d), `CSP contains ${d} (got: ${csp})`);
  }
  check(!/unsafe-inline|unsafe-eval/.test(csp), `CSP allows no unsafe-inline/unsafe-eval (got: ${csp})`);
  check((res.headers.get('content-type') || '').startsWith('text/html'), `GET / is text/html (got ${res.headers.get('content-type')})`);
  const html = await res.text();
  // The page must work under that CSP: no inline script, style or handlers.
  check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'index.html has no inline <script>');
  check(!/<style[\s>]/i.test(html), 'index.html has no <style> block');
  check(!/\sstyle\s*=/i.test(html), 'index.html has no style= attribute');
  check(!/\son[a-z]+\s*=/i.test(html), 'index.html has no inline event handler');
  check(!/javascript:/i.test(html), 'index.html has no javascript: URL');
  check(!/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'index.html loads nothing from another origin');
  for (const [file, type] of [['app.js', 'javascript'], ['app.css', 'text/css']]) {
    const r = await fetch(`${BASE}/${file}`);
    check(r.status === 200, `GET /${file} answers 200 (got ${r.status})`);
    check((r.headers.get('content-type') || '').includes(type), `/${file} content type has ${type} (got ${r.headers.get('content-type')})`);
    const text = await r.text();
    if (file === 'app.js') {
      check(!/\beval\s*\(|new Function\s*\(|innerHTML/.test(text), 'app.js uses no eval, new Function or innerHTML');
      check(!/localStorage|document\.cookie/.test(text), 'app.js keeps nothing in localStorage or cookies');
    }
  }
  log('HTTP checks ok: CSP header present on /, assets served');
}

// ------------------------------------------------------------------ the signed network message

async function sendSigned(network, secret, envelope) {
  const body = JSON.stringify(envelope);
  const t = Math.floor(Date.now() / 1000);
  const sig = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${BASE}/v1/networks/${network}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Parlor-Signature': `t=${t},v1=${sig}` },
    body,
  });
  return { status: res.status, text: await res.text() };
}

// ------------------------------------------------------------------ browser helpers

async function main() {
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} exists (apt-get install -y chromium)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  await httpChecks();

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'parlor-web-test-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
    deviceScaleFactor: 1,
    locale: 'en-GB',
  });
  context.setDefaultTimeout(10000);
  const problems = [];
  const baseOrigin = new URL(BASE).origin;
  const page = context.pages()[0] || (await context.newPage());
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('data:') && new URL(u).origin !== baseOrigin) {
      problems.push(`request to another origin: ${u}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|409|429)|Failed to load resource/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
    if (/Content Security Policy/i.test(m.text())) {
      problems.push(`CSP violation: ${m.text()}`);
    }
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  let shotNo = 0;
  const shot = async (name, scrollTop = true) => {
    const file = path.join(SHOTS, name);
    if (scrollTop) {
      // Full-page captures draw the sticky status bar where it sticks; from the top it sits in place.
      await page.evaluate(() => window.scrollTo(0, 0));
    }
    await page.screenshot({ path: file, fullPage: true });
    shotNo++;
    log(`screenshot ${file}`);
  };
  const status = () => page.locator('#status');
  const waitStatus = async (re, what) => {
    await until(`status region to say ${what}`, async () => re.test((await status().textContent()) || ''));
  };
  const noHorizontalScroll = async (where) => {
    const m = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      body: document.body.scrollWidth,
    }));
    check(m.scroll <= m.client && m.body <= m.client,
      `no horizontal scroll at 375 px on ${where} (scrollWidth ${m.scroll}, body ${m.body}, clientWidth ${m.client})`);
  };
  const me = async () => page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem('parlor.session'));
    const r = await fetch('/v1/me', { headers: { Authorization: `Bearer ${s.token}` } });
    return { status: r.status, body: await r.json() };
  });
  const firstAccount = () => page.locator('#accounts-list li[data-address]').first().getAttribute('data-address');

  try {
    // 1. Sign-in screen.
    await page.goto(`${BASE}/`);
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'signin-address',
      'focus starts in the address field');
    check((await page.locator('meta[name=viewport]').count()) === 1, 'the page has a viewport meta');
    await page.setViewportSize({ width: 375, height: 700 });
    await noHorizontalScroll('the sign-in screen');
    await page.setViewportSize({ width: 1000, height: 900 });
    // the examples are the node's own networks (no SMS example on a node without SMS)
    await page.locator('#signin-address-hint code', { hasText: 'textnet:alice' }).waitFor();
    const hint = await page.locator('#signin-address-hint').textContent();
    check(/chatapp:alice/.test(hint) && !/sms:/.test(hint), `sign-in examples from the node's networks (${hint})`);
    await page.locator('#signin-address').fill(ALICE);
    await shot('01-signin.png');

    // 1b. Ask for a code; a wrong code is refused with a message in the live region.
    let since = Date.now();
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.locator('#signin-code').waitFor({ state: 'visible' });
    check(await page.evaluate(() => document.activeElement.id) === 'signin-code', 'focus moves to the code field');
    const code = await codeFor(ALICE, since);
    const wrong = code.replace(/^./, (d) => String((Number(d) + 1) % 10));
    await page.locator('#signin-code').fill(wrong);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await waitStatus(/not right/i, 'the code is not right');
    check(await page.locator('#status').getAttribute('aria-live') === 'polite', 'status region is aria-live polite');
    check(await page.locator('#signin-code').getAttribute('aria-invalid') === 'true', 'the code field is marked invalid');
    await shot('01b-bad-code.png');

    // 2. The right code signs in; the token is in sessionStorage only.
    await page.locator('#signin-code').fill(code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#view-me').waitFor({ state: 'visible' });
    await page.locator(`#accounts-list li[data-address="${ALICE}"]`).waitFor();
    check(await page.evaluate(() => document.activeElement.id) === 'me-title', 'focus moves to the settings heading after sign-in');
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem('parlor.session'),
      local: localStorage.length,
      cookie: document.cookie,
      url: location.href,
    }));
    const token = JSON.parse(storage.session || '{}').token;
    check(token, 'the session token is in sessionStorage');
    check(storage.local === 0 && storage.cookie === '', 'nothing in localStorage or cookies');
    check(!storage.url.includes(token), 'the token is not in the URL');
    check((await context.cookies()).length === 0, 'the browser holds no cookies');
    await shot('02-signed-in.png');

    // 3. Link textnet:alice with the code delivered to that account.
    since = Date.now();
    await page.locator('#link-address').fill(ALICE_TEXTNET);
    await page.getByRole('button', { name: 'Send code', exact: true }).click();
    await page.locator('#link-code').waitFor({ state: 'visible' });
    const linkCode = await codeFor(ALICE_TEXTNET, since);
    // A wrong code is refused in place: the person stays signed in.
    await page.locator('#link-code').fill(linkCode.replace(/^./, (d) => String((Number(d) + 1) % 10)));
    await page.getByRole('button', { name: 'Link account' }).click();
    await waitStatus(/not right/i, 'the link code is not right');
    check(await page.locator('#view-me').isVisible(), 'a wrong link code does not end the session');
    await page.locator('#link-code').fill(linkCode);
    await page.getByRole('button', { name: 'Link account' }).click();
    await page.locator(`#accounts-list li[data-address="${ALICE_TEXTNET}"]`).waitFor();
    await waitStatus(/now linked/, 'the account is linked');
    await shot('03-linked.png');

    // 4. Preferences: opt in, reachable by everyone, textnet:alice preferred.
    check(!(await page.getByLabel(/Let people on other networks reach me/).isChecked()), 'opt-in is off by default');
    await page.getByLabel(/Let people on other networks reach me/).check();
    await page.getByLabel('Everyone').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await waitStatus(/Preferences saved/, 'preferences saved');
    await page.getByRole('button', { name: `Make preferred ${ALICE_TEXTNET}` }).click();
    await until('textnet:alice to be listed first', async () => (await firstAccount()) === ALICE_TEXTNET);
    await waitStatus(/now your preferred account/, 'the preferred account changed');
    const after = await me();
    check(after.status === 200, `GET /v1/me answers 200 (got ${after.status})`);
    check(after.body.optIn === true, `optIn is stored (${JSON.stringify(after.body)})`);
    check(after.body.reachableBy === 'everyone', `reachableBy is stored (${JSON.stringify(after.body)})`);
    check(after.body.accounts[0] === ALICE_TEXTNET, `textnet:alice is preferred (${JSON.stringify(after.body)})`);
    await shot('04-preferences.png');
    // A reload keeps the session (sessionStorage) and shows the stored settings.
    await page.reload();
    await page.locator('#view-me').waitFor({ state: 'visible' });
    await until('the settings after a reload', async () => (await firstAccount()) === ALICE_TEXTNET);
    check(await page.getByLabel(/Let people on other networks reach me/).isChecked(), 'opt-in shown after a reload');

    // 5. See it applied: a chatapp user writes to chatapp:alice; it arrives at textnet:alice.
    check(CHATAPP_SECRET, 'PARLOR_TEST_CHATAPP_SECRET is set');
    const text = `Hello Alice, from the web page test ${Date.now()}`;
    since = Date.now();
    const sent = await sendSigned('chatapp', CHATAPP_SECRET, {
      id: `web-test-${Date.now()}`, from: BOB, to: ALICE, sentAt: new Date().toISOString(),
      content: { type: 'text', text },
    });
    check(sent.status === 202, `the signed message is accepted with 202 (got ${sent.status} ${sent.text})`);
    const delivered = await until('the message to be delivered to textnet:alice', () =>
      newestDeliveryTo(ALICE_TEXTNET, since, (b) => b.content && b.content.text === text));
    check(delivered.url.startsWith('/textnet/'), `delivered through textnet (${delivered.url})`);
    check(delivered.body.from !== BOB, `the sender's account is hidden (from ${delivered.body.from})`);
    log(`message from ${BOB} delivered to ${ALICE_TEXTNET} as from ${delivered.body.from}`);

    // 6. Phone-sized screen: no horizontal scroll.
    await page.setViewportSize({ width: 375, height: 700 });
    await noHorizontalScroll('the settings screen');
    await page.locator('#link-address').fill('textnet:alice-phone');
    await page.getByRole('button', { name: 'Send code', exact: true }).click();
    await page.locator('#link-code').waitFor({ state: 'visible' });
    await noHorizontalScroll('the settings screen with the link code form open');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('05-mobile.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('05b-mobile-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1000, height: 900 });

    // 7. Handle, custom timer, a block and an unblock.
    await page.getByLabel('Handle', { exact: true }).fill('alice');
    await page.getByRole('button', { name: 'Save handle' }).click();
    await waitStatus(/handle is now @alice/, 'the handle is set');
    await page.getByLabel('Disappearing messages in new conversations').selectOption('custom');
    await page.getByLabel('Custom timer, in seconds').fill('7200');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await waitStatus(/Preferences saved/, 'the timer is saved');
    // neither of her networks' clients can make messages disappear: the page says so
    const note = page.locator('#pref-timer-note');
    await note.waitFor({ state: 'visible' });
    check(/can make messages disappear/.test(await note.textContent()), `the timer note (${await note.textContent()})`);
    await page.getByLabel('Block an account').fill('chatapp:mallory');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('button', { name: 'Unblock chatapp:mallory' }).waitFor();
    const prefs = (await me()).body;
    check(prefs.handle === '@alice' || prefs.handle === 'alice', `handle stored (${prefs.handle})`);
    check(prefs.defaultTimerSeconds === 7200, `custom timer stored (${prefs.defaultTimerSeconds})`);
    check(Array.isArray(prefs.blocks) && prefs.blocks.includes('chatapp:mallory'), `block stored (${prefs.blocks})`);
    await shot('06-handle-timer-block.png');
    await page.getByRole('button', { name: 'Unblock chatapp:mallory' }).click();
    await page.locator('#blocks-empty').waitFor({ state: 'visible' });
    check(!((await me()).body.blocks || []).includes('chatapp:mallory'), 'the block is removed');
    // block what you see (issue 14): the relay handle Bob's message came from; the page shows the
    // handle, never who it is, and lifts it by the handle
    const seen = delivered.body.from;
    check(/^~/.test(seen), `Bob's message came from a relay handle (${seen})`);
    await page.getByLabel('Block an account').fill(seen);
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('button', { name: `Unblock ${seen}` }).waitFor();
    const seenBlocks = (await me()).body.blocks || [];
    check(seenBlocks.includes(seen) && !JSON.stringify(seenBlocks).includes(BOB), `the handle is blocked, Bob unnamed (${seenBlocks})`);
    const blockedSend = await sendSigned('chatapp', CHATAPP_SECRET, {
      id: `web-test-blocked-${Date.now()}`, from: BOB, to: ALICE_TEXTNET, sentAt: new Date().toISOString(),
      content: { type: 'text', text: 'are you there?' },
    });
    check(blockedSend.status === 422, `Bob cannot reach her while blocked (got ${blockedSend.status})`);
    await page.getByRole('button', { name: `Unblock ${seen}` }).click();
    await page.locator('#blocks-empty').waitFor({ state: 'visible' });

    // 7b. Conversations: appear as @alice with a display name; no read receipts, no reaction fallbacks.
    await page.getByLabel('As my public handle').check();
    await page.getByLabel('Display name (optional)').fill('Alice A.');
    await page.getByLabel('Send read receipts').uncheck();
    await page.getByLabel('Show reactions as text where my app cannot show them').uncheck();
    await page.getByRole('button', { name: 'Save conversation settings' }).click();
    await waitStatus(/Conversation settings saved/, 'the conversation settings are saved');
    const conv = (await me()).body;
    check(conv.showAs === 'handle', `showAs stored (${conv.showAs})`);
    check(conv.displayName === 'Alice A.', `displayName stored (${conv.displayName})`);
    check(conv.sendReadReceipts === false, `sendReadReceipts stored (${conv.sendReadReceipts})`);
    check(conv.reactionFallback === false, `reactionFallback stored (${conv.reactionFallback})`);
    await page.reload();
    await page.locator('#view-me').waitFor({ state: 'visible' });
    check(await page.getByLabel('As my public handle').isChecked(), 'showAs shown after a reload');
    check(!(await page.getByLabel('Send read receipts').isChecked()), 'read receipts shown off after a reload');
    check((await page.getByLabel('Display name (optional)').inputValue()) === 'Alice A.', 'display name shown after a reload');
    await shot('06b-conversations.png');
    // See it applied: Alice answers Bob's relay handle from textnet; Bob sees @alice and her name.
    // (chatapp's clients have no disappearing timers: her 2-hour default would refuse the answer)
    await page.getByLabel('Disappearing messages in new conversations').selectOption('off');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await waitStatus(/Preferences saved/, 'the timer is off again');
    check(TEXTNET_SECRET, 'PARLOR_TEST_TEXTNET_SECRET is set');
    since = Date.now();
    const answer = await sendSigned('textnet', TEXTNET_SECRET, {
      id: `web-test-answer-${Date.now()}`, from: ALICE_TEXTNET, to: delivered.body.from, sentAt: new Date().toISOString(),
      content: { type: 'text', text: 'hi Bob, it is Alice' },
    });
    check(answer.status === 202, `the answer is accepted with 202 (got ${answer.status} ${answer.text})`);
    const atBob = await until('the answer at chatapp:bob', () =>
      newestDeliveryTo(BOB, since, (b) => b.content && b.content.text === 'hi Bob, it is Alice'));
    check(atBob.body.from === '@alice', `Bob sees her public handle (${atBob.body.from})`);
    check(atBob.body.fromName === 'Alice A.', `and her display name (${atBob.body.fromName})`);
    check(!JSON.stringify(atBob.body).includes('textnet:alice'), 'never her account');

    // 7c. Groups: Bob (signed in through the API) invites @alice; she joins on the page, then
    // creates a group of her own and leaves it (the last one out deletes it).
    since = Date.now();
    check((await fetch(`${BASE}/v1/auth/start`, { method: 'POST', body: JSON.stringify({ address: BOB }) })).status === 202,
      'Bob asks for a code');
    const bobCode = await codeFor(BOB, since);
    const bobSession = await (await fetch(`${BASE}/v1/auth/verify`, {
      method: 'POST', body: JSON.stringify({ address: BOB, code: bobCode }) })).json();
    check(bobSession.token, 'Bob is signed in');
    const created = await fetch(`${BASE}/v1/me/groups`, {
      method: 'POST', headers: { Authorization: `Bearer ${bobSession.token}` },
      body: JSON.stringify({ name: 'Climbing', invite: ['@alice'] }) });
    check(created.status === 201, `Bob creates a group (got ${created.status})`);
    const climbingId = (await created.json()).id;
    const invitation = await until('the invitation at textnet:alice', () => newestDeliveryTo(ALICE_TEXTNET, since,
      (b) => b.from === '@parlor' && b.content && /Climbing/.test(b.content.text || '')));
    log(`invitation: ${invitation.body.content.text}`);
    await page.reload();
    await page.locator('#view-me').waitFor({ state: 'visible' });
    const climbing = page.locator('#groups-list li', { hasText: 'Climbing' });
    await climbing.filter({ hasText: 'you are invited' }).waitFor();
    await page.getByRole('button', { name: 'Join Climbing' }).click();
    await waitStatus(/You joined Climbing/, 'alice joined');
    await climbing.filter({ hasText: '2 members; write to ~' }).waitFor();
    await page.getByLabel("New group's name").fill('Book club');
    await page.getByRole('button', { name: 'Create group' }).click();
    await waitStatus(/Group Book club created/, 'the group is created');
    await page.locator('#groups-list li', { hasText: 'Book club — 1 member' }).waitFor();
    // she manages it as its admin: invites Bob (he joins through the API), renames it, sets its
    // timer, removes Bob
    await page.locator('#groups-list li', { hasText: 'Book club' }).locator('summary').click();
    const optedIn = await fetch(`${BASE}/v1/me/preferences`, { method: 'PUT',
      headers: { Authorization: `Bearer ${bobSession.token}` }, body: JSON.stringify({ optIn: true, reachableBy: 'everyone' }) });
    check(optedIn.status === 200, `Bob opts in (got ${optedIn.status})`);
    await page.getByLabel('Invite to Book club').fill(BOB);
    await page.getByRole('button', { name: 'Invite to Book club' }).click();
    await waitStatus(/Invitations to Book club sent/, 'Bob is invited to Book club');
    const bookClub = (await (await fetch(`${BASE}/v1/me/groups`, {
      headers: { Authorization: `Bearer ${bobSession.token}` } })).json()).groups.find((g) => g.name === 'Book club');
    check(bookClub && bookClub.state === 'invited', `Bob is invited to Book club (${JSON.stringify(bookClub)})`);
    const joined = await fetch(`${BASE}/v1/me/groups/${bookClub.id}/join`, {
      method: 'POST', headers: { Authorization: `Bearer ${bobSession.token}` } });
    check(joined.status === 200, `Bob joins Book club (got ${joined.status})`);
    await page.getByLabel('Name of Book club').fill('Reading circle');
    await page.getByRole('button', { name: 'Rename Book club' }).click();
    await waitStatus(/Book club is now called Reading circle/, 'renamed');
    const circle = page.locator('#groups-list li[data-group]', { hasText: 'Reading circle — 2 members' });
    await circle.waitFor();
    await page.getByLabel('Disappearing messages in Reading circle').selectOption('604800');
    await page.getByRole('button', { name: 'Set timer of Reading circle' }).click();
    await waitStatus(/disappear 7 days after sending/, 'the group timer is set');
    const bobShown = await fetch(`${BASE}/v1/me/groups/${bookClub.id}`, { headers: { Authorization: `Bearer ${bobSession.token}` } });
    const bobView = await bobShown.json();
    check(bobView.name === 'Reading circle' && bobView.timerSeconds === 604800,
      `Bob sees the new name and timer (${JSON.stringify(bobView)})`);
    await shot('06c-groups.png');
    await circle.getByRole('button', { name: /^Remove .+ from Reading circle$/ }).click();
    await waitStatus(/was removed from Reading circle/, 'Bob removed');
    await page.locator('#groups-list li[data-group]', { hasText: 'Reading circle — 1 member' }).waitFor();
    await page.getByRole('button', { name: 'Leave Reading circle' }).first().click();
    await page.locator('#groups-list li', { hasText: 'Reading circle' }).waitFor({ state: 'detached' });
    // she leaves Climbing and blocks it, then lifts the block
    await page.getByRole('button', { name: 'Leave and block Climbing' }).click();
    await page.locator('#groups-list li', { hasText: 'Climbing — you blocked this group' }).waitFor();
    const reinvited = await fetch(`${BASE}/v1/me/groups/${climbingId}/invite`, {
      method: 'POST', headers: { Authorization: `Bearer ${bobSession.token}` }, body: JSON.stringify({ invite: ['@alice'] }) });
    check(reinvited.status === 202, `Bob invites her again, told nothing (got ${reinvited.status})`);
    await page.getByRole('button', { name: 'Unblock Climbing' }).click();
    await page.locator('#groups-list li', { hasText: 'Climbing' }).waitFor({ state: 'detached' });
    const groups = await page.evaluate(async () => {
      const s = JSON.parse(sessionStorage.getItem('parlor.session'));
      return (await fetch('/v1/me/groups', { headers: { Authorization: `Bearer ${s.token}` } })).json();
    });
    check(groups.groups.length === 0, `alice is in no group, and the invitation sent while she blocked it never came (${JSON.stringify(groups)})`);

    // 8. Unlink chatapp:alice, leaving textnet:alice as the only account.
    await page.getByRole('button', { name: `Unlink ${ALICE}` }).click();
    await page.locator(`#accounts-list li[data-address="${ALICE}"]`).waitFor({ state: 'detached' });
    check((await me()).body.accounts.join(',') === ALICE_TEXTNET, 'only textnet:alice is left');

    // 9. Forget me, behind an in-page confirmation.
    await page.getByRole('button', { name: 'Forget me…' }).click();
    await page.locator('#forget-confirm').waitFor({ state: 'visible' });
    await shot('07-forget-confirm.png');
    const forgetToken = JSON.parse(await page.evaluate(() => sessionStorage.getItem('parlor.session'))).token;
    await page.getByRole('button', { name: 'Yes, delete everything' }).click();
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    await waitStatus(/deleted/, 'everything was deleted');
    check(await page.evaluate(() => sessionStorage.length) === 0, 'sessionStorage is cleared after forget me');
    const gone = await fetch(`${BASE}/v1/me`, { headers: { Authorization: `Bearer ${forgetToken}` } });
    check(gone.status === 401, `the old session no longer works after forget me (got ${gone.status})`);
    await shot('08-forgotten.png');

    const csp = await page.evaluate(() => window.__csp);
    check(csp.length === 0, `no CSP violations (${csp.join('; ')})`);
    check(problems.length === 0, `no page problems:\n  ${problems.join('\n  ')}`);
    log(`all checks passed (${shotNo} screenshots)`);
  } catch (e) {
    try {
      await page.screenshot({ path: path.join(SHOTS, '99-failure.png'), fullPage: true });
      console.error(`status region: ${JSON.stringify(await page.locator('#status').textContent({ timeout: 1000 }))}`);
    } catch {
      /* ignore */
    }
    if (problems.length) {
      console.error(`page problems:\n  ${problems.join('\n  ')}`);
    }
    throw e;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[web-test] FAILED: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
