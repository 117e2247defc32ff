/**
 * Redaction of personal data before a prompt is stored or leaves for a model provider. Each kind
 * is replaced by a typed placeholder; only the counts per kind are kept, never the values.
 *
 * How it works (docs/PRIVACY.md has the figures and the reasons):
 * 1. A scan copy of the prompt is made in which full-width and other decimal digits and letters
 *    become ASCII, long runs of Chinese numerals become digits, and invisible characters (zero-width
 *    spaces, soft hyphens, bidi marks) are dropped. Each scan character remembers where it came from
 *    in the original, so a match in the scan removes exactly its own span of the original,
 *    invisible characters included.
 * 2. E-mail addresses, then payment identifiers, are found by bounded regular expressions.
 * 3. Every remaining number is read as a token: digit groups joined by short runs of separators
 *    (spaces, dots, dashes, slashes, brackets). A token (or a run of its groups, when the whole is
 *    none) is a resident ID when its check digit, date and region hold, a bank card when it passes
 *    Luhn with a card prefix and a card-like grouping, a mobile number when it is 1[3-9] and 11
 *    digits (after an optional 86 / 0086). An unbroken digit group is never cut: a mobile inside a
 *    longer unbroken number is not one.
 * Every pattern has bounded repetition or disjoint alternatives, so a scan is linear in the input.
 */
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

/** Characters that render as nothing (or as a break only at a line end) and hide inside numbers. */
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff]/;

/** Zero of each decimal digit block folded to ASCII (full-width, Arabic-Indic, Devanagari, Bengali, mathematical). */
const DIGIT_ZEROS = [0xff10, 0x0660, 0x06f0, 0x0966, 0x09e6, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6];

function foldCodePoint(cp: number): string {
  for (const zero of DIGIT_ZEROS) if (cp >= zero && cp <= zero + 9) return String.fromCharCode(48 + cp - zero);
  // Full-width ASCII (letters, @ . - + ( ) _ and the rest) and the ideographic space.
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCharCode(cp - 0xfee0);
  if (cp === 0x3000) return ' ';
  if (cp === 0xfe6b) return '@'; // small commercial at
  if (cp === 0x3002 || cp === 0xff61) return '.'; // ideographic full stops, as in "qq。com"
  return String.fromCodePoint(cp);
}

const CHINESE_DIGITS: Record<string, string> = { 〇: '0', 零: '0', 一: '1', 幺: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };
/** Eleven or more Chinese numerals in a row are a number spelled out ("一三八…"), never prose. */
const CHINESE_NUMBER_RUN = /[〇零一幺二两三四五六七八九]{11,40}/g;

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
  let i = 0;
  while (i < input.length) {
    const cp = input.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const ch = String.fromCodePoint(cp);
    if (!INVISIBLE.test(ch)) {
      const folded = foldCodePoint(cp);
      for (let k = 0; k < folded.length; k += 1) {
        from.push(i);
        to.push(i + width);
      }
      text += folded;
    }
    i += width;
  }
  text = text.replace(CHINESE_NUMBER_RUN, (run) => [...run].map((c) => CHINESE_DIGITS[c] ?? c).join(''));
  return { text, from, to };
}

// ---- detectors -----------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
  kind: RedactionKind;
}

/** Replaces scan characters already taken by a span, so later detectors neither see nor join across them. */
const TAKEN = '\u0001';

const LOCAL = "[A-Za-z0-9._%+'-]";
/** File extensions that are no top-level domain: "icon@2x.png" is an image, not an address. */
const NOT_TLD = '(?:png|jpe?g|gif|svg|webp|bmp|ico|m?js|cjs|jsx|ts|tsx|json|css|scss|less|html?|txt|py|java|kt|vue|wxml|wxss|ya?ml|toml|lock|log)(?![A-Za-z0-9-])';
const DOMAIN = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\\.[A-Za-z0-9-]{1,63}){0,8}\\.(?!${NOT_TLD})[A-Za-z]{2,24}`;
const EMAIL_PATTERNS: RegExp[] = [
  // Any local part the RFC allows in practice, including one that starts with "_" or ".".
  new RegExp(`(?<!${LOCAL})${LOCAL}{1,64}\\s?@\\s?${DOMAIN}(?![A-Za-z0-9-])`, 'g'),
  // Spelled out to dodge scrapers: name(at)example(dot)com, name [at] example . com, name at example dot com.
  new RegExp(
    `(?<!${LOCAL})${LOCAL}{1,64}\\s?(?:[([{<]\\s?at\\s?[)\\]}>]|\\s(?:at|AT)\\s)\\s?[A-Za-z0-9-]{1,63}(?:\\s?(?:[([{<]\\s?dot\\s?[)\\]}>]|\\s(?:dot|DOT)\\s|\\.)\\s?[A-Za-z0-9-]{1,63}){0,4}\\s?(?:[([{<]\\s?dot\\s?[)\\]}>]|\\s(?:dot|DOT)\\s|\\.)\\s?[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    'g',
  ),
];

/**
 * WeChat Pay transaction ids (28 digits, starting with 42), refund ids (29–32 digits starting
 * with 50), and this product's order numbers (AI + 14-digit time + 16 alphanumerics; R + that for
 * refunds). Other shops' order numbers say nothing about the user and stay.
 */
const PAYMENT_ID = /(?<![0-9A-Za-z])(?:4\d{27}|5\d{28,31}|R?AI\d{14}[A-Za-z0-9]{16})(?![0-9A-Za-z])/g;

/** Characters that may sit between digit groups of one number, one to three at a time. */
const GROUP_SEPARATOR = "[ \\u00a0\\-\\u2010-\\u2015\\u2212\\ufe58\\ufe63.\\u00b7\\u30fb/_()~']";
/**
 * One number token: digit groups joined by separators, optionally led by "+" or "(" and ended by
 * the ID check letter X. Groups and separators are disjoint, so matching is linear.
 */
const NUMBER_TOKEN = new RegExp(`(?<![0-9])(?<!0[xX])(?:[+(]{1,2})?[0-9]+(?:${GROUP_SEPARATOR}{1,3}[0-9]+)*[Xx]?`, 'g');
const GROUP = /[0-9]+[Xx]?/g;
/** The longest identifier in digits (a 0086-prefixed mobile is 15, a card 19; refund ids are matched above). */
const LONGEST_DIGITS = 19;
/** Digit counts an identifier can have: mobile 11 (13, 15 with 86 / 0086), ID 15 or 18, card 15–19. */
const IDENTIFIER_LENGTHS = new Set([11, 13, 15, 16, 17, 18, 19]);

interface Group {
  digits: string;
  start: number;
  end: number;
}

/** Groups of more than one only count when they look like how people write that kind of number. */
function classify(groups: readonly Group[], whole: boolean): RedactionKind | null {
  const digits = groups.map((g) => g.digits).join('').toUpperCase();
  const sizes = groups.map((g) => g.digits.length);
  const single = groups.length === 1;
  const xAt = digits.indexOf('X');
  if (xAt >= 0 && xAt !== digits.length - 1) return null;
  // 6-8-4, 6-4-4-4, 3-3-4-4-4 …: no group of one or two digits inside an ID.
  if ((digits.length === 18 || digits.length === 15) && (single || sizes.every((n) => n >= 3) || sizes.slice(0, -1).every((n) => n >= 3)) && isValidResidentId(digits)) return 'id_number';
  if (xAt >= 0) return null;
  // 4-4-4-4(-3), 4-6-5, 6-13 …: every group but the last at least four digits.
  if (isLikelyCard(digits) && (single || sizes.slice(0, -1).every((n) => n >= 4))) return 'bank_card';
  if (isMainlandMobile(digits)) {
    const national = digits.length === 11 ? sizes : sizes.slice(1);
    const prefixIsGroup = digits.length === 11 || (sizes[0] as number) === digits.length - 11;
    // 3-4-4, 3-8, 7-4, 4-3-4, or spelled one digit at a time.
    if (single || (prefixIsGroup && (national.every((n) => n >= 3) || (whole && national.every((n) => n === 1))))) return 'mobile';
  }
  return null;
}

/**
 * The spans of one token: the whole token when it is one number, else the longest runs of its
 * groups that are, left to right. A decimal ("3.14159…", "138.5") is one number, never an identifier.
 */
function numberSpans(token: string, offset: number): Span[] {
  const groups: Group[] = [];
  for (const m of token.matchAll(GROUP)) groups.push({ digits: m[0], start: offset + (m.index ?? 0), end: offset + (m.index ?? 0) + m[0].length });
  if (groups.length === 0) return [];
  const last = groups[groups.length - 1] as Group;
  // A trailing X that makes no ID is a letter after the number, not part of it.
  if (/[Xx]$/.test(last.digits) && classify(groups, true) === null) {
    last.digits = last.digits.slice(0, -1);
    last.end -= 1;
  }
  const between = (a: Group, b: Group) => token.slice(a.end - offset, b.start - offset);
  const isDecimal = groups.length === 2 && between(groups[0] as Group, last) === '.';
  const leading = token.slice(0, (groups[0] as Group).start - offset);
  const spans: Span[] = [];
  const wholeKind = classify(groups, true);
  // A "+" (as in +86 or (+86)) goes with the mobile number it leads.
  const mobileStart = leading.includes('+') ? offset : (groups[0] as Group).start;
  if (wholeKind && !isDecimal) return [{ start: wholeKind === 'mobile' ? mobileStart : (groups[0] as Group).start, end: last.end, kind: wholeKind }];
  if (isDecimal) {
    const kind = classify([groups[0] as Group], false);
    return kind ? [{ start: (groups[0] as Group).start, end: (groups[0] as Group).end, kind }] : [];
  }
  let i = 0;
  while (i < groups.length) {
    let found: { j: number; kind: RedactionKind } | null = null;
    let length = 0;
    for (let j = i; j < groups.length; j += 1) {
      length += (groups[j] as Group).digits.length;
      if (length > LONGEST_DIGITS) break;
      if (!IDENTIFIER_LENGTHS.has(length)) continue;
      const kind = classify(groups.slice(i, j + 1), false);
      if (kind) found = { j, kind };
    }
    if (found) {
      const first = groups[i] as Group;
      const start = found.kind === 'mobile' && i === 0 ? mobileStart : first.start;
      spans.push({ start, end: (groups[found.j] as Group).end, kind: found.kind });
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

export function redact(input: string): RedactionResult {
  const { text: scanned, from, to } = scanOf(input);
  let scan = scanned;
  const spans: Span[] = [];
  for (const pattern of EMAIL_PATTERNS) scan = takeAll(scan, spans, matchSpans(scan, pattern, 'email'));
  scan = takeAll(scan, spans, matchSpans(scan, PAYMENT_ID, 'payment_id'));
  takeAll(scan, spans, [...scan.matchAll(NUMBER_TOKEN)].flatMap((m) => numberSpans(m[0], m.index ?? 0)));
  spans.sort((a, b) => a.start - b.start);
  const counts: Partial<Record<RedactionKind, number>> = {};
  let out = '';
  let last = 0;
  for (const span of spans) {
    const start = from[span.start] as number;
    const end = to[span.end - 1] as number;
    out += input.slice(last, start) + PLACEHOLDERS[span.kind];
    last = end;
    counts[span.kind] = (counts[span.kind] ?? 0) + 1;
  }
  return { text: out + input.slice(last), counts };
}
