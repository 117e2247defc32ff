import type { KeywordKind } from '../config/subscribe';

/**
 * Limits per keyword kind (characters), from the subscribe message documentation
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html,
 * "订阅消息参数值内容限制说明"). A value that breaks them fails the send with 47003.
 */
export const KEYWORD_MAX_CHARS: Record<KeywordKind, number> = {
  thing: 20,
  character_string: 32,
  phrase: 5,
  amount: 11,
  time: 19,
  date: 19,
  number: 32,
  letter: 32,
  symbol: 5,
  name: 20,
  phone_number: 17,
};

/** `name` allows 10 Chinese characters or 20 Latin ones. */
const NAME_MAX_CJK = 10;
const CJK = /[\u4e00-\u9fff]/;

function keep(chars: string[], allowed: RegExp, max: number, fallback: string): string {
  const kept = chars.filter((c) => allowed.test(c)).slice(0, max).join('');
  return kept.length > 0 ? kept : fallback;
}

/** Makes a value fit its keyword kind (never empty), so that a send never fails with 47003. */
export function fitKeyword(kind: KeywordKind, value: string): string {
  const chars = [...value];
  const max = KEYWORD_MAX_CHARS[kind];
  switch (kind) {
    case 'character_string':
      return keep(chars, /[\x21-\x7e]/, max, '-');
    case 'phrase':
      return keep(chars, CJK, max, '无');
    case 'number':
      return keep(chars, /[0-9]/, max, '0');
    case 'letter':
      return keep(chars, /[A-Za-z]/, max, 'X');
    case 'phone_number':
      return keep(chars, /[0-9+\-() ]/, max, '-').trim() || '-';
    case 'thing':
    case 'symbol': {
      // eslint-disable-next-line no-control-regex -- control characters are what this removes.
      const visible = chars.filter((c) => !/[\u0000-\u001f\u007f]/.test(c));
      if (visible.join('').trim().length === 0) return '-';
      return visible.length <= max ? visible.join('') : `${visible.slice(0, max - 1).join('')}…`;
    }
    case 'name': {
      const limit = chars.some((c) => CJK.test(c)) ? NAME_MAX_CJK : max;
      const trimmed = chars.slice(0, limit).join('').trim();
      return trimmed.length > 0 ? trimmed : '-';
    }
    case 'amount':
    case 'time':
    case 'date':
      // Formatted by their sources; this only guards the length.
      return chars.slice(0, max).join('');
  }
}

export function yuan(amountFen: number): string {
  return `¥${(amountFen / 100).toFixed(2)}`;
}
