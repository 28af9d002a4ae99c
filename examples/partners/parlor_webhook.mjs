// A network talking to Parlor's webhook protocol with Node.js's standard library only (Node 18+).
//
//   PARLOR_URL=http://127.0.0.1:8080 PARLOR_NETWORK=chatapp PARLOR_SECRET=... \
//       node parlor_webhook.mjs send chatapp:alice @bob "hello"
//   PARLOR_SECRET=... PARLOR_SIGNATURE="t=...,v1=..." node parlor_webhook.mjs verify < body
//
// Signing (docs/contract.md, section 3): Parlor-Signature: t=<unix seconds>,
// v1=<lowercase hex HMAC-SHA256(secret, "<t>." + raw body)>; more than 300 s off is refused.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const SKEW = 300;

export function sign(secret, body, t) {
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${mac}`;
}

export function verify(secret, header, body, now) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)).filter((p) => p.length === 2));
  const t = Number.parseInt(parts.t, 10);
  if (!Number.isInteger(t) || Math.abs(now - t) > SKEW || typeof parts.v1 !== 'string') return false;
  const expected = Buffer.from(sign(secret, body, t).split(',v1=')[1]);
  const given = Buffer.from(parts.v1);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

async function send(url, network, secret, from, to, text) {
  const body = Buffer.from(JSON.stringify({
    id: `js-${randomUUID()}`, from, to,
    sentAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    content: { type: 'text', text },
  }));
  const r = await fetch(`${url}/v1/networks/${network}/messages`, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'Parlor-Signature': sign(secret, body, Math.floor(Date.now() / 1000)) },
  });
  console.log(r.status, await r.text());
  return r.status;
}

const [cmd, ...args] = process.argv.slice(2);
const secret = process.env.PARLOR_SECRET;
if (cmd === 'send' && args.length === 3) {
  const status = await send(process.env.PARLOR_URL, process.env.PARLOR_NETWORK, secret, ...args);
  process.exit(status === 202 ? 0 : 1);
} else if (cmd === 'verify') {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const ok = verify(secret, process.env.PARLOR_SIGNATURE, Buffer.concat(chunks), Math.floor(Date.now() / 1000));
  console.log(ok ? 'valid' : 'invalid');
  process.exit(ok ? 0 : 1);
} else {
  console.error('usage: parlor_webhook.mjs send FROM TO TEXT | verify');
  process.exit(2);
}
