import type { Database, SubscribeMessageApi } from '../core/platform/wxCloud';

export const SENT_MESSAGES = 'sent_messages';

/** Limits per keyword kind, by the keyword's name prefix (thing1, phrase2, …). */
const LIMITS: { prefix: string; valid: (value: string) => boolean }[] = [
  { prefix: 'character_string', valid: (v) => /^[\x21-\x7e]{1,32}$/.test(v) },
  { prefix: 'thing', valid: (v) => [...v].length >= 1 && [...v].length <= 20 },
  { prefix: 'phrase', valid: (v) => /^[\u4e00-\u9fff]{1,5}$/.test(v) },
  { prefix: 'amount', valid: (v) => /^[¥￥$]?\d{1,10}(\.\d{1,2})?元?$/.test(v) },
  { prefix: 'time', valid: (v) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(v) },
  { prefix: 'date', valid: (v) => /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/.test(v) },
  { prefix: 'number', valid: (v) => /^\d{1,32}(\.\d+)?$/.test(v) },
  { prefix: 'letter', valid: (v) => /^[A-Za-z]{1,32}$/.test(v) },
  { prefix: 'symbol', valid: (v) => [...v].length >= 1 && [...v].length <= 5 },
  { prefix: 'name', valid: (v) => [...v].length >= 1 && [...v].length <= (/[\u4e00-\u9fff]/.test(v) ? 10 : 20) },
  { prefix: 'phone_number', valid: (v) => /^[0-9+\-() ]{1,17}$/.test(v) },
];

/** What WeChat accepts for a keyword, by its name (thing1, phrase2, …); used by tests too. */
export function keywordValueValid(keyword: string, value: unknown): boolean {
  const rule = LIMITS.find((r) => keyword.startsWith(r.prefix));
  return typeof value === 'string' && rule !== undefined && rule.valid(value);
}

class OpenApiError extends Error {
  constructor(
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(errMsg);
  }
}

/**
 * `cloud.openapi.subscribeMessage.send`, played locally: it checks what WeChat checks (each
 * keyword's format, the page path) and records the message so the preview and tests can see it.
 */
export function createSubscribeRecorder(platform: Database, pages: () => string[]): SubscribeMessageApi {
  return {
    async send(params) {
      const { touser, templateId, page, data } = params as { touser?: unknown; templateId?: unknown; page?: unknown; data?: unknown };
      if (typeof touser !== 'string' || !touser) throw new OpenApiError(40003, 'invalid openid');
      if (typeof templateId !== 'string' || !templateId) throw new OpenApiError(40037, 'invalid template_id');
      if (typeof page === 'string' && !pages().includes(page.split('?')[0] as string)) throw new OpenApiError(41030, `invalid page: ${page}`);
      if (data === null || typeof data !== 'object') throw new OpenApiError(47003, 'argument invalid! data is empty');
      for (const [keyword, entry] of Object.entries(data as Record<string, { value?: unknown }>)) {
        if (!keywordValueValid(keyword, entry?.value)) throw new OpenApiError(47003, `argument invalid! data.${keyword}.value`);
      }
      await platform.collection(SENT_MESSAGES).add({ data: { touser, templateId, page, data: data as Record<string, unknown>, sentAt: Date.now() } });
      return { errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok' };
    },
  };
}
