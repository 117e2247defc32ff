/**
 * One definition of the characters that hide inside text, and the two normal forms built on it:
 *
 * - `canonicalText`: what is stored, checked and sent to the model. Compatibility forms folded
 *   (Unicode NFKC: full-width letters and digits become ASCII, ligatures and mathematical letters
 *   plain letters), characters that render as nothing removed, every space-like character a plain
 *   space. Ordinary Chinese and English reads exactly as before: accents, emoji and Chinese
 *   punctuation stay.
 * - `checkSkeleton`: for the content check only. The canonical text with accents and other
 *   combining marks removed and look-alike letters of other scripts (Cyrillic "а", Greek "ο") read
 *   as the ASCII letter they imitate, so a risky word cannot hide behind them. Never shown or stored.
 *
 * The redactor (redact.ts) uses the same definitions of invisible and space-like characters for its
 * scan copy. docs/PRIVACY.md has the reasons for each exception.
 */

/**
 * Characters that render as nothing: Unicode's Default_Ignorable_Code_Point property (zero-width
 * space, joiners and non-joiners, word joiner and invisible operators, soft hyphen, bidi marks,
 * embeddings and isolates, Arabic letter mark, BOM, variation selectors, tag characters, Hangul
 * fillers, Mongolian free variation selectors; UAX #44 and DerivedCoreProperties.txt,
 * https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point), and the control characters
 * other than tab and line breaks (C0 and C1, DEL).
 */
export const INVISIBLE_CHARS = '\\p{Default_Ignorable_Code_Point}\\u0000-\\u0008\\u000e-\\u001f\\u007f-\\u0084\\u0086-\\u009f';
/** Space-like characters that do not break a line: tab, vertical tab, form feed, space, no-break space, Ogham space, U+2000–U+200A (en quad … hair space: thin, figure, punctuation spaces), narrow no-break space, medium mathematical space, ideographic space. */
export const SPACE_CHARS = '\\t\\u000b\\u000c \\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000';
/** Line breaks: line feed, carriage return, next line, line and paragraph separators. Kept as they are. */
export const LINE_BREAK_CHARS = '\\n\\r\\u0085\\u2028\\u2029';

/** One invisible character. */
export const INVISIBLE = new RegExp(`[${INVISIBLE_CHARS}]`, 'u');
/** One space-like character that is not a line break. */
export const SPACE = new RegExp(`[${SPACE_CHARS}]`, 'u');
/** One line break. */
export const LINE_BREAK = new RegExp(`[${LINE_BREAK_CHARS}]`, 'u');

/**
 * Where an invisible character is part of what is seen: an emoji ZWJ sequence ("👩‍💻", "🏳️‍🌈"),
 * an emoji or keycap presentation selector ("❤️", "1️⃣") and the subdivision flags spelled with tag
 * characters (England, Scotland, Wales). Unicode Technical Standard #51, ED-14 to ED-17 and the
 * RGI tag sequences, https://www.unicode.org/reports/tr51/#Definitions. Anywhere else a joiner,
 * selector or tag character is removed: tag characters elsewhere carry hidden ASCII text.
 */
const EMOJI_ELEMENT = '\\p{Extended_Pictographic}(?:[\\ufe0e\\ufe0f]|\\p{Emoji_Modifier})?';
const EMOJI_SEQUENCE = [
  '\\u{1f3f4}\\u{e0067}\\u{e0062}(?:\\u{e0065}\\u{e006e}\\u{e0067}|\\u{e0073}\\u{e0063}\\u{e0074}|\\u{e0077}\\u{e006c}\\u{e0073})\\u{e007f}',
  '[#*0-9]\\ufe0f\\u20e3',
  `${EMOJI_ELEMENT}(?:\\u200d${EMOJI_ELEMENT}){0,9}`,
].join('|');
const INVISIBLE_OUTSIDE_EMOJI = new RegExp(`(${EMOJI_SEQUENCE})|[${INVISIBLE_CHARS}]`, 'gu');
const INVISIBLE_ALL = new RegExp(`[${INVISIBLE_CHARS}]`, 'gu');
const SPACES = new RegExp(`[${SPACE_CHARS}]`, 'gu');
/** An unpaired surrogate: no character at all, and not storable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Characters NFKC would rewrite in a way a reader notices, kept as typed: the full-width
 * punctuation a Chinese input method types (！（），：；？［］～, GB/T 15834's forms; NFKC makes them
 * ASCII), the ellipsis (NFKC: three full stops), superscript and subscript digits and letters
 * (NFKC: "x²" becomes "x2"), the squared and cubed units (NFKC: "㎡" becomes "m2") and the emoji
 * that have a compatibility form (NFKC: "㊙️" becomes "秘", "™" "TM", "‼️" "!!"). None of them can
 * hide a letter or a digit from the checks: checkSkeleton folds them, and the redactor's scan reads
 * each character's NFKC form.
 */
const KEEP_AS_TYPED = /([\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f\uff3b\uff3d\uff5e\u2026\u00b2\u00b3\u00b9\u2070-\u209f\u339f-\u33a6\p{Extended_Pictographic}\p{Emoji_Presentation}]+)/u;

function nfkcKeepingPunctuation(text: string): string {
  // Split keeps the separators at odd indexes. The kept characters are starters that compose with
  // nothing, so normalising the pieces between them equals normalising the whole, but for them.
  return text
    .split(KEEP_AS_TYPED)
    .map((piece, index) => (index % 2 === 1 ? piece : piece.normalize('NFKC')))
    .join('');
}

/**
 * The text as it is stored, checked and sent to the model: NFKC (but for the characters above),
 * invisible characters removed except inside emoji, every space-like character that is not a line
 * break one plain space (runs are kept: indentation and tables stay), unpaired surrogates U+FFFD.
 * Idempotent: canonicalText(canonicalText(x)) === canonicalText(x).
 */
export function canonicalText(text: string): string {
  const folded = nfkcKeepingPunctuation(text.replace(LONE_SURROGATE, '\ufffd'));
  // Removing an invisible character can bring a letter and a combining mark together ("e", ZWSP,
  // U+0301): NFC composes them again, as NFKC would have without the invisible character.
  const visible = folded.replace(INVISIBLE_OUTSIDE_EMOJI, (_match, emoji: string | undefined) => emoji ?? '').normalize('NFC');
  return visible.replace(SPACES, ' ');
}

/** True when nothing visible is left: only spaces, line breaks, invisible characters, or the blank braille pattern (U+2800), which renders as empty space. */
export function isBlank(text: string): boolean {
  return /^[\s\u2800]*$/u.test(canonicalText(text));
}

/**
 * Look-alike letters mapped to the ASCII letter they imitate, as pairs "source, target". From
 * Unicode's confusables data (UTS #39, confusables.txt version 17.0.0,
 * https://www.unicode.org/Public/security/latest/confusables.txt), the focused subset of its
 * single-character mappings whose source is a letter of the Cyrillic, Greek, Latin, Armenian,
 * Cherokee, Lisu or Coptic script, outside ASCII, unchanged by NFKC and NFD (so neither folding
 * nor mark removal already handles it), and whose prototype is one ASCII letter. Two adjustments,
 * because confusables.txt maps to prototypes and not to the intended letter: a Latin small capital
 * or kra prototype (в → ʙ, т → ᴛ, к → ĸ) is taken as its letter (b, t, k), and a capital whose
 * prototype is "l" (Greek Ι, Cyrillic І, Ӏ) as "I" (ASCII I itself maps to l there). Mappings to
 * digits (З → 3, б → 6) are left out: a risky word is letters. ASCII is never changed.
 */
const CONFUSABLE_PAIRS =
  'þpıiƄbƍgƒfƖIƦRƽsƿpǀlɑaɡgɣyɩiɪiɯwʋuʏyͿJΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXαaγyιiκkνvοoρpσoτtυuϜFϭoϳjϸpϺMЅSІIЈJАAВBЕEКKМMНHОOРPСCТTУYХXЬbаaвbгrеeкkнhоoрpсcтtуyхxшwѕsіiјjѡwѴVѵvҮYүyһhҽeӀIӏlԁdԌGԍgԛqԜWԝwՍUՏSՕOաwգqզqհhոnռnսuցgւiքfօoᎠDᎡRᎢTᎥiᎩYᎪAᎫJᎬEᎳWᎷMᎻHᎽYᏀGᏂhᏃZᏏbᏒRᏔWᏕSᏙVᏚSᏞLᏟCᏢPᏦKᏧdᏳGᏴBᏻgᏼbᴄcᴋkᴏoᴑoᴜuᴠvᴡwᴢzᴦrᴩpᶃgᶌyẝfỿyⲂBⲃbⲅrⲎHⲏhⲒIⲓiⲔKⲕkⲘMⲚNⲛnⲞOⲟoⲢPⲣpⲤCⲥcⲦTⲧtⲨYⲩyⲬXⲽwⳎPⳏpⳐLⳑlꓐBꓑPꓒdꓓDꓔTꓖGꓗKꓙJꓚCꓜZꓝFꓟMꓠNꓡLꓢSꓣRꓦVꓧHꓪWꓫXꓬYꓮAꓰEꓲlꓳOꓴUꙇiꜱsꞘFꞙfꞟuꞲJꞳXꞴBꬲeꬵfꬽoꭇrꭈrꭎuꭒuꭚyꭰdꭱrꭲtꭵiꭺaꭻjꭼeꮁrꮃwꮋhꮐgꮓzꮢrꮩvꮪsꮮlꮯcꮲpꮶk';

/** The confusable letters as a lookup, built once from the pairs above (every source is one UTF-16 unit). */
export const CONFUSABLES: ReadonlyMap<string, string> = new Map(Array.from({ length: CONFUSABLE_PAIRS.length / 2 }, (_, i) => [CONFUSABLE_PAIRS[2 * i] as string, CONFUSABLE_PAIRS[2 * i + 1] as string]));
const CONFUSABLE_SOURCES = new RegExp(`[${[...CONFUSABLES.keys()].join('')}]`, 'gu');
const MARKS = /\p{M}/gu;

/**
 * What the content check compares, besides the canonical text: canonicalText, then full NFKC (the
 * punctuation and superscripts canonicalText keeps, too), every invisible character removed (emoji
 * joiners included), combining marks removed (NFD, drop \p{M}, NFC: "ｂ́ａ̈ｄ" reads "bad") and
 * look-alike letters read as ASCII. Not for display: it strips accents from every language.
 */
export function checkSkeleton(text: string): string {
  const plain = canonicalText(text).normalize('NFKC').replace(INVISIBLE_ALL, '');
  const unmarked = plain.normalize('NFD').replace(MARKS, '').normalize('NFC');
  return unmarked.replace(CONFUSABLE_SOURCES, (letter) => CONFUSABLES.get(letter) ?? letter);
}
