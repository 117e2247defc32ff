import { request } from 'node:http';
import { LocalRuntime } from './support/runtime';

// The local runtime serves only its own machine and its own page: another site the developer
// visits, or a DNS-rebinding page, can change nothing and read nothing.
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await LocalRuntime.quick();
});
afterAll(async () => {
  await runtime?.stop();
});

/** A raw HTTP request, so that Host, Origin and Content-Type are exactly what the test says. */
function raw(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(runtime.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const host = () => new URL(runtime.url).host;
const faultsNow = () => runtime.get<{ pay: { drop: number } }>('/api/faults');

test('a cross-site POST is refused with 403 and changes nothing', async () => {
  const attempt = await raw('POST', '/api/faults', { host: host(), origin: 'https://evil.example', 'content-type': 'application/json' }, JSON.stringify({ pay: { drop: 1 } }));
  expect(attempt.status).toBe(403);
  expect((await faultsNow()).pay.drop).toBe(0);
  // The runtime's own page may.
  const own = await raw('POST', '/api/faults', { host: host(), origin: runtime.url, 'content-type': 'application/json' }, JSON.stringify({ pay: { drop: 0 } }));
  expect(own.status).toBe(200);
});

test('a request for a foreign Host (DNS rebinding) is refused with 403, reads included', async () => {
  const port = new URL(runtime.url).port;
  for (const foreign of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, '127.0.0.1:1']) {
    expect((await raw('GET', '/api/messages', { host: foreign })).status).toBe(403);
    expect((await raw('POST', '/api/faults', { host: foreign, 'content-type': 'application/json' }, '{"pay":{"drop":1}}')).status).toBe(403);
  }
  expect((await raw('GET', '/healthz', { host: `localhost:${port}` })).status).toBe(200);
  expect((await faultsNow()).pay.drop).toBe(0);
});

test('a state change that is not application/json is refused with 415', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    expect((await raw('POST', '/api/faults', { host: host(), 'content-type': type }, '{"pay":{"drop":1}}')).status).toBe(415);
  }
  expect((await raw('POST', '/api/pay/simulate', { host: host() }, '{"outTradeNo":"x","outcome":"success"}')).status).toBe(415);
  expect((await faultsNow()).pay.drop).toBe(0);
});

test('an oversized body answers 413 (not a reset connection), and the runtime keeps serving', async () => {
  const big = JSON.stringify({ data: { prompt: 'x'.repeat(2_000_000) } });
  const answer = await raw('POST', '/api/functions/createOrder', { host: host(), 'content-type': 'application/json' }, big);
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.text)).toEqual({ errMsg: expect.stringContaining('larger than') });
  expect((await runtime.get<{ ok: boolean }>('/healthz')).ok).toBe(true);
});

test('deeply nested JSON answers 400 with a clear message, not a 500', async () => {
  const deep = `{"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  for (const path of ['/api/functions/createOrder', '/api/faults', '/api/pay/simulate']) {
    const answer = await raw('POST', path, { host: host(), 'content-type': 'application/json' }, deep);
    expect({ path, status: answer.status, body: JSON.parse(answer.text) }).toEqual({ path, status: 400, body: { errMsg: expect.stringContaining('deeper than') } });
  }
});

test('WeChat Pay notifications (application/json) still reach payNotify over HTTP access', async () => {
  const answer = await raw('POST', '/api/notify/wechatpay', { host: host(), 'content-type': 'application/json' }, JSON.stringify({ id: 'n', event_type: 'TRANSACTION.SUCCESS' }));
  // Not signed: payNotify itself refuses it, in WeChat Pay's format.
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(600);
  expect(JSON.parse(answer.text)).toMatchObject({ code: 'FAIL' });
});
