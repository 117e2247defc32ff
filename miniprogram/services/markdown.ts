/**
 * Model answers are Markdown. They are parsed with `marked`'s lexer (vendored, see
 * vendor/markdown.js) and turned into `rich-text` nodes, WeChat's own renderer for trusted HTML
 * elements (WeChat docs: 组件 > 基础内容 > rich-text): element
 * nodes `{ name, attrs: { style }, children }` and text nodes `{ type: 'text', text }`, whose text
 * "supports entities", so `&` and `<` are written as entities.
 *
 * Only the whitelisted elements are produced; raw HTML in an answer is shown as text, images as
 * their description, and links as their text and address (rich-text never opens them).
 * Styles are inline and in `em`, because a page's classes and rpx do not reach inside rich-text
 * everywhere it is rendered (WeChat, the browser preview, miniprogram-simulate).
 *
 * A half-written answer first goes through `remend`, which closes what the model has opened so far
 * (`**bold` → `**bold**`, an unfinished link → its text), so partial text never shows stray markers.
 * remend knows inline marks only; its handler hook (RemendHandler, "Custom Handlers" in its README)
 * runs `holdBackUnfinished` first, which keeps back what cannot be shown right yet: a last line of
 * marks only (`-`, `--` of a `---` on its way, `#`, `1.`), a table's header until its delimiter row
 * is complete, and a table row until it is complete. So the pipes and dashes of a table being
 * written never show raw, and a table grows row by row.
 * The answer is split into top-level blocks: a new piece of text changes only the last block or two,
 * and the blocks before it keep the very same nodes (no re-render, no flicker). A table is a block
 * of its own that the page puts in a sideways-scrolling `scroll-view` (`table: true`): at 375 px a
 * wide table scrolls rather than squeezing its columns until words break ("Pytho/n").
 */
import { Lexer, remend, type RemendHandler, type Token, type Tokens } from '../vendor/markdown';

export interface RichTextElement {
  name: string;
  attrs?: { style?: string; start?: string };
  children?: RichTextNode[];
}
export interface RichTextText {
  type: 'text';
  text: string;
}
export type RichTextNode = RichTextElement | RichTextText;

/** One top-level block of the answer (a paragraph, a heading, a list, a code block, a table…). */
export interface AnswerBlock {
  key: string;
  nodes: RichTextNode[];
  /** A table: shown in a `scroll-view scroll-x` (WeChat docs: 组件 > 视图容器 > scroll-view). */
  table?: boolean;
}

const STYLE = {
  p: 'margin: 0 0 0.6em; line-height: 1.7;',
  h1: 'font-size: 1.35em; font-weight: 600; margin: 0.4em 0 0.5em; line-height: 1.4;',
  h2: 'font-size: 1.2em; font-weight: 600; margin: 0.4em 0 0.5em; line-height: 1.4;',
  h3: 'font-size: 1.08em; font-weight: 600; margin: 0.3em 0 0.4em; line-height: 1.4;',
  list: 'margin: 0 0 0.6em; padding-left: 1.4em; line-height: 1.7;',
  li: 'margin: 0.15em 0;',
  pre: 'margin: 0 0 0.6em; padding: 0.6em 0.8em; background: #f3f4f6; border-radius: 0.4em; font-family: Menlo, Consolas, monospace; font-size: 0.85em; line-height: 1.5; white-space: pre-wrap; word-break: break-all;',
  code: 'padding: 0.1em 0.3em; background: #f3f4f6; border-radius: 0.3em; font-family: Menlo, Consolas, monospace; font-size: 0.9em;',
  quote: 'margin: 0 0 0.6em; padding-left: 0.8em; border-left: 0.25em solid #d9d9d9; color: #666666;',
  table: 'border-collapse: collapse; margin: 0 0 0.6em; font-size: 0.9em;',
  cell: 'border: 1px solid #e0e0e0; padding: 0.3em 0.5em; text-align: left; vertical-align: top;',
  /** A short cell stays on one line; the table scrolls sideways instead. */
  shortCell: ' white-space: nowrap;',
  /** A long cell wraps, but never narrower than a few words. */
  longCell: 'min-width: 7em; max-width: 15em; white-space: normal;',
  link: 'color: #576b95; text-decoration: underline;',
  address: 'color: #888888; font-size: 0.85em; word-break: break-all;',
  hr: 'border: none; border-top: 1px solid #e5e5e5; margin: 0.8em 0;',
  muted: 'color: #888888;',
} as const;

function entities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(value: string): RichTextText {
  return { type: 'text', text: entities(value) };
}

function element(name: string, style: string | undefined, children: RichTextNode[]): RichTextElement {
  return style ? { name, attrs: { style }, children } : { name, children };
}

/** marked keeps entities it met in the source (`&amp;`) in some tokens' text; these are the common ones. */
export function decoded(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (_all, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? _all);
}

function inline(tokens: Token[] | undefined): RichTextNode[] {
  const out: RichTextNode[] = [];
  for (const token of tokens ?? []) {
    switch (token.type) {
      case 'text': {
        const t = token as Tokens.Text;
        out.push(...(t.tokens ? inline(t.tokens) : [text(decoded(t.text))]));
        break;
      }
      case 'escape':
        out.push(text(decoded((token as Tokens.Escape).text)));
        break;
      case 'strong':
        out.push(element('strong', undefined, inline((token as Tokens.Strong).tokens)));
        break;
      case 'em':
        out.push(element('em', undefined, inline((token as Tokens.Em).tokens)));
        break;
      case 'del':
        out.push(element('del', undefined, inline((token as Tokens.Del).tokens)));
        break;
      case 'codespan':
        out.push(element('code', STYLE.code, [text(decoded((token as Tokens.Codespan).text))]));
        break;
      case 'br':
        out.push({ name: 'br' });
        break;
      case 'link': {
        const link = token as Tokens.Link;
        const label = inline(link.tokens);
        const shown = link.tokens?.map((part) => part.raw).join('') ?? link.text;
        out.push(element('span', STYLE.link, label));
        // Shown, not opened: rich-text never follows a link, so the address is written out to be copied.
        if (link.href && shown !== link.href && !link.href.startsWith('mailto:')) out.push(element('span', STYLE.address, [text(` (${link.href})`)]));
        break;
      }
      case 'image': {
        // Remote images are not loaded from a model's answer; their description stands in.
        const image = token as Tokens.Image;
        out.push(element('span', STYLE.muted, [text(`[${image.text || 'image'}]`)]));
        break;
      }
      default:
        // Raw HTML and anything newer than this renderer: the source text, never markup.
        out.push(text(decoded(token.raw)));
    }
  }
  return out;
}

function listItem(item: Tokens.ListItem): RichTextNode {
  const children: RichTextNode[] = [];
  if (item.task) children.push(text(item.checked ? '☑ ' : '☐ '));
  for (const child of item.tokens) {
    // A tight list's items hold `text` tokens; a loose one's hold paragraphs, kept without their margin.
    if (child.type === 'text') children.push(...inline((child as Tokens.Text).tokens ?? [child]));
    else if (child.type === 'paragraph') children.push(...inline((child as Tokens.Paragraph).tokens));
    else children.push(...block(child));
  }
  return element('li', STYLE.li, children);
}

/** Cells up to this many characters keep to one line. */
const SHORT_CELL = 14;

function cell(name: 'th' | 'td', value: Tokens.TableCell): RichTextNode {
  const align = value.align ? ` text-align: ${value.align};` : '';
  const content = inline(value.tokens);
  if ([...nodesText(content)].length <= SHORT_CELL) return element(name, `${STYLE.cell}${align}${STYLE.shortCell}`, content);
  return element(name, `${STYLE.cell}${align}`, [element('div', STYLE.longCell, content)]);
}

function block(token: Token): RichTextNode[] {
  switch (token.type) {
    case 'space':
      return [];
    case 'paragraph':
      return [element('p', STYLE.p, inline((token as Tokens.Paragraph).tokens))];
    case 'text':
      return [element('p', STYLE.p, inline((token as Tokens.Text).tokens ?? [token]))];
    case 'heading': {
      const heading = token as Tokens.Heading;
      const level = Math.min(Math.max(heading.depth, 1), 6);
      const style = level === 1 ? STYLE.h1 : level === 2 ? STYLE.h2 : STYLE.h3;
      return [element(`h${level}`, style, inline(heading.tokens))];
    }
    case 'list': {
      const list = token as Tokens.List;
      const node = element(list.ordered ? 'ol' : 'ul', STYLE.list, list.items.map(listItem));
      if (list.ordered && typeof list.start === 'number' && list.start !== 1) node.attrs = { ...node.attrs, start: String(list.start) };
      return [node];
    }
    case 'code': {
      const code = token as Tokens.Code;
      return [element('pre', STYLE.pre, [element('code', undefined, [text(code.text)])])];
    }
    case 'blockquote':
      return [element('blockquote', STYLE.quote, (token as Tokens.Blockquote).tokens.flatMap(block))];
    case 'table': {
      const table = token as Tokens.Table;
      const head = element('thead', undefined, [element('tr', undefined, table.header.map((value) => cell('th', value)))]);
      const body = element('tbody', undefined, table.rows.map((row) => element('tr', undefined, row.map((value) => cell('td', value)))));
      return [element('table', STYLE.table, [head, body])];
    }
    case 'hr':
      return [element('hr', STYLE.hr, [])];
    default:
      // Raw HTML blocks and anything unknown: shown as the text the model wrote.
      return [element('p', STYLE.p, [text(token.raw.trim())])];
  }
}

/** A line of Markdown marks only, so far: what it becomes (a rule, a heading, a list) is not known yet. */
const MARKS_ONLY = /^[\s\-=*_+#>|:~`.\d]*$/;
/** A table's delimiter row (GFM: `| --- | :-: |`). */
const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
/** What a delimiter row looks like while it is being written. */
const DELIMITER_START = /^\s*\|?[\s|:-]*$/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

/** Whether the end of these lines is inside a fenced code block (there, every character is text). */
function insideFence(lines: readonly string[]): boolean {
  let open: string | null = null;
  for (const line of lines) {
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const mark = fence[1] as string;
    if (open === null) open = mark;
    else if (mark[0] === open[0] && mark.length >= open.length && (fence[2] ?? '').trim() === '') open = null;
  }
  return open !== null;
}

/**
 * Half-written text without the end that cannot be shown right yet: a table row until it is
 * complete, a table's header until its delimiter row is, a last line of marks only. The rest is
 * returned unchanged; so is anything inside a code block.
 */
export function holdBackUnfinished(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  if (insideFence(lines)) return text;
  const upTo = (count: number) => (count > 0 ? `${lines.slice(0, count).join('\n')}\n` : '');
  // The complete lines with a pipe just before the unfinished one: perhaps a table being written.
  let start = lines.length;
  while (start > 0 && (lines[start - 1] ?? '').includes('|')) start -= 1;
  const run = lines.slice(start);
  if (run.length >= 2 && DELIMITER_ROW.test(run[1] ?? '')) return upTo(lines.length);
  if (run.length === 1 && DELIMITER_START.test(last)) return upTo(start);
  // The first line of what may be a table: its pipes wait for the delimiter row.
  if (run.length === 0 && /^\s*\|/.test(last)) return upTo(lines.length);
  if (MARKS_ONLY.test(last)) return upTo(lines.length);
  return text;
}

/** remend's hook for it; runs before remend's own handlers (built-in priorities are 0–75). */
const HOLD_BACK: RemendHandler = { name: 'holdBackUnfinished', handle: holdBackUnfinished, priority: -1 };

/**
 * The answer as blocks of rich-text nodes. `complete` is false while the model is still writing:
 * the unfinished end is then held back or completed by `remend` first.
 */
export function answerBlocks(markdown: string, complete: boolean): AnswerBlock[] {
  if (markdown.trim() === '') return [];
  const source = complete ? markdown : remend(markdown, { linkMode: 'text-only', images: false, handlers: [HOLD_BACK] });
  const tokens = Lexer.lex(source, { gfm: true, breaks: true });
  const blocks: AnswerBlock[] = [];
  for (const token of tokens) {
    const nodes = block(token);
    if (nodes.length === 0) continue;
    blocks.push(token.type === 'table' ? { key: `b${blocks.length}`, nodes, table: true } : { key: `b${blocks.length}`, nodes });
  }
  return blocks;
}

/**
 * What `setData` needs to go from `before` to `after`: only the blocks that changed, by path
 * (`blocks[3]`), or the whole list when it got shorter. Unchanged blocks are not sent at all.
 */
export function blockUpdates(before: readonly AnswerBlock[], after: readonly AnswerBlock[]): Record<string, unknown> {
  if (after.length < before.length) return { blocks: after };
  const updates: Record<string, unknown> = {};
  after.forEach((item, index) => {
    const previous = before[index];
    if (!previous || JSON.stringify(previous.nodes) !== JSON.stringify(item.nodes)) updates[`blocks[${index}]`] = item;
  });
  return updates;
}

/** The text a reader sees in some nodes (entities decoded), e.g. for tests and copy. */
export function nodesText(nodes: readonly RichTextNode[]): string {
  return nodes
    .map((node) => ('type' in node ? decoded(node.text) : node.name === 'br' ? '\n' : nodesText(node.children ?? [])))
    .join('');
}
