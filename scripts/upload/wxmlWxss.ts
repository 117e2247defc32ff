import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { toolRequire } from '../deploy/tools';

/** One error from WeChat's compilers, located in the mini program. */
export interface CompileProblem {
  tool: 'wcc' | 'wcsc' | 'miniprogram-ci';
  file: string;
  line: number | null;
  column: number | null;
  message: string;
}

export function formatProblem(problem: CompileProblem): string {
  const at = problem.line === null ? problem.file : `${problem.file}:${problem.line}${problem.column === null ? '' : `:${problem.column}`}`;
  return `${at}: ${problem.message} (${problem.tool})`;
}

/**
 * miniprogram-compiler 0.2.3 drives WeChat's own binaries (bin/linux/wcc, bin/linux/wcsc):
 * src/wcc.js `(rootPath, files, wxsFiles, options)` throws an Error carrying wcc's stderr;
 * src/wcsc.js `(rootPath, files, options)` *returns* an Error with wcsc's stderr, which the
 * package's own `wxssToJs` then ignores, so both are called here directly.
 */
type Wcc = (rootPath: string, files: string[], wxsFiles: string[], options: Record<string, unknown>) => string;
type Wcsc = (rootPath: string, files: string[], options: Record<string, unknown>) => Record<string, string> | Error;

function filesWithSuffix(dir: string, suffix: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      if (name === 'node_modules') continue;
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(suffix)) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return found;
}

// wcc: "pages/index/index.wxml:42:11: expect end-tag `text`., near `view`"
const WCC_LOCATION = /([\w./-]+\.wxml):(\d+):(\d+):\s*(.*)/;
// wcsc: "ERR: pages/order/order.wxss(15:5): unexpected `{` at pos 979"
const WCSC_LOCATION = /([\w./-]+\.wxss)\((\d+):(\d+)\):\s*(.*)/;

function locate(tool: 'wcc' | 'wcsc', output: string, fallbackFile: string): CompileProblem {
  const text = output.replace(/^编译 \.\w+ 文件错误：/, '').trim();
  const match = (tool === 'wcc' ? WCC_LOCATION : WCSC_LOCATION).exec(text);
  if (!match) return { tool, file: fallbackFile, line: null, column: null, message: text || `${tool} failed without a message` };
  return { tool, file: match[1] as string, line: Number(match[2]), column: Number(match[3]), message: (match[4] as string).trim() };
}

/** Compiles every WXML file of a mini program folder with wcc and every WXSS file with wcsc. */
export function compileWxmlAndWxss(miniprogramDir: string, root?: string): { wxml: string[]; wxss: string[]; problems: CompileProblem[] } {
  const requireTool = toolRequire('wechat', root);
  const wcc = requireTool('miniprogram-compiler/src/wcc') as Wcc;
  const wcsc = requireTool('miniprogram-compiler/src/wcsc') as Wcsc;
  const wxml = filesWithSuffix(miniprogramDir, '.wxml');
  const wxss = filesWithSuffix(miniprogramDir, '.wxss');
  const wxs = filesWithSuffix(miniprogramDir, '.wxs');
  const problems: CompileProblem[] = [];
  if (wxml.length > 0) {
    try {
      const out = wcc(miniprogramDir, wxml.map((file) => file.slice(0, -'.wxml'.length)), wxs, {});
      if (!out.includes('$gwx')) problems.push({ tool: 'wcc', file: miniprogramDir, line: null, column: null, message: 'wcc produced no template code' });
    } catch (error) {
      problems.push(locate('wcc', error instanceof Error ? error.message : String(error), wxml.join(', ')));
    }
  }
  if (wxss.length > 0) {
    const out = wcsc(miniprogramDir, wxss.map((file) => file.slice(0, -'.wxss'.length)), {});
    if (out instanceof Error) problems.push(locate('wcsc', out.message, wxss.join(', ')));
    else if (typeof out.comm !== 'string') problems.push({ tool: 'wcsc', file: miniprogramDir, line: null, column: null, message: 'wcsc produced no style code' });
  }
  return { wxml, wxss, problems };
}
