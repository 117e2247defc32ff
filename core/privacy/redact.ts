/**
 * Redaction of personal data before a prompt is stored or leaves for a model provider. Each kind
 * is replaced by a typed placeholder; only the counts per kind are kept, never the values.
 *
 * How it works (docs/PRIVACY.md has the figures and the reasons):
 * 1. A scan copy of the prompt is made in which digits of every script and compatibility forms
 *    (full width, circled, mathematical) become ASCII, runs of Chinese numerals (一三八…, 壹叁捌…)
 *    become digits, invisible characters (normalize.ts: zero-width spaces, soft hyphens, bidi
 *    marks, variation selectors, controls) are dropped, and every run of spaces, tabs and line
 *    breaks is one space. Each scan character remembers where it came from in the original, so a
 *    match in the scan removes exactly its own span of the original, invisible characters included.
 * 2. E-mail addresses, then payment identifiers, are found by bounded regular expressions.
 * 3. Every remaining number is read as a token: digit groups joined by short runs of separators
 *    (spaces, dots, dashes, slashes, commas, brackets). A token (or a run of its groups, when the
 *    whole is none) is a resident ID when its check digit, date and region hold, a bank card when it
 *    passes Luhn with a card prefix and a card-like grouping, a mobile number when it is 1[3-9] and
 *    11 digits (after an optional 86 / 0086). An unbroken digit group is never cut: a mobile inside
 *    a longer unbroken number is not one.
 * Every pattern has bounded repetition or disjoint alternatives, so a scan is linear in the input.
 */
import { INVISIBLE, LINE_BREAK, SPACE } from './normalize';

export type RedactionKind = 'email' | 'payment_id' | 'id_number' | 'bank_card' | 'mobile';

export const REDACTION_KINDS: readonly RedactionKind[] = ['email', 'payment_id', 'id_number', 'bank_card', 'mobile'];

export const PLACEHOLDERS: Record<RedactionKind, string> = {
  email: '[EMAIL]',
  payment_id: '[PAYMENT_ID]',
  id_number: '[ID_NUMBER]',
  bank_card: '[BANK_CARD]',
  mobile: '[PHONE]',
};

export interface RedactionResult {
  text: string;
  counts: Partial<Record<RedactionKind, number>>;
}

// ---- checksums -----------------------------------------------------------------------------

function digitsOnly(text: string): string {
  return text.replace(/[^0-9Xx]/g, '');
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
/** First two digits of a resident ID: province-level regions (GB/T 2260), 71 Taiwan, 81–83 HK/Macao/Taiwan residence permits. */
const ID_REGIONS = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]);

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** An 18-digit ID with a valid region, birth date and ISO 7064 check digit (GB 11643), or a 15-digit one (1984–1999 format) with a valid region and date. */
export function isValidResidentId(candidate: string): boolean {
  const id = digitsOnly(candidate).toUpperCase();
  if (!ID_REGIONS.has(Number(id.slice(0, 2)))) return false;
  if (id.length === 18) {
    if (!/^\d{17}[\dX]$/.test(id)) return false;
    const year = Number(id.slice(6, 10));
    if (year < 1900 || year > 2100 || !validDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
    let sum = 0;
    for (let i = 0; i < 17; i += 1) sum += Number(id[i]) * (ID_WEIGHTS[i] as number);
    return ID_CHECK[sum % 11] === id[17];
  }
  if (id.length === 15) {
    if (!/^\d{15}$/.test(id)) return false;
    return validDate(1900 + Number(id.slice(6, 8)), Number(id.slice(8, 10)), Number(id.slice(10, 12)));
  }
  return false;
}

export function passesLuhn(candidate: string): boolean {
  const digits = digitsOnly(candidate);
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Issuer ranges and lengths of the cards people in China carry (ISO/IEC 7812 IINs as the schemes
 * publish them): UnionPay 62 and 8100–8171, the domestic banks' 60 (e.g. Bank of China 601382), Visa 4 (16 or 19), Mastercard 51–55 and 2221–2720, Amex 34/37
 * (15), JCB 3528–3589, Diners 36/38/39/300–305, Discover 644–649/65, and the older domestic 9.
 * An 18-digit resident ID with a wrong check digit (regions 11–65) then does not pass as a card.
 */
const CARD_RANGES: ReadonlyArray<{ from: number; to: number; lengths: readonly number[] }> = [
  { from: 620000, to: 629999, lengths: [16, 17, 18, 19] },
  { from: 810000, to: 817199, lengths: [16, 17, 18, 19] },
  { from: 600000, to: 609999, lengths: [16, 17, 18, 19] },
  { from: 400000, to: 499999, lengths: [16, 19] },
  { from: 510000, to: 559999, lengths: [16, 19] },
  { from: 222100, to: 272099, lengths: [16] },
  { from: 340000, to: 349999, lengths: [15] },
  { from: 370000, to: 379999, lengths: [15] },
  { from: 352800, to: 358999, lengths: [16, 17, 18, 19] },
  { from: 300000, to: 305999, lengths: [16, 17, 18, 19] },
  { from: 360000, to: 369999, lengths: [15, 16, 17, 18, 19] },
  { from: 380000, to: 399999, lengths: [16, 17, 18, 19] },
  { from: 644000, to: 659999, lengths: [16, 17, 18, 19] },
  { from: 900000, to: 999999, lengths: [16, 17, 18, 19] },
];

/** A payment card number: a known issuer range with its length, and the Luhn check. */
export function isLikelyCard(candidate: string): boolean {
  const digits = digitsOnly(candidate);
  if (!/^\d{15,19}$/.test(digits)) return false;
  const iin = Number(digits.slice(0, 6));
  return CARD_RANGES.some((range) => iin >= range.from && iin <= range.to && range.lengths.includes(digits.length)) && passesLuhn(digits);
}

/** A mainland mobile number: 11 digits 1[3-9]…, optionally after the country code 86 or 0086. */
export function isMainlandMobile(candidate: string): boolean {
  return /^(?:0086|86)?1[3-9]\d{9}$/.test(digitsOnly(candidate));
}

// ---- the scan copy -------------------------------------------------------------------------

const DECIMAL = /\p{Nd}/u;
/**
 * Nonspacing and enclosing marks draw on the character before them and take no room of their own
 * ("1\u20e3" is the keycap 1️⃣, "8\u0336" a struck-through 8): the scan drops them, so digits under
 * keycaps or accents still read as one number. A match keeps covering them in the original.
 */
const OVERLAID_MARK = /[\p{Mn}\p{Me}]/u;
const ASCII_DIGIT = /[0-9]/;

/**
 * The value of a decimal digit of any script. Decimal digits occur only in contiguous ranges of ten,
 * 0 to 9 in order (Unicode's stability policy, https://www.unicode.org/policies/stability_policy.html;
 * the mathematical digits are five such ranges in a row), so a digit's value is its distance from
 * the start of its run of digits, modulo 10.
 */
function decimalValue(cp: number): number {
  let start = cp;
  while (DECIMAL.test(String.fromCodePoint(start - 1))) start -= 1;
  return (cp - start) % 10;
}

/**
 * A character as the scan reads it: a decimal digit of any script as its ASCII digit; the
 * ideographic full stop as ".", as in "qq。com"; anything else outside ASCII as its NFKC form
 * (full-width and mathematical letters, "＠", "﹒", "，"). A character whose NFKC form holds digits
 * without being a digit ("①", "⒈", "¹", "㏠") is read as a number of its own, a space either side,
 * so a circled list number glued to a phone number does not become part of it.
 */
function foldCodePoint(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp);
  const ch = String.fromCodePoint(cp);
  // CJK unified ideographs are digits of no script and NFKC leaves them alone: most of a prompt.
  if (cp >= 0x4e00 && cp <= 0x9fff) return ch;
  if (DECIMAL.test(ch)) return String.fromCharCode(48 + decimalValue(cp));
  if (cp === 0x3002 || cp === 0xff61) return '.';
  const folded = ch.normalize('NFKC');
  return ASCII_DIGIT.test(folded) ? ` ${folded} ` : folded;
}

/**
 * Chinese numerals read as digits: the ordinary ones, 幺 (one, as numbers are read out aloud), 两,
 * and the financial forms written on cheques and receipts (壹贰叁肆伍陆柒捌玖, traditional 貳參陸,
 * variants 貮叄). Numerals with units (一百三十八) are words, not digit strings, and stay.
 */
const CHINESE_DIGITS: Record<string, string> = {
  〇: '0', 零: '0', 一: '1', 幺: '1', 壹: '1', 二: '2', 两: '2', 贰: '2', 貳: '2', 貮: '2', 三: '3', 叁: '3', 參: '3', 叄: '3',
  四: '4', 肆: '4', 五: '5', 伍: '5', 六: '6', 陆: '6', 陸: '6', 七: '7', 柒: '7', 八: '8', 捌: '8', 九: '9', 玖: '9',
};
const NUMERAL_CLASS = `[${Object.keys(CHINESE_DIGITS).join('')}]`;

/** Characters that may sit between digit groups of one number, one to three at a time. */
const GROUP_SEPARATOR = "[ \\-\\u2010-\\u2015\\u2212\\ufe58\\ufe63.\\u00b7\\u30fb/_()~',]";

/**
 * Digits and Chinese numerals joined as one number would be. Those holding three numerals or more
 * are a number spelled out ("一三八 一二三四 五六七八", "壹叁捌…", "138 1234 伍陆柒捌") and are read
 * as digits; one or two numerals next to a number are prose ("13812345678一直打不通", "第一").
 */
const SPELLED_NUMBER = new RegExp(`(?:[0-9]|${NUMERAL_CLASS})+(?:${GROUP_SEPARATOR}{1,3}(?:[0-9]|${NUMERAL_CLASS})+)*`, 'g');
const NUMERAL = new RegExp(NUMERAL_CLASS, 'g');

function readChineseNumerals(scan: string): string {
  return scan.replace(SPELLED_NUMBER, (run) => ((run.match(NUMERAL)?.length ?? 0) >= 3 ? run.replace(NUMERAL, (numeral) => CHINESE_DIGITS[numeral] ?? numeral) : run));
}

interface Scan {
  text: string;
  /** For each scan UTF-16 unit, where its character starts in the original. */
  from: number[];
  /** For each scan UTF-16 unit, where its character ends in the original. */
  to: number[];
}

function scanOf(input: string): Scan {
  let text = '';
  const from: number[] = [];
  const to: number[] = [];
  /** Whether the last scan character is a space standing for a run of spaces and line breaks still going on. */
  let inSpaceRun = false;
  let i = 0;
  while (i < input.length) {
    const cp = input.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const ch = String.fromCodePoint(cp);
    if (SPACE.test(ch) || LINE_BREAK.test(ch)) {
      // Any run of spaces, tabs and line breaks is one space, so "138    1234", "138\t1234",
      // "138\n1234" and "138\u20091234" all read "138 1234".
      if (inSpaceRun) to[to.length - 1] = i + width;
      else {
        text += ' ';
        from.push(i);
        to.push(i + width);
        inSpaceRun = true;
      }
    } else if (!INVISIBLE.test(ch) && !OVERLAID_MARK.test(ch)) {
      const folded = foldCodePoint(cp);
      for (let k = 0; k < folded.length; k += 1) {
        from.push(i);
        to.push(i + width);
      }
      text += folded;
      inSpaceRun = false;
    }
    i += width;
  }
  return { text: readChineseNumerals(text), from, to };
}

// ---- detectors -----------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
  kind: RedactionKind;
}

/** Replaces scan characters already taken by a span, so later detectors neither see nor join across them. */
const TAKEN = '\u0001';

/**
 * A local part: ASCII and the letters of scripts written with spaces between words (RFC 6531 allows
 * any), from where the run starts; or up to 16 Chinese, Japanese or Korean characters right before
 * the "@" ("张三@例子.中国"), since nothing in the text says where such a name starts.
 */
const WORD_LOCAL = "[A-Za-z0-9._%+'\\-\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{M}]";
const CJK_LOCAL = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}]';
const LOCAL_PART = `(?:${CJK_LOCAL}{1,16}|(?<!${WORD_LOCAL})${WORD_LOCAL}{1,64})`;
/** "@", also percent-encoded (as a mailto: link or a form field carries it) or as an HTML character reference. */
const AT = '(?:@|%40|&#64;|&#[xX]40;)';
/** A domain label, internationalised ones (RFC 5890: "bücher", "例子") included. */
const LABEL = '[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}-]{0,62}';
/** File extensions that are no top-level domain: "icon@2x.png" is an image, not an address. */
const NOT_TLD = '(?:png|jpe?g|gif|svg|webp|bmp|ico|m?js|cjs|jsx|ts|tsx|json|css|scss|less|html?|txt|py|java|kt|vue|wxml|wxss|ya?ml|toml|lock|log)(?![A-Za-z0-9-])';
/**
 * Chinese top-level domains, in the ICANN section of the Public Suffix List
 * (https://publicsuffix.org/list/public_suffix_list.dat; IANA's root zone,
 * https://www.iana.org/domains/root/db). Text may follow them unspaced, as Chinese does.
 */
const CHINESE_TLDS = [
  '中文网', '组织机构', '新加坡', '我爱你', '中国', '中國', '香港', '澳門', '澳门', '台湾', '台灣', '公司', '网络', '网址', '网店', '网站',
  '商城', '商店', '商标', '在线', '集团', '企业', '游戏', '娱乐', '手机', '信息', '广东', '佛山', '健康', '招聘', '购物', '时尚', '微博', '移动',
  '联通', '政务', '公益', '八卦', '餐厅', '机构', '慈善',
];
const TLD = `(?:(?!${NOT_TLD})[A-Za-z]{2,24}(?![A-Za-z0-9-])|xn--[A-Za-z0-9-]{1,59}(?![A-Za-z0-9-])|${CHINESE_TLDS.join('|')})`;
/**
 * The top-level domains an address written with spaces or spelled out must end with: spaces around
 * dots and the words "at" and "dot" occur in ordinary sentences ("I am at school. Then…", "look at
 * this dot product"), so those forms need a domain that exists (the commonest generic and
 * country-code domains of the Public Suffix List), written in one case.
 */
const COMMON_TLDS = [
  'com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'mobi', 'asia', 'io', 'co', 'me', 'tv', 'cc', 'ai', 'app',
  'dev', 'xyz', 'top', 'site', 'online', 'club', 'vip', 'shop', 'store', 'tech', 'cloud', 'live', 'email', 'link', 'wang', 'ltd', 'group',
  'work', 'ink', 'ren', 'cn', 'hk', 'mo', 'tw', 'jp', 'kr', 'sg', 'my', 'th', 'vn', 'ph', 'id', 'in', 'uk', 'de', 'fr', 'it', 'es', 'nl', 'ru',
  'us', 'ca', 'au', 'nz', 'br', 'eu', 'ch', 'se', 'no', 'dk', 'fi', 'pl', 'at', 'be', 'ie', 'pt', 'gr', 'tr', 'il', 'ae', 'sa', 'za', 'mx',
  'ar', 'cl', 'cz',
];
const COMMON_TLD = `(?:(?:${COMMON_TLDS.join('|')}|${COMMON_TLDS.join('|').toUpperCase()})(?![A-Za-z0-9-])|${CHINESE_TLDS.join('|')})`;
const SPELLED_AT = '(?:[([{<]\\s?(?:at|AT)\\s?[)\\]}>]|\\s(?:at|AT)\\s)';
const SPELLED_DOT = '(?:\\s?[([{<]\\s?(?:dot|DOT)\\s?[)\\]}>]\\s?|\\s(?:dot|DOT)\\s|\\.)';
/** Each pattern with what a text must contain for it to match at all (a cheap test that spares long texts without an "@" the scan). */
const EMAIL_PATTERNS: ReadonlyArray<{ pattern: RegExp; needs: RegExp }> = [
  // As written: "zhang.san@example.com", "_x@qq.com", "alice @ example.com", "alice%40example.com", "张三@例子.中国".
  { pattern: new RegExp(`${LOCAL_PART}\\s?${AT}\\s?${LABEL}(?:\\.${LABEL}){0,8}\\.${TLD}`, 'gu'), needs: /@|%40|&#/ },
  // Spaces around the dots as well: "alice @ example . com".
  { pattern: new RegExp(`${LOCAL_PART}\\s?${AT}\\s?${LABEL}(?:\\s?\\.\\s?${LABEL}){0,8}\\s?\\.\\s?${COMMON_TLD}`, 'gu'), needs: /@|%40|&#/ },
  // Spelled out to dodge scrapers: name(at)example(dot)com, name [at] example . com, name at example dot com.
  { pattern: new RegExp(`${LOCAL_PART}\\s?${SPELLED_AT}\\s?${LABEL}(?:${SPELLED_DOT}${LABEL}){0,4}${SPELLED_DOT}${COMMON_TLD}`, 'gu'), needs: /at|AT/ },
];

/**
 * WeChat Pay transaction ids (28 digits, starting with 42), refund ids (29–32 digits starting
 * with 50), and this product's order numbers (AI + 14-digit time + 16 alphanumerics; R + that for
 * refunds). Other shops' order numbers say nothing about the user and stay.
 */
const PAYMENT_ID = /(?<![0-9A-Za-z])(?:4\d{27}|5\d{28,31}|R?AI\d{14}[A-Za-z0-9]{16})(?![0-9A-Za-z])/g;
/** The same identifiers as digits alone, for a number written in groups ("4200 0012 3420 …") or glued to letters. */
const PAYMENT_ID_DIGITS = /^(?:4\d{27}|5\d{28,31})$/;

/**
 * One number token: digit groups joined by separators, optionally led by "+" or "(" and ended by
 * the ID check letter X, glued or after a separator ("…002 X"). Groups and separators are disjoint,
 * so matching is linear.
 */
const NUMBER_TOKEN = new RegExp(`(?<![0-9])(?<!0[xX])(?:[+(]{1,2})?[0-9]+(?:${GROUP_SEPARATOR}{1,3}[0-9]+)*(?:[Xx]|${GROUP_SEPARATOR}{1,3}[Xx](?![A-Za-z0-9]))?`, 'g');
/** A digit group, or the check letter X on its own after a separator. */
const GROUP = /[0-9]+[Xx]?|[Xx]/g;
/** The longest identifier in digits: a refund id (a 0086-prefixed mobile is 15, a card 19). */
const LONGEST_DIGITS = 32;
/** Digit counts an identifier can have: mobile 11 (13, 15 with 86 / 0086), ID 15 or 18, card 15–19, payment ids 28–32. */
const IDENTIFIER_LENGTHS = new Set([11, 13, 15, 16, 17, 18, 19, 28, 29, 30, 31, 32]);

interface Group {
  digits: string;
  start: number;
  end: number;
  /** The separator before this group in the token ('' for the first). */
  before: string;
}

/** "1,380,000": digits grouped in thousands are an amount, never an identifier. */
function isThousands(groups: readonly Group[]): boolean {
  return groups.length > 1 && (groups[0] as Group).digits.length <= 3 && groups.slice(1).every((g) => g.before === ',' && g.digits.length === 3);
}

/** Groups of more than one only count when they look like how people write that kind of number. */
function classify(groups: readonly Group[], whole: boolean): RedactionKind | null {
  if (isThousands(groups)) return null;
  const digits = groups.map((g) => g.digits).join('').toUpperCase();
  const sizes = groups.map((g) => g.digits.length);
  const single = groups.length === 1;
  const xAt = digits.indexOf('X');
  if (xAt >= 0 && xAt !== digits.length - 1) return null;
  // 6-8-4, 6-4-4-4, 3-3-4-4-4, 17 + " X" …: no group of one or two digits inside an ID. A 15-digit
  // ID has no check digit, so any region and date pass: in groups, its 6-digit region comes first
  // whole (6-6-3), or a list number and a phone ("1101. 138 2100 5678") would be one.
  const idGrouping = single || (sizes.slice(0, -1).every((n) => n >= 3) && (digits.length === 18 || (sizes[0] as number) >= 6));
  if ((digits.length === 18 || digits.length === 15) && idGrouping && isValidResidentId(digits)) return 'id_number';
  if (xAt >= 0) return null;
  // A transaction or refund id copied in groups of four.
  if (PAYMENT_ID_DIGITS.test(digits) && sizes.every((n) => n >= 4)) return 'payment_id';
  // 4-4-4-4(-3), 4-6-5, 6-13 …: every group but the last at least four digits, and the last at
  // least three, so a list number on the next line ("…7894\n2) …") is not taken as a last digit.
  if (isLikelyCard(digits) && (single || (sizes.slice(0, -1).every((n) => n >= 4) && (sizes[sizes.length - 1] as number) >= 3))) return 'bank_card';
  if (isMainlandMobile(digits)) {
    const national = digits.length === 11 ? sizes : sizes.slice(1);
    const prefixIsGroup = digits.length === 11 || (sizes[0] as number) === digits.length - 11;
    // 3-4-4, 3-8, 7-4, 4-3-4, or spelled one digit at a time.
    if (single || (prefixIsGroup && (national.every((n) => n >= 3) || (whole && national.every((n) => n === 1))))) return 'mobile';
  }
  return null;
}

/** A run of groups without its last group's check letter X: the letter is text after the number. */
function withoutX(run: readonly Group[]): Group[] {
  const last = run[run.length - 1] as Group;
  if (last.digits.length === 1) return run.slice(0, -1);
  return [...run.slice(0, -1), { ...last, digits: last.digits.slice(0, -1), end: last.end - 1 }];
}

/**
 * The spans of one token: the whole token when it is one number, else the longest runs of its
 * groups that are, left to right. A decimal ("3.14159…", "138.5") is one number, never an identifier.
 * A check letter X is judged with the run it ends: it belongs to that run when it makes it an ID,
 * and is text after the number otherwise, so "13812345678 / 11010519491231002X" is a mobile and an ID.
 */
function numberSpans(token: string, offset: number): Span[] {
  const groups: Group[] = [];
  let previousEnd = 0;
  for (const m of token.matchAll(GROUP)) {
    const at = m.index ?? 0;
    groups.push({ digits: m[0], start: offset + at, end: offset + at + m[0].length, before: token.slice(previousEnd, at) });
    previousEnd = at + m[0].length;
  }
  if (groups.length === 0 || /^[Xx]$/.test((groups[0] as Group).digits)) return [];
  const lastIndex = groups.length - 1;
  const endsInX = /[Xx]$/.test((groups[lastIndex] as Group).digits);

  const kindOf = (i: number, j: number, whole: boolean): { kind: RedactionKind; end: number } | null => {
    const run = groups.slice(i, j + 1);
    const kind = classify(run, whole);
    if (kind) return { kind, end: (groups[j] as Group).end };
    if (j !== lastIndex || !endsInX) return null;
    const bare = withoutX(run);
    const bareKind = bare.length > 0 ? classify(bare, whole) : null;
    return bareKind ? { kind: bareKind, end: (bare[bare.length - 1] as Group).end } : null;
  };

  const first = groups[0] as Group;
  const leading = token.slice(0, first.start - offset);
  // A "+" (as in +86 or (+86)) goes with the mobile number it leads.
  const mobileStart = leading.includes('+') ? offset : first.start;
  const isDecimal = groups.length === 2 && (groups[1] as Group).before === '.' && !endsInX;
  if (isDecimal) {
    const kind = classify([first], false);
    return kind ? [{ start: first.start, end: first.end, kind }] : [];
  }
  const whole = kindOf(0, lastIndex, true);
  if (whole) return [{ start: whole.kind === 'mobile' ? mobileStart : first.start, end: whole.end, kind: whole.kind }];

  const spans: Span[] = [];
  let i = 0;
  while (i < groups.length) {
    let found: { j: number; kind: RedactionKind; end: number } | null = null;
    let length = 0;
    for (let j = i; j < groups.length; j += 1) {
      // No identifier written in groups starts with a one-digit group (a mobile's "86" is the
      // shortest) or has a group of one or two digits inside: no longer run from i can be one.
      if (j > i && ((groups[j - 1] as Group).digits.length < (j - 1 === i ? 2 : 3))) break;
      length += (groups[j] as Group).digits.length;
      // The last group may carry a check letter that turns out not to belong: judge it both ways.
      const mayDropX = j === lastIndex && endsInX;
      if (length > LONGEST_DIGITS + (mayDropX ? 1 : 0)) break;
      if (!IDENTIFIER_LENGTHS.has(length) && !(mayDropX && IDENTIFIER_LENGTHS.has(length - 1))) continue;
      const run = kindOf(i, j, false);
      if (run) found = { j, ...run };
    }
    if (found) {
      const start = found.kind === 'mobile' && i === 0 ? mobileStart : (groups[i] as Group).start;
      spans.push({ start, end: found.end, kind: found.kind });
      i = found.j + 1;
    } else i += 1;
  }
  return spans;
}

/** Marks a pass's spans as taken in one rebuild of the scan (linear, however many spans). */
function takeAll(scan: string, spans: Span[], found: readonly Span[]): string {
  if (found.length === 0) return scan;
  let out = '';
  let last = 0;
  for (const span of found) {
    out += scan.slice(last, span.start) + TAKEN.repeat(span.end - span.start);
    last = span.end;
    spans.push(span);
  }
  return out + scan.slice(last);
}

const matchSpans = (scan: string, pattern: RegExp, kind: RedactionKind): Span[] =>
  [...scan.matchAll(pattern)].map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, kind }));

/** Where a character ends once the marks and invisible characters drawn with it are counted ("8\ufe0f\u20e3"): a match takes them along. */
function endOfCharacter(input: string, end: number): number {
  let at = end;
  while (at < input.length) {
    const ch = String.fromCodePoint(input.codePointAt(at) as number);
    if (!OVERLAID_MARK.test(ch) && !INVISIBLE.test(ch)) break;
    at += ch.length;
  }
  return at;
}

export function redact(input: string): RedactionResult {
  const { text: scanned, from, to } = scanOf(input);
  let scan = scanned;
  const spans: Span[] = [];
  for (const { pattern, needs } of EMAIL_PATTERNS) if (needs.test(scan)) scan = takeAll(scan, spans, matchSpans(scan, pattern, 'email'));
  scan = takeAll(scan, spans, matchSpans(scan, PAYMENT_ID, 'payment_id'));
  takeAll(scan, spans, [...scan.matchAll(NUMBER_TOKEN)].flatMap((m) => numberSpans(m[0], m.index ?? 0)));
  spans.sort((a, b) => a.start - b.start);
  const counts: Partial<Record<RedactionKind, number>> = {};
  let out = '';
  let last = 0;
  for (const span of spans) {
    const start = from[span.start] as number;
    const end = endOfCharacter(input, to[span.end - 1] as number);
    out += input.slice(last, start) + PLACEHOLDERS[span.kind];
    last = end;
    counts[span.kind] = (counts[span.kind] ?? 0) + 1;
  }
  return { text: out + input.slice(last), counts };
}
