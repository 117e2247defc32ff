/**
 * What "copy" puts on the clipboard: the answer as a reader sees it, as plain text (no `#`, `**`,
 * `---`, pipes or code fences), then the AI label on a line of its own. 《人工智能生成合成内容标识办法》
 * (国家互联网信息办公室等, 2025-03-14, in force 2025-09-01; linked in docs/ARCHITECTURE.md) requires
 * the explicit label to stay with generated content that is copied, downloaded or exported.
 *
 * A table becomes lines a chat message can hold: with two columns, "header: header" and then one
 * "cell: cell" line per row; with more, one line per row, "first cell — header: cell; header: cell".
 */
import { Lexer, type Token, type Tokens } from '../vendor/markdown';
import { decoded } from './markdown';

function inlineText(tokens: readonly Token[] | undefined): string {
  return (tokens ?? [])
    .map((token) => {
      switch (token.type) {
        case 'text': {
          const text = token as Tokens.Text;
          return text.tokens ? inlineText(text.tokens) : decoded(text.text);
        }
        case 'escape':
          return decoded((token as Tokens.Escape).text);
        case 'strong':
        case 'em':
        case 'del':
          return inlineText((token as Tokens.Strong).tokens);
        case 'codespan':
          return decoded((token as Tokens.Codespan).text);
        case 'br':
          return '\n';
        case 'link': {
          const link = token as Tokens.Link;
          const label = inlineText(link.tokens);
          return link.href && label !== link.href && !link.href.startsWith('mailto:') ? `${label} (${link.href})` : label;
        }
        case 'image':
          return `[${(token as Tokens.Image).text || 'image'}]`;
        default:
          return decoded(token.raw);
      }
    })
    .join('');
}

function cellText(cell: Tokens.TableCell): string {
  return inlineText(cell.tokens).replace(/\s+/g, ' ').trim();
}

function tableText(table: Tokens.Table): string {
  const headers = table.header.map(cellText);
  const rows = table.rows.map((row) => row.map(cellText));
  if (headers.length === 2) return [headers, ...rows].map(([key, value]) => `${key ?? ''}: ${value ?? ''}`).join('\n');
  return rows
    .map((row) => {
      const [first, ...rest] = row;
      const pairs = rest.map((value, index) => `${headers[index + 1] ?? ''}: ${value}`).join('; ');
      return pairs ? `${first ?? ''} — ${pairs}` : (first ?? '');
    })
    .join('\n');
}

function listText(list: Tokens.List, depth: number): string {
  const indent = '  '.repeat(depth);
  const start = typeof list.start === 'number' ? list.start : 1;
  return list.items
    .map((item, index) => {
      const marker = list.ordered ? `${start + index}. ` : '• ';
      const task = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
      const parts = item.tokens.map((child) => (child.type === 'list' ? `\n${listText(child as Tokens.List, depth + 1)}` : blockText(child, depth + 1)));
      return `${indent}${marker}${task}${parts.join('').trim()}`;
    })
    .join('\n');
}

function blockText(token: Token, depth = 0): string {
  switch (token.type) {
    case 'space':
    case 'hr':
      return '';
    case 'paragraph':
    case 'heading':
      return inlineText((token as Tokens.Paragraph).tokens);
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inlineText(text.tokens) : decoded(text.text);
    }
    case 'list':
      return listText(token as Tokens.List, depth);
    case 'code':
      return (token as Tokens.Code).text;
    case 'blockquote':
      return (token as Tokens.Blockquote).tokens.map((child) => blockText(child, depth)).filter((part) => part !== '').join('\n');
    case 'table':
      return tableText(token as Tokens.Table);
    default:
      return decoded(token.raw.trim());
  }
}

/** The answer as plain text: paragraphs, headings and list items as lines, blocks apart by an empty line. */
export function readableText(markdown: string): string {
  return Lexer.lex(markdown, { gfm: true, breaks: true })
    .map((token) => blockText(token).replace(/\s+$/, ''))
    .filter((part) => part.trim() !== '')
    .join('\n\n');
}

/** The clipboard's text for an answer: readable text, then the AI label (i18n's `aiLabelInCopy`). */
export function copyableAnswer(markdown: string, label: string): string {
  const text = readableText(markdown);
  return text ? `${text}\n\n${label}` : label;
}
