import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ENV_VARS } from '../scripts/deploy/envSpec';

/**
 * The repository stands alone and its docs hold together: no file cites the team's notes that are
 * not part of the repository, every relative link of the README and docs/ reaches a file (and,
 * for a Markdown file, a heading) that exists, the README stays short, and the configuration page
 * names every variable a deployment knows.
 */
const ROOT = resolve(__dirname, '..');
const TEXT_FILE = /\.(md|ts|js|mjs|json|sh|wxml)$/;
/** Built from parts so that this file does not cite them itself. */
const FORBIDDEN_CITATIONS = [['DESIGN', 'md'].join('.'), ['WECHAT-FACTS', 'md'].join('.'), ['..', 'shared', ''].join('/')];
const README_MAX_LINES = 200;

/** The tracked files (git ls-files); without git, the working tree less what .gitignore keeps out. */
function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter((path) => path !== '');
  } catch {
    const skip = new Set(['node_modules', '.git', '.build', '.data', '.bench', 'coverage', 'artifacts']);
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = dir ? `${dir}/${name}` : name;
        if (skip.has(name)) return [];
        return statSync(join(ROOT, path)).isDirectory() ? walk(path) : [path];
      });
    return walk('').filter((path) => !/^cloudfunctions\/[^/]+\/index\.js$/.test(path));
  }
}

/** "file:line: text" for every line of `text` that mentions one of `needles`. */
function citationsIn(file: string, text: string, needles: readonly string[]): string[] {
  return text.split('\n').flatMap((line, index) => (needles.some((needle) => line.includes(needle)) ? [`${file}:${index + 1}: ${line.trim()}`] : []));
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Anchors of a Markdown file's headings, with GitHub's -1, -2 … for repeated ones. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(markdown, false).split('\n')) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const slug = headingSlug(match[1] as string);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/** The text with fenced code blocks (and inline code, unless told not to) blanked out: links there are not links. */
function withoutCode(markdown: string, inline = true): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      if (fenced) return '';
      return inline ? line.replace(/`[^`]*`/g, '``') : line;
    })
    .join('\n');
}

/** The targets of a Markdown text's links: inline `[text](target)`, images, and `[ref]: target` definitions. */
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1] as string);
  const definitions = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)].map((match) => match[1] as string);
  return [...inline, ...definitions];
}

/** Problems with the relative links of one Markdown file: a missing file, or a missing heading. */
function brokenLinks(file: string, markdown: string, readMarkdown: (path: string) => string | null, exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const [pathPart = '', fragment] = target.split('#', 2);
    const path = decodeURIComponent(pathPart.split('?')[0] as string);
    const resolved = path === '' ? file : join(dirname(file), path);
    if (!exists(resolved)) {
      problems.push(`${file}: link to ${target}: ${resolved} does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith('.md')) {
      const targetMarkdown = readMarkdown(resolved);
      if (targetMarkdown !== null && !anchorsOf(targetMarkdown).has(fragment.toLowerCase())) {
        problems.push(`${file}: link to ${target}: ${resolved} has no heading #${fragment}`);
      }
    }
  }
  return problems;
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readIfMarkdown = (path: string) => (existsSync(join(ROOT, path)) ? read(path) : null);
const existsInRepo = (path: string) => !relative(ROOT, join(ROOT, path)).startsWith('..') && existsSync(join(ROOT, path));
const docsFiles = () => ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe('the repository stands alone', () => {
  test("no tracked text file cites the team's notes, which are not in the repository", () => {
    const files = trackedFiles().filter((path) => TEXT_FILE.test(path) && existsSync(join(ROOT, path)));
    expect(files).toContain('README.md');
    expect(files.flatMap((path) => citationsIn(path, read(path), FORBIDDEN_CITATIONS))).toEqual([]);
  });

  test('the citation check finds a citation (so the check above can fail)', () => {
    const text = `// ok\n// see ${FORBIDDEN_CITATIONS[0]}, "Flow"\nconst x = '${FORBIDDEN_CITATIONS[2]}notes';`;
    expect(citationsIn('core/x.ts', text, FORBIDDEN_CITATIONS)).toEqual([
      `core/x.ts:2: // see ${FORBIDDEN_CITATIONS[0]}, "Flow"`,
      `core/x.ts:3: const x = '${FORBIDDEN_CITATIONS[2]}notes';`,
    ]);
  });
});

describe('the docs hold together', () => {
  test('every relative link in README.md and docs/*.md reaches a file and heading that exist', () => {
    const files = docsFiles();
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((file) => brokenLinks(file, read(file), readIfMarkdown, existsInRepo))).toEqual([]);
  });

  test('a link to a missing file or heading is reported; links in code, and web links, are not checked', () => {
    const pages: Record<string, string> = { 'docs/A.md': '# A\n\n## Order lifecycle\n\n## `PAY_MODE=v3`: what to configure\n' };
    const exists = (path: string) => path in pages || path === 'README.md';
    const markdown = [
      '[fine](A.md#order-lifecycle) [fine too](A.md#pay_modev3-what-to-configure) [web](https://example.com/x.md)',
      '[gone](MISSING.md) [no heading](A.md#no-such-heading) [up](../README.md)',
      '`[in code](NOPE.md)`',
      '```',
      '[in a block](NOPE.md)',
      '```',
      '[ref]: ./ALSO-MISSING.md',
    ].join('\n');
    expect(brokenLinks('docs/B.md', markdown, (path) => pages[path] ?? null, exists)).toEqual([
      'docs/B.md: link to MISSING.md: docs/MISSING.md does not exist',
      'docs/B.md: link to A.md#no-such-heading: docs/A.md has no heading #no-such-heading',
      'docs/B.md: link to ./ALSO-MISSING.md: docs/ALSO-MISSING.md does not exist',
    ]);
  });

  test(`README.md stays under ${README_MAX_LINES} lines (the rest belongs in docs/)`, () => {
    const lines = read('README.md').replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThan(README_MAX_LINES);
  });

  test('docs/CONFIGURATION.md names every environment variable a deployment knows (scripts/deploy/envSpec.ts)', () => {
    const configuration = read('docs/CONFIGURATION.md');
    const missing = ENV_VARS.map((spec) => spec.name).filter((name) => !new RegExp(`\\b${name}\\b`).test(configuration));
    expect(missing).toEqual([]);
  });
});
