/** @jest-environment jsdom */
import { copyableAnswer, readableText } from '../../miniprogram/services/answerCopy';
import { messages } from '../../miniprogram/services/i18n';
import { answerBlocks, holdBackUnfinished, nodesText, type RichTextElement, type RichTextNode } from '../../miniprogram/services/markdown';
import { questionFolds } from '../../miniprogram/services/question';
import { tierForLength } from '../../miniprogram/services/tierChoice';
// The messages depend on the phone (services/platform.ts reads it through wx, which the harness's simulate provides).
import './harness';

const ANSWER = [
  '关于“编程语言”：',
  '---',
  '',
  '下面是对比：',
  '',
  '| 语言 | 诞生年份 | 主要用途 | 设计者 |',
  '| --- | :-: | --- | --- |',
  '| Python | 1991 | 数据分析、机器学习、自动化脚本和网站后端 | Guido van Rossum |',
  '| Go | 2009 | 云服务 | Robert Griesemer |',
  '',
  '---',
  '',
  '- 第一点',
  '- 第二点',
].join('\n');

function tables(nodes: readonly RichTextNode[]): RichTextElement[] {
  return nodes.flatMap((node) => ('type' in node ? [] : node.name === 'table' ? [node] : tables(node.children ?? [])));
}

/** The rows of every table in the rendered answer, as lists of cell texts. */
function tableRows(markdown: string, complete: boolean): string[][] {
  const rows: string[][] = [];
  for (const block of answerBlocks(markdown, complete)) {
    for (const table of tables(block.nodes)) {
      const sections = (table.children ?? []) as RichTextElement[];
      for (const section of sections) for (const row of (section.children ?? []) as RichTextElement[]) rows.push(((row.children ?? []) as RichTextElement[]).map((cell) => nodesText(cell.children ?? [])));
    }
  }
  return rows;
}

describe('half-written Markdown while it streams', () => {
  test('at every length of the answer, no raw pipe, dash line or lone mark shows, and the table grows by whole rows', () => {
    const finalRows = tableRows(ANSWER, true);
    expect(finalRows).toHaveLength(3);
    const chars = [...ANSWER];
    for (let cut = 1; cut <= chars.length; cut += 1) {
      const partial = chars.slice(0, cut).join('');
      const blocks = answerBlocks(partial, false);
      const text = blocks.map((block) => nodesText(block.nodes)).join('\n');
      expect({ cut, pipe: text.includes('|'), dashes: /(^|\n)\s*-{1,3}\s*($|\n)/.test(text), marksOnly: /(^|\n)[-*#=|:]+\s*$/.test(text) }).toEqual({ cut, pipe: false, dashes: false, marksOnly: false });
      const rows = tableRows(partial, false);
      // Only the header and complete rows, each exactly as in the finished table.
      expect({ cut, rows }).toEqual({ cut, rows: finalRows.slice(0, rows.length) });
    }
  });

  test('a half-written table row is held back until its line ends, then shown whole', () => {
    const head = '| 语言 | 年份 |\n| --- | --- |\n';
    expect(holdBackUnfinished(`${head}| Pytho`)).toBe(head);
    expect(holdBackUnfinished(`${head}| Python | 1991 |\n`)).toBe(`${head}| Python | 1991 |\n`);
    // A header whose delimiter row is still being written is not shown as a paragraph of pipes.
    expect(holdBackUnfinished('说明：\n\n| 语言 | 年份 |\n| --')).toBe('说明：\n\n');
    // A line with a pipe that turns out not to be a table shows once the next line says so.
    expect(holdBackUnfinished('a | b\nmore')).toBe('a | b\nmore');
    // Inside a code block every character is the code's.
    expect(holdBackUnfinished('```\n| x\n-')).toBe('```\n| x\n-');
    // A finished answer is never held back.
    expect(answerBlocks('| a |', true).map((block) => nodesText(block.nodes))).toEqual(['| a |']);
  });

  test('a table is a block of its own, flagged to scroll sideways; short cells keep to one line, long ones wrap within a width', () => {
    const blocks = answerBlocks(ANSWER, true);
    expect(blocks.filter((block) => block.table)).toHaveLength(1);
    const [table] = tables(blocks.flatMap((block) => block.nodes));
    const cells = JSON.stringify(table);
    expect(cells).toContain('white-space: nowrap');
    expect(cells).toContain('min-width: 7em; max-width: 15em');
    expect(blocks.filter((block) => !block.table).every((block) => tables(block.nodes).length === 0)).toBe(true);
  });
});

describe('copying an answer', () => {
  test('gives readable text: no Markdown marks, rules or fences, tables as lines, lists with bullets', () => {
    const text = readableText(`${ANSWER}\n\n\`\`\`python\nprint("hi")\n\`\`\`\n\n> **注意**：[官网](https://www.python.org)`);
    expect(text).toBe(
      [
        '关于“编程语言”：',
        '',
        '下面是对比：',
        '',
        'Python — 诞生年份: 1991; 主要用途: 数据分析、机器学习、自动化脚本和网站后端; 设计者: Guido van Rossum',
        'Go — 诞生年份: 2009; 主要用途: 云服务; 设计者: Robert Griesemer',
        '',
        '• 第一点',
        '• 第二点',
        '',
        'print("hi")',
        '',
        '注意：官网 (https://www.python.org)',
      ].join('\n'),
    );
    expect(text).not.toMatch(/\||---|```|\*\*|^#/m);
  });

  test('ends with the AI label, in the reader’s language', () => {
    expect(copyableAnswer('**答**', messages('zh').aiLabelInCopy)).toBe('答\n\n【AI生成】');
    expect(copyableAnswer('An *answer*', messages('en').aiLabelInCopy)).toBe('An answer\n\n[AI-generated]');
  });
});

describe('a long question', () => {
  test('folds when it would take more than three lines at 375 px, counting full-width characters and line breaks', () => {
    expect(questionFolds('我想了解长城的历史。'.repeat(46) + '请详细说明。')).toBe(true);
    expect(questionFolds('用三句话介绍长城')).toBe(false);
    expect(questionFolds('一\n二\n三')).toBe(false);
    expect(questionFolds('一\n二\n三\n四')).toBe(true);
    expect(questionFolds('x'.repeat(130))).toBe(false);
    expect(questionFolds('x'.repeat(140))).toBe(true);
  });
});

describe('the tier that takes a long question', () => {
  const tiers = [
    { id: 'quick', promptLimit: 500 },
    { id: 'expert', promptLimit: 4000 },
    { id: 'huge', promptLimit: 20000 },
  ];

  test('is the one with the smallest limit that still takes it, and none while the chosen one does', () => {
    expect(tierForLength(tiers, 'quick', 520)?.id).toBe('expert');
    expect(tierForLength(tiers, 'quick', 5000)?.id).toBe('huge');
    expect(tierForLength(tiers, 'quick', 500)).toBeNull();
    expect(tierForLength(tiers, 'huge', 30000)).toBeNull();
  });
});
