import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import { CLIENT_CALLABLE, TRIGGERED } from '../core/functions/catalog';

/**
 * Guards of the code's shape, read from the sources: every order status change goes through the
 * lifecycle's commands, and no function handler depends on another handler.
 */
const ROOT = resolve(__dirname, '..');
/** The only files that may write a status change: the commands, and the repository that runs them. */
const TRANSITION_WRITERS = ['core/orders/lifecycle.ts', 'core/orders/repository.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const parse = (path: string) => ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);

/** `x.transition(…)` or `x['transition'](…)` calls in a file, as "file:line" (comments and strings do not count). */
function transitionCalls(path: string): string[] {
  const file = parse(path);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)
          ? callee.argumentExpression.text
          : ts.isIdentifier(callee)
            ? callee.text
            : null;
      if (name === 'transition') found.push(`${relative(ROOT, path)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function importsOf(path: string): string[] {
  return parse(path)
    .statements.filter(ts.isImportDeclaration)
    .map((statement) => (statement.moduleSpecifier as ts.StringLiteral).text);
}

const PRODUCT_AND_TOOLS = ['core', 'local', 'scripts', 'bench', 'cloudfunctions'].flatMap((dir) => sourceFiles(join(ROOT, dir)));

test('the scan sees the lifecycle’s own transitions (so an empty result below means something)', () => {
  expect(transitionCalls(join(ROOT, 'core/orders/lifecycle.ts')).length).toBeGreaterThanOrEqual(6);
  expect(PRODUCT_AND_TOOLS.map((path) => relative(ROOT, path))).toEqual(expect.arrayContaining(['core/functions/generate.ts', 'core/functions/reconcile.ts', 'core/payments/confirm.ts']));
});

test('no file but the lifecycle (and the repository) calls transition(): every status change is a lifecycle command', () => {
  const outside = PRODUCT_AND_TOOLS.filter((path) => !TRANSITION_WRITERS.includes(relative(ROOT, path))).flatMap(transitionCalls);
  expect(outside).toEqual([]);
});

test('no cloud function handler imports another handler', () => {
  const handlers = new Set<string>([...CLIENT_CALLABLE, ...TRIGGERED]);
  const functionsDir = join(ROOT, 'core', 'functions');
  const crossings: string[] = [];
  for (const name of handlers) {
    const path = join(functionsDir, `${name}.ts`);
    for (const specifier of importsOf(path)) {
      const target = /^\.\/(\w+)$/.exec(specifier)?.[1];
      if (target && handlers.has(target)) crossings.push(`${name} → ${target}`);
    }
  }
  expect(crossings).toEqual([]);
});
