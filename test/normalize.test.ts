import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../core/privacy/redact';
import { canonicalText, checkSkeleton, CONFUSABLES, INVISIBLE, isBlank, LINE_BREAK, SPACE } from '../core/privacy/normalize';

/**
 * The shared normaliser (core/privacy/normalize.ts): what a prompt becomes before it is stored,
 * checked and sent (canonicalText), and what the content check compares besides (checkSkeleton).
 * The risky words are the local emulator's defaults (docs/COMPLIANCE.md).
 */
const RISKY_WORDS = ['local-risky-word', '违规示例词'];
/** Random text, with the characters the normaliser treats specially mixed in at random places. */
const TRICKY = ['\u200b', '\u200d', '\ufe0f', '\ufe0e', '\u20e3', '\u0301', '\u0308', '\u{e0067}', '\u{e007f}', '\u{1f3f4}', '👩', '❤', '🏽', '1', '#', 'e', 'ｅ', 'ﾊ', 'ﾞ', '，', '…', '²', '㎡', '\u3000', '\t', '\n', '\ud800', '\udc00', 'а', 'ⅰ', '™'];
const text = fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 30 }).map((parts) => parts.join(''));
/** Planes 0, 1 and 14, surrogates left out. */
const CODE_POINTS = [...Array.from({ length: 0x20000 }, (_, cp) => cp).filter((cp) => cp < 0xd800 || cp > 0xdfff), ...Array.from({ length: 0x1000 }, (_, i) => 0xe0000 + i)];

describe('the content check sees a risky word however it is disguised', () => {
  const disguises: Array<[string, (word: string) => string]> = [
    ['split by zero-width spaces', (w) => [...w].join('\u200b')],
    ['split by zero-width joiners', (w) => [...w].join('\u200d')],
    ['split by zero-width non-joiners and word joiners', (w) => [...w].join('\u200c\u2060')],
    ['split by soft hyphens', (w) => [...w].join('\u00ad')],
    ['wrapped in bidi isolates and marks', (w) => `\u2067${[...w].join('\u200f')}\u2069`],
    ['with a BOM and variation selectors inside', (w) => `\ufeff${[...w].join('\ufe0f')}`],
    ['with tag characters (hidden ASCII) inside', (w) => [...w].join('\u{e0041}\u{e0042}')],
    ['in full-width letters', (w) => w.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))],
    ['in mathematical bold letters', (w) => w.replace(/[a-z]/g, (c) => String.fromCodePoint(0x1d41a + c.charCodeAt(0) - 97))],
    ['with combining marks on every letter', (w) => [...w].map((c) => `${c}\u0301\u0308`).join('')],
    ['with combining marks and a zero-width space between letter and mark', (w) => [...w].map((c) => `${c}\u200b\u0301`).join('')],
  ];
  for (const [how, disguise] of disguises) {
    test(`${how}`, () => {
      for (const word of RISKY_WORDS) expect(checkSkeleton(disguise(word))).toBe(word);
    });
  }

  test('with Cyrillic and Greek look-alike letters (confusables.txt)', () => {
    // local-risky-word with Cyrillic о, с, а, і, ѕ, у, ԁ and Greek ο in place of the Latin letters.
    expect(checkSkeleton('l\u043e\u0441\u0430l-r\u0456\u0455ky-w\u03bfr\u0501')).toBe('local-risky-word');
    expect(checkSkeleton('l\u043e\u0441\u0430l-r\u0456\u0455k\u0443-w\u03bfrd')).toBe('local-risky-word');
    // The brief's list, each letter on its own.
    const pairs: Array<[string, string]> = [
      ['\u0430', 'a'], ['\u0435', 'e'], ['\u043e', 'o'], ['\u0440', 'p'], ['\u0441', 'c'], ['\u0445', 'x'], ['\u0443', 'y'],
      ['\u0456', 'i'], ['\u0458', 'j'], ['\u0455', 's'], ['\u0501', 'd'], ['\u0261', 'g'], ['\u03bf', 'o'], ['\u03b1', 'a'],
      ['\u03bd', 'v'], ['\u03c1', 'p'], ['\u03c4', 't'], ['\u0410', 'A'], ['\u0406', 'I'], ['\u0432', 'b'], ['\u043a', 'k'],
    ];
    for (const [lookAlike, ascii] of pairs) expect(checkSkeleton(`x${lookAlike}x`)).toBe(`x${ascii}x`);
  });

  test('with everything at once', () => {
    const word = 'ｌ\u200bо\u00adс\u0301а\u200dｌ-r\u0456ѕ\u2060k\u0443-w\u03bf\u0308rd';
    expect(checkSkeleton(word)).toBe('local-risky-word');
    expect(checkSkeleton(`请问${[...'违规示例词'].join('\u200b')}是什么`)).toBe('请问违规示例词是什么');
  });

  test('plain ASCII and Chinese come through unchanged, and nothing ASCII is taken for a look-alike', () => {
    for (const text of ['Illegal 0 l I 1 rn m', 'local-risky-word', '违规示例词', '今天吃什么？', 'The quick brown fox, 2024.']) {
      expect(checkSkeleton(text)).toBe(text.normalize('NFKC'));
    }
  });

  test('the look-alike table maps letters outside ASCII, untouched by NFKC and mark removal, to one ASCII letter', () => {
    expect(CONFUSABLES.size).toBeGreaterThan(150);
    const misfits = [...CONFUSABLES].filter(
      ([source, target]) => (source.codePointAt(0) as number) <= 0x7f || !/^\p{L}$/u.test(source) || source.normalize('NFKC') !== source || source.normalize('NFD') !== source || !/^[A-Za-z]$/.test(target),
    );
    expect(misfits).toEqual([]);
  });
});

describe('canonicalText: what is stored, checked and sent', () => {
  test('accents, Chinese punctuation, emoji and other scripts stay as they are', () => {
    const kept = [
      'café',
      'naïve',
      'Crème brûlée à la française',
      '你好，世界！（测试）：是吗？；“引号”‘单引号’《书名》【注】、。……——～·',
      '面积 120㎡，体积 3㎥；x² + y² = r²，H₂O',
      '👩‍👩‍👧‍👦 👩🏽‍💻 ❤️ ❤️‍🔥 🏳️‍🌈 🏴‍☠️ 1️⃣ #️⃣ 🇨🇳 👍🏿 🏴󠁧󠁢󠁥󠁮󠁧󠁿 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ☺︎',
      '㊙️ ㊗️ 🈚 🉐 ℹ️ Ⓜ️ ‼️ ⁉️ Brand™',
      'Привет, мир. Γειά σου κόσμε. こんにちは。안녕하세요.',
      'line one\nline two\r\nline three',
      '    indented code();',
    ];
    for (const text of kept) expect(canonicalText(text)).toBe(text);
  });

  test('compatibility forms fold to what they stand for', () => {
    expect(canonicalText('ｈｅｌｌｏ　ｗｏｒｌｄ　１２３')).toBe('hello world 123');
    expect(canonicalText('ﬁle ℌ𝐞𝐥𝐥𝐨 ①')).toBe('file Hello 1');
    expect(canonicalText('cafe\u0301')).toBe('café');
    expect(canonicalText('ｶﾀｶﾅ')).toBe('カタカナ');
  });

  test('invisible characters go, space-like ones become one plain space each, line breaks stay', () => {
    expect(canonicalText('a\u200bb\u200cc\u200dd\u2060e\u00adf\ufeffg\u200eh\u202ei\u2066j\u2069k\u{e0041}l\u0000m\u0007n')).toBe('abcdefghijklmn');
    expect(canonicalText('a\u2002b\u2009c\u200ad\u202fe\u205ff\u3000g\th\u00a0i\u000bj')).toBe('a b c d e f g h i j');
    expect(canonicalText('a  \n\tb')).toBe('a  \n b');
    // A joiner or selector outside an emoji sequence is just hidden: it goes.
    expect(canonicalText('a\u200d\ufe0fb 1\ufe0f2')).toBe('ab 12');
  });

  test('an unpaired surrogate (not a character, not storable as UTF-8) becomes U+FFFD', () => {
    expect(canonicalText('a\ud800b\udfffc')).toBe('a\ufffdb\ufffdc');
    expect(canonicalText('😀')).toBe('😀');
  });

  test('is idempotent, and the skeleton of canonical text is the skeleton of the text', () => {
    fc.assert(
      fc.property(text, (text) => {
        const canonical = canonicalText(text);
        expect(canonicalText(canonical)).toBe(canonical);
        expect(checkSkeleton(canonical)).toBe(checkSkeleton(text));
      }),
      { numRuns: 500 },
    );
  });

  test('the definitions are consistent: no character is both invisible and space-like, or a space and a line break', () => {
    // Planes 0, 1 and 14 hold every character of the three classes (the tag characters are in 14).
    for (const cp of CODE_POINTS) {
      const ch = String.fromCodePoint(cp);
      const kinds = [INVISIBLE.test(ch), SPACE.test(ch), LINE_BREAK.test(ch)].filter(Boolean).length;
      if (kinds > 1) throw new Error(`U+${cp.toString(16)} is in more than one class`);
      // Every whitespace character of JavaScript's \s is a space, a line break or invisible (the BOM).
      if (/\s/u.test(ch)) expect(kinds).toBe(1);
    }
  });
});

describe('isBlank: a prompt with nothing visible in it', () => {
  test('only invisible, space-like or line-break characters is blank', () => {
    for (const text of ['', ' ', '\u200b\u200d\ufeff', '\u3000\t\n\r\n', '\u2800\u2800', '\u00ad\u2060\u{e0020}\u{e007f}', '\u202e\u2066\u2069', '\ufe0f', '\u3164\uffa0', '\u0000']) {
      expect(isBlank(text)).toBe(true);
    }
  });
  test('anything that shows is not', () => {
    for (const text of ['a', '。', '👍', '❤️', '\u200b问\u200b', '1', '\u0301x']) expect(isBlank(text)).toBe(false);
  });
});

describe('canonicalising before redaction, as createOrder does', () => {
  test('finds the same values in every labelled set, and stores the same text as canonicalising after', () => {
    const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as unknown;
    const texts = [
      ...(fixture('redaction-cases.json') as Array<{ text: string }>),
      ...(fixture('redaction-independent.json') as Array<{ text: string }>),
      ...(fixture('redaction-adjacent.json') as { cases: Array<{ text: string }> }).cases,
    ].map((c) => c.text);
    expect(texts.length).toBeGreaterThan(700);
    const differing = texts.filter((text) => {
      const before = redact(canonicalText(text));
      const after = redact(text);
      return JSON.stringify(before.counts) !== JSON.stringify(after.counts) || before.text !== canonicalText(after.text);
    });
    expect(differing).toEqual([]);
  });
});
