import { INVISIBLE, LINE_BREAK, SPACE } from '../core/privacy/normalize';
import { redact } from '../core/privacy/redact';

/**
 * The forms an outside attack run got past redaction (issue 21), each as the prompt a user would
 * send and the text that must reach the store and the model; and, next to each new rule, the
 * ordinary text it must leave alone.
 */
const ID_X = '11010519491231002X';
const ID_X2 = '31010419850317007X';
const expectRedacted = (pairs: ReadonlyArray<readonly [string, string]>) => {
  for (const [input, output] of pairs) expect([input, redact(input).text]).toEqual([input, output]);
};

describe('an ID ending in X is caught when another number comes before it', () => {
  test('joined by " / ", a list number, a year, or nothing but a slash', () => {
    expectRedacted([
      [`13812345678 / ${ID_X}`, '[PHONE] / [ID_NUMBER]'],
      [`1. ${ID_X}`, '1. [ID_NUMBER]'],
      [`2024 ${ID_X}`, '2024 [ID_NUMBER]'],
      [`13812345678/${ID_X2}`, '[PHONE]/[ID_NUMBER]'],
      [`1) ${ID_X}\n2) ${ID_X2}`, '1) [ID_NUMBER]\n2) [ID_NUMBER]'],
      [`6222021234567894 / ${ID_X} / 13987654321`, '[BANK_CARD] / [ID_NUMBER] / [PHONE]'],
      [`2024 ${ID_X.toLowerCase()}`, '2024 [ID_NUMBER]'],
    ]);
    expect(redact(`13812345678 / ${ID_X}`).counts).toEqual({ mobile: 1, id_number: 1 });
  });

  test('with a space before the check letter', () => {
    expectRedacted([
      ['身份证 11010519491231002 X', '身份证 [ID_NUMBER]'],
      ['13812345678 / 11010519491231002 x，谢谢', '[PHONE] / [ID_NUMBER]，谢谢'],
    ]);
  });

  test('an X that makes no ID is text after the number', () => {
    expectRedacted([
      ['1920 x 1080', '1920 x 1080'],
      ['13812345678 x 2', '[PHONE] x 2'],
      ['档案号 11010519491231001X', '档案号 11010519491231001X'],
      ['2024 11010519491231001 X', '2024 11010519491231001 X'],
    ]);
  });
});

describe('numbers split by any space, line break or comma are still numbers', () => {
  test('thin, en, em, figure, punctuation, hair, narrow no-break, medium mathematical and ideographic spaces', () => {
    for (const space of ['\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u202f', '\u205f', '\u3000', '\u1680', '\u00a0']) {
      expect([space, redact(`手机138${space}1234${space}5678`).text]).toEqual([space, '手机[PHONE]']);
    }
    expectRedacted([
      ['身份证 110105\u200919491231\u2009002X', '身份证 [ID_NUMBER]'],
      ['卡号 6214\u202f8312\u202f3456\u202f7896', '卡号 [BANK_CARD]'],
    ]);
  });

  test('tabs, line breaks and runs of spaces', () => {
    expectRedacted([
      ['手机：138\t1234\t5678', '手机：[PHONE]'],
      ['手机：\n138\n1234\n5678\n谢谢', '手机：\n[PHONE]\n谢谢'],
      ['手机：138\r\n1234\r\n5678', '手机：[PHONE]'],
      ['手机 138    1234    5678', '手机 [PHONE]'],
      [`手机 138${' '.repeat(40)}1234${'\t'.repeat(9)}5678`, '手机 [PHONE]'],
      ['手机 138 \u200b \u2009 1234 \n 5678', '手机 [PHONE]'],
    ]);
  });

  test('full-width and ASCII commas', () => {
    expectRedacted([
      ['手机：138，1234，5678', '手机：[PHONE]'],
      ['手机 138, 1234, 5678', '手机 [PHONE]'],
      ['卡号 6222，0212，3456，7894', '卡号 [BANK_CARD]'],
      ['13812345678，13987654321', '[PHONE]，[PHONE]'],
    ]);
  });

  test('every character the normaliser calls invisible or space-like is read through', () => {
    const missed: string[] = [];
    // Planes 0, 1 and 14 hold every character of the three classes (test/normalize.test.ts).
    for (const cp of [...Array.from({ length: 0x20000 }, (_, i) => i), ...Array.from({ length: 0x1000 }, (_, i) => 0xe0000 + i)]) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (!INVISIBLE.test(ch) && !SPACE.test(ch) && !LINE_BREAK.test(ch)) continue;
      if (redact(`号码138${ch}1234${ch}5678`).text !== '号码[PHONE]') missed.push(`U+${cp.toString(16)}`);
    }
    expect(missed).toEqual([]);
  });

  test('a list number before a phone number is not read as part of a 15-digit ID', () => {
    // 1101 + 138 2100 5678 has a valid region (11) and date (1982-10-05): the old 15-digit form has no check digit.
    expectRedacted([
      ['1101. 138 2100 5678', '1101. [PHONE]'],
      ['1101. 138 2100 5678\n1102. 138 2101 5678', '1101. [PHONE]\n1102. [PHONE]'],
      ['110105 491231 002', '[ID_NUMBER]'],
    ]);
  });

  test('amounts, dates, versions, coordinates and list numbers next to each other stay', () => {
    for (const text of [
      '13,812,345,678元',
      '价格 1,234,567 元，另付 2,500 元',
      '¥1,299.00 / ¥2,499.00 / ¥13,999.00',
      '2024-01-15 2024-02-20\n2024-03-01',
      '2024年1月1日到2024年12月31日',
      'v1.2.3 / v2.10.11 / 3.0.0-beta.1',
      '116.397128, 39.916527',
      '1. 2024\n2. 2025\n3. 2026',
      '比分 3:1、2:2，用时 01:23:45',
      '第1、2、3章，共 12，24，36 页',
      '2021\t2022\t2023\n100\t200\t300',
      '1920 x 1080, 2560 x 1440',
    ]) {
      expect(redact(text)).toEqual({ text, counts: {} });
    }
  });
});

describe('phone, ID and card numbers spelled in Chinese numerals', () => {
  test('financial numerals, 〇 and 零, traditional forms, ordinary numerals in groups, and mixed with digits', () => {
    expectRedacted([
      ['电话壹叁捌壹贰叁肆伍陆柒捌', '电话[PHONE]'],
      ['电话壹捌陆零零零零壹壹壹壹', '电话[PHONE]'],
      ['電話壹參捌壹貳參肆伍陸柒捌', '電話[PHONE]'],
      ['手机 一三八〇〇一三八〇〇〇', '手机 [PHONE]'],
      ['手机 一三八 一二三四 五六七八', '手机 [PHONE]'],
      ['手机 138 1234 伍陆柒捌', '手机 [PHONE]'],
      ['身份证 壹壹零壹零伍壹玖肆玖壹贰叁壹零零贰X', '身份证 [ID_NUMBER]'],
      ['卡号 陆贰贰贰 零贰壹贰 叁肆伍陆 柒捌玖肆', '卡号 [BANK_CARD]'],
      ['1. 一三八一二三四五六七八\n2. 壹伍零壹贰叁肆伍陆柒捌', '1. [PHONE]\n2. [PHONE]'],
    ]);
  });

  test('numerals in prose, with units, or one or two next to a number stay', () => {
    expectRedacted([
      ['二〇二四年一月二日', '二〇二四年一月二日'],
      ['人民币壹仟贰佰叁拾肆元伍角', '人民币壹仟贰佰叁拾肆元伍角'],
      ['三三两两的人，略知一二', '三三两两的人，略知一二'],
      ['13812345678一直打不通', '[PHONE]一直打不通'],
      ['第一13812345678', '第一[PHONE]'],
      ['①13812345678 ②13987654321', '①[PHONE] ②[PHONE]'],
    ]);
  });

  test('keycaps and struck-through digits', () => {
    expectRedacted([
      ['1️⃣3️⃣8️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣。', '[PHONE]。'],
      ['手机1̶3̶8̶1̶2̶3̶4̶5̶6̶7̶8̶ ok', '手机[PHONE] ok'],
    ]);
  });
});

describe('e-mail addresses written with spaces, percent-encoded or internationalised', () => {
  test('are caught', () => {
    expectRedacted([
      ['邮箱 alice @ example . com 谢谢', '邮箱 [EMAIL] 谢谢'],
      ['- alice @ example . com\n- bob@example.org', '- [EMAIL]\n- [EMAIL]'],
      ['mailto:alice%40example.com', 'mailto:[EMAIL]'],
      ['alice&#64;example.com', '[EMAIL]'],
      ['邮箱：张三@例子.中国 ', '邮箱：[EMAIL] '],
      ['请发到 张三@例子.中国谢谢', '请发到 [EMAIL]谢谢'],
      ['mail user@bücher.de ok', 'mail [EMAIL] ok'],
      ['mail user@xn--bcher-kva.de or user@xn--fsqu00a.xn--fiqs8s', 'mail [EMAIL] or [EMAIL]'],
      ['josé.garcía@correo.es', '[EMAIL]'],
    ]);
  });

  test('sentences that only look like spelled addresses, mentions and file names stay', () => {
    for (const text of ['look at this dot product', 'I am at school. Com', 'me@home. Thanks', '@张三 @李四 请查收', 'icon@2x.png、logo@3x.png', 'He is at home . Really']) {
      expect(redact(text)).toEqual({ text, counts: {} });
    }
  });
});

describe('transaction ids copied in groups', () => {
  test('a 28-digit WeChat Pay transaction id in groups of four is a payment id', () => {
    expectRedacted([['交易单号 4200 0012 3420 2401 0112 3456 7890', '交易单号 [PAYMENT_ID]']]);
  });
});

describe('the new rules keep the scan linear', () => {
  test('long hostile inputs of the new shapes return and are exact', () => {
    const size = 100_000;
    for (const input of [
      '1\u2009'.repeat(size / 2),
      '1，'.repeat(size / 2),
      '1\n'.repeat(size / 2),
      '壹'.repeat(size),
      '壹 '.repeat(size / 2),
      `${'中文'.repeat(size / 4)}@`,
      '中@'.repeat(size / 2),
      `a @ ${'b . '.repeat(size / 4)}`,
      '%40'.repeat(size / 3),
      '1 X '.repeat(size / 4),
      '1\u20e3'.repeat(size / 2),
    ]) {
      const result = redact(input);
      expect(result.text.length).toBeLessThanOrEqual(input.length);
    }
    const many = Array.from({ length: 2_000 }, (_, i) => `${i + 1}. 138\u2009${String(1000 + i).padStart(4, '0')}\u20095678 / ${ID_X}\n`).join('');
    expect(redact(many).counts).toEqual({ mobile: 2_000, id_number: 2_000 });
  });
});
