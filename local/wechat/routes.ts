import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJsonBody, sendJson } from '../http';
import { PLATFORMS, type Platform } from './client';
import type { SimulateOutcome, XpayEmulator } from './emulator';

export interface WechatRoute {
  method: 'GET' | 'POST' | 'ANY';
  path: RegExp;
  handler: (req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray) => Promise<void>;
}

/** The simulated WeChat user of a local request, as `/api/functions/:name` names it. */
function openidOf(req: IncomingMessage): string {
  const value = req.headers['x-wx-openid'];
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 128) : 'local-user';
}

/** `/api/pay/simulate`'s `platform`, when given: where the sheet opens if the emulator opens it itself. */
export function simulatePlatform(value: unknown): Platform | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(PLATFORMS as readonly string[]).includes(value)) throw new HttpError(400, `platform must be one of ${PLATFORMS.join(', ')}`);
  return value as Platform;
}

/** Pays or fails a virtual-payment order when the emulator knows it; null when it is another pay mode's trade. */
export async function simulateVirtual(emulator: XpayEmulator, outTradeNo: string, outcome: SimulateOutcome, platform: unknown): Promise<unknown> {
  const where = simulatePlatform(platform);
  if (!(await emulator.owns(outTradeNo))) return null;
  return emulator.simulate(outTradeNo, outcome, where);
}

/**
 * The emulator's routes: WeChat's server API at the runtime's own address (the functions'
 * `WX_API_BASE_URL`), and local-only routes for the preview, tests and the README walk-through.
 */
export function wechatRoutes(emulator: XpayEmulator): WechatRoute[] {
  return [
    {
      method: 'ANY',
      path: /^\/(cgi-bin\/stable_token|sns\/jscode2session|xpay\/[A-Za-z0-9_]+)$/,
      handler: async (req, res, url) => {
        if (!(await emulator.handler(req, res, url))) sendJson(res, 404, { errMsg: `no WeChat API ${url.pathname}` });
      },
    },
    {
      // wx.login of the simulated user: a code the emulator's /sns/jscode2session accepts once, within 5 minutes.
      method: 'POST',
      path: /^\/api\/wx\/login$/,
      handler: async (req, res) => {
        req.resume();
        sendJson(res, 200, await emulator.login(openidOf(req)));
      },
    },
    {
      // wx.requestVirtualPayment of the simulated user: the order is created and the sheet's content answered.
      method: 'POST',
      path: /^\/api\/xpay\/request-payment$/,
      handler: async (req, res) => {
        const body = await readJsonBody(req);
        sendJson(res, 200, await emulator.requestPayment(openidOf(req), { signData: body.signData, mode: body.mode, paySig: body.paySig, signature: body.signature, platform: body.platform }));
      },
    },
    {
      // A push as WeChat sends it, delivered through message push to the routed function; the answer is that function's reply.
      method: 'POST',
      path: /^\/api\/xpay\/push$/,
      handler: async (req, res) => {
        const event = await readJsonBody(req);
        if (typeof event.Event !== 'string') throw new HttpError(400, 'a push event has an Event');
        const result = await emulator.deliverPush(event);
        if (result.route === null) return sendJson(res, 404, { errMsg: `no function receives ${event.Event} (message push routes)` });
        sendJson(res, 200, result.reply ?? null);
      },
    },
    {
      method: 'ANY',
      path: /^\/api\/xpay\/settings$/,
      handler: async (req, res) => {
        if (req.method === 'POST') {
          const patch = await readJsonBody(req);
          for (const [key, value] of Object.entries(patch)) {
            if (key === 'iosEnabled' && typeof value === 'boolean') emulator.settings.iosEnabled = value;
            else if (key === 'pushSource' && typeof value === 'string' && /^[a-z_]{1,32}$/.test(value)) emulator.settings.pushSource = value;
            else if ((key === 'pushRetryUnitMs' || key === 'refundSettleMs') && typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 60_000) emulator.settings[key] = value;
            else throw new HttpError(400, `${key} is not a setting (iosEnabled, pushSource, pushRetryUnitMs, refundSettleMs) or its value is out of range`);
          }
        } else if (req.method !== 'GET') throw new HttpError(405, 'GET or POST');
        const { iosEnabled, pushSource, pushRetryUnitMs, refundSettleMs } = emulator.settings;
        sendJson(res, 200, { iosEnabled, pushSource, pushRetryUnitMs, refundSettleMs, account: { appId: emulator.account.appId, offerId: emulator.account.offerId, originalId: emulator.account.originalId } });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/inspect\/xpay\/users\/([A-Za-z0-9_-]{1,128})$/,
      handler: async (_req, res, _url, match) => sendJson(res, 200, await emulator.inspectUser(match[1] as string)),
    },
    {
      method: 'GET',
      path: /^\/api\/inspect\/xpay\/orders\/([A-Za-z0-9_\-|*@]{1,64})$/,
      handler: async (_req, res, _url, match) => {
        const found = await emulator.inspectOrder(match[1] as string);
        if (!found) return sendJson(res, 404, { errMsg: `WeChat has no order ${match[1]}` });
        sendJson(res, 200, found);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/inspect\/xpay\/pushes$/,
      handler: async (_req, res) => sendJson(res, 200, { pushes: await emulator.pushes.all(), counts: emulator.pushes.counts }),
    },
    {
      method: 'GET',
      path: /^\/api\/inspect\/xpay\/bills\/(\d{8}-\d{8})$/,
      handler: async (_req, res, _url, match) => {
        const bill = await emulator.bill(match[1] as string);
        if (bill === null) return sendJson(res, 404, { errMsg: 'no such bill' });
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(bill) });
        res.end(bill);
      },
    },
  ];
}
