import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drawLogNormal, seededRandom, type LogNormal } from '../local/profile/random';

/**
 * A loopback relay in front of the local runtime's emulator of WeChat's server APIs
 * (api.weixin.qq.com: stable_token, code2Session, the virtual-payment APIs), which the functions
 * reach over HTTP at `WX_API_BASE_URL`. The runtime's cloud profile delays what goes through
 * CloudBase (database, callFunction, cloud calls) but not these plain HTTPS calls, so the bench
 * points `WX_API_BASE_URL` here and every call pays one round trip drawn from a distribution (the
 * profile's `cloudCall`, a call relayed to WeChat's servers): half before it reaches the emulator,
 * half after. CloudBase publishes no figure for either: it is an assumption, labelled as such in
 * docs/CLOUD-PROFILE.md.
 */
export interface WechatApiDelay {
  url: string;
  /** Where to relay to, and the round trip to draw; calls wait until this is set. */
  configure(target: string, roundTrip: LogNormal | null, seed: number): void;
  calls: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function startWechatApiDelay(): Promise<WechatApiDelay> {
  let configured: { target: string; draw: () => number } | null = null;
  let ready: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const relay: WechatApiDelay = {
    url: '',
    calls: 0,
    configure(target, roundTrip, seed) {
      const random = seededRandom(seed * 7919 + 303);
      configured = { target, draw: () => (roundTrip ? drawLogNormal(roundTrip, random) : 0) };
      ready();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const sent = await body(req);
      await readyPromise;
      const { target, draw } = configured as { target: string; draw: () => number };
      relay.calls += 1;
      const roundTrip = draw();
      await sleep(roundTrip / 2);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string' && key !== 'host' && key !== 'content-length' && key !== 'connection') headers[key] = value;
      const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(sent.length > 0 ? { body: sent } : {}) });
      const received = Buffer.from(await answer.arrayBuffer());
      await sleep(roundTrip / 2);
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(received);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: -1, errmsg: `bench relay: ${error instanceof Error ? error.message : String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}
