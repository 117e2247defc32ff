import type { KeywordKind } from '../config/subscribe';

/**
 * Limits per keyword kind, from the subscribe message documentation
 * (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html,
 * "订阅消息参数值内容限制说明"), counted as `wechatLength` counts. A value that breaks them fails the
 * send with 47003.
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

/**
 * A value's length as counted against the limits: in UTF-16 code units, so an emoji or a CJK
 * character outside the Basic Multilingual Plane (Extension B and beyond) counts 2. The
 * documentation says "20个以内字符" without saying which unit, and nothing public settles it; UTF-16
 * units are never fewer than code points, so a value that fits counted this way fits whichever
 * WeChat counts (docs/LOCAL-RUNTIME.md, "How the emulator differs from CloudBase").
 */
export function wechatLength(value: string): number {
  return value.length;
}

/** `name` allows 10 Chinese characters or 20 Latin ones. */
const NAME_MAX_CJK = 10;
const CJK = /[\u4e00-\u9fff]/;
/** A surrogate without its partner: it encodes no character, so it is dropped. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex -- control characters are what this removes.
const CONTROL = /[\u0000-\u001f\u007f]/g;
const ELLIPSIS = '…';

const segmenter = new Intl.Segmenter('zh', { granularity: 'grapheme' });

/** The user-perceived characters of a text (an emoji with its modifiers is one): a cut never splits one. */
function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

/** The longest run of whole characters from the start that fits `max` units. */
function fitting(parts: string[], max: number): string {
  let kept = '';
  for (const part of parts) {
    if (wechatLength(kept) + wechatLength(part) > max) break;
    kept += part;
  }
  return kept;
}

function keep(chars: string[], allowed: RegExp, max: number, fallback: string): string {
  const kept = chars.filter((c) => allowed.test(c)).slice(0, max).join('');
  return kept.length > 0 ? kept : fallback;
}

/** Makes a value fit its keyword kind (never empty), so that a send never fails with 47003. */
export function fitKeyword(kind: KeywordKind, value: string): string {
  const chars = [...value];
  const max = KEYWORD_MAX_CHARS[kind];
  switch (kind) {
    // Kinds of single-unit characters only (ASCII, or CJK of the Basic Multilingual Plane): one
    // character is one unit.
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
      const visible = value.replace(CONTROL, '').replace(LONE_SURROGATE, '');
      if (visible.trim().length === 0) return '-';
      if (wechatLength(visible) <= max) return visible;
      return `${fitting(graphemes(visible), max - wechatLength(ELLIPSIS))}${ELLIPSIS}`;
    }
    case 'name': {
      const clean = value.replace(CONTROL, '').replace(LONE_SURROGATE, '');
      const trimmed = fitting(graphemes(clean), CJK.test(clean) ? NAME_MAX_CJK : max).trim();
      return trimmed.length > 0 ? trimmed : '-';
    }
    case 'amount':
    case 'time':
    case 'date':
      // Formatted by their sources (ASCII and ¥); this only guards the length.
      return chars.slice(0, max).join('');
  }
}

export function yuan(amountFen: number): string {
  return `¥${(amountFen / 100).toFixed(2)}`;
}
