// Issue 14: a person blocks, on Parlor's page in Debian's Chromium, the pool number an SMS came from.
//
//   node block-pool-test.mjs <baseUrl> <sessionToken> <poolNumberAddress> <screenshotDir>
//
// The caller (SmsConversationsIT) signed the person in with the code sent to their phone over SMPP
// and passes the session token; the page keeps it in sessionStorage, where this script puts it.
// Exits 0 when the block shows as the number, 1 otherwise (with a screenshot).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, token, pool, shots] = process.argv.slice(2);
if (!base || !token || !pool || !shots) {
  console.error('usage: node block-pool-test.mjs <baseUrl> <sessionToken> <poolNumberAddress> <screenshotDir>');
  process.exit(2);
}
const CHROMIUM = process.env.PARLOR_TEST_CHROMIUM || '/usr/bin/chromium';

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'parlor-block-test-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1000, height: 900 },
  locale: 'en-GB',
});
context.setDefaultTimeout(10000);
const page = context.pages()[0] || (await context.newPage());
let code = 1;
try {
  await page.addInitScript((t) => {
    window.sessionStorage.setItem('parlor.session', JSON.stringify({ token: t, expiresAt: null }));
  }, token);
  await page.goto(`${base.replace(/\/+$/, '')}/`);
  await page.getByLabel('Block an account').fill(pool);
  await page.getByRole('button', { name: 'Block', exact: true }).click();
  await page.getByRole('button', { name: `Unblock ${pool}` }).waitFor();
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'pool-number-blocked.png'), fullPage: true });
  console.log(`[block-pool-test] the page shows ${pool} blocked`);
  code = 0;
} catch (e) {
  console.error(`[block-pool-test] failed: ${e.message}`);
  try {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'pool-number-block-failure.png'), fullPage: true });
  } catch (ignored) {
    // no screenshot then
  }
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
