import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import { CLIENT_CALLABLE, TRIGGERED } from '../core/functions/catalog';
import { ACTIVE_PAYMENTS, ORDER_EVENTS, ORDERS } from '../core/orders/repository';
import { TOP_UPS } from '../core/orders/topUpRepository';

/**
 * Guards of the code's shape, read from the sources with TypeScript's own type checker: every
 * write to an order (a status or any field, whatever the method) is a command of core/orders/,
 * and no function handler depends on another handler.
 */
const ROOT = resolve(__dirname, '..');
const ORDERS_HOME = 'core/orders/';
/** The emulated database itself (it stores every collection by name, for every caller). */
const DATABASE_IMPLEMENTATIONS = ['local/store/', 'local/cloudbase/'];
const ORDER_COLLECTIONS = new Set([ORDERS, ORDER_EVENTS, ACTIVE_PAYMENTS, TOP_UPS]);
/** The writing repositories: the orders' and the token top-ups'. */
const WRITING_CLASSES = new Set(['OrderRepository', 'TopUpRepository']);
/** What changes a stored document: the repository's writes and the SDK's. */
const REPOSITORY_WRITES = new Set(['transition', 'move', 'patch', 'insert', 'audit']);
const SDK_WRITES = new Set(['add', 'update', 'remove', 'set']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const PRODUCT_AND_TOOLS = ['core', 'local', 'scripts', 'bench', 'cloudfunctions'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
const at = (file: ts.SourceFile, node: ts.Node) => `${relative(ROOT, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;

let program: ts.Program;
let checker: ts.TypeChecker;
beforeAll(() => {
  program = ts.createProgram(PRODUCT_AND_TOOLS, { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'] });
  checker = program.getTypeChecker();
});

/** The class a method call's receiver is an instance of, by name (`OrderRepository`, …). */
function receiverClass(call: ts.CallExpression): string | null {
  if (!ts.isPropertyAccessExpression(call.expression) && !ts.isElementAccessExpression(call.expression)) return null;
  const type = checker.getTypeAtLocation(call.expression.expression);
  return type.getSymbol()?.getName() ?? null;
}

function methodName(call: ts.CallExpression): string | null {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) return callee.argumentExpression.text;
  return null;
}

/** The collection a `….collection(name)…` chain under `node` names, when its name is known to the type checker. */
function collectionNamed(node: ts.Expression): string | null {
  let current: ts.Expression = node;
  for (;;) {
    if (ts.isCallExpression(current)) {
      if (methodName(current) === 'collection' && current.arguments[0]) {
        const type = checker.getTypeAtLocation(current.arguments[0]);
        return type.isStringLiteral() ? type.value : null;
      }
      current = current.expression;
    } else if (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current)) {
      current = current.expression;
    } else if (ts.isIdentifier(current)) {
      // A chain kept in a variable: `const collection = db.collection(ORDERS); collection.add(…)`.
      const declaration = checker.getSymbolAtLocation(current)?.valueDeclaration;
      if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return null;
      current = declaration.initializer;
    } else if (ts.isAwaitExpression(current) || ts.isParenthesizedExpression(current)) {
      current = current.expression;
    } else return null;
  }
}

/** Every write to an order, its audit trail or the active-payment locks in one file, as "file:line what". */
function orderWrites(path: string): string[] {
  const file = program.getSourceFile(path);
  if (!file) throw new Error(`not in the program: ${path}`);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = methodName(node);
      const receiver = name && REPOSITORY_WRITES.has(name) ? receiverClass(node) : null;
      if (name && receiver && WRITING_CLASSES.has(receiver)) found.push(`${at(file, node)} ${receiver}.${name}`);
      if (name && SDK_WRITES.has(name)) {
        const collection = collectionNamed(node.expression);
        if (collection && ORDER_COLLECTIONS.has(collection)) found.push(`${at(file, node)} collection('${collection}').${name}`);
      }
      if (ts.isIdentifier(node.expression) && (node.expression.text === 'orderStore' || node.expression.text === 'topUpStore')) found.push(`${at(file, node)} ${node.expression.text}()`);
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && WRITING_CLASSES.has(node.expression.text)) found.push(`${at(file, node)} new ${node.expression.text}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const outsideOrders = () => PRODUCT_AND_TOOLS.filter((path) => {
  const rel = relative(ROOT, path);
  return !rel.startsWith(ORDERS_HOME) && !DATABASE_IMPLEMENTATIONS.some((dir) => rel.startsWith(dir));
});

test('the scan sees the lifecycle’s own writes, through each method (so an empty result below means something)', () => {
  const inside = PRODUCT_AND_TOOLS.filter((path) => relative(ROOT, path).startsWith(ORDERS_HOME)).flatMap(orderWrites).join('\n');
  for (const method of ['transition', 'move', 'patch', 'insert', 'audit']) expect(inside).toContain(`OrderRepository.${method}`);
  expect(inside).toContain(`collection('${ACTIVE_PAYMENTS}').add`);
  expect(inside).toContain('orderStore()');
  expect(inside).toContain('topUpStore()');
  expect(inside).toContain('TopUpRepository.move');
  expect(outsideOrders().map((path) => relative(ROOT, path))).toEqual(expect.arrayContaining(['core/functions/generate.ts', 'core/functions/reconcile.ts', 'core/payments/evidence.ts', 'core/notify/subscribe.ts', 'core/compliance/shipping.ts']));
});

test('no file outside core/orders writes an order, an audit event or a payment lock, by any method: every write is a lifecycle command', () => {
  expect(outsideOrders().flatMap(orderWrites)).toEqual([]);
});

test('handlers get a read-only view of the orders (the context’s `orders` has no write method)', () => {
  const context = program.getSourceFile(join(ROOT, 'core/context.ts'));
  const appContext = context && (checker.getSymbolAtLocation(context) ? checker.getExportsOfModule(checker.getSymbolAtLocation(context) as ts.Symbol).find((s) => s.getName() === 'AppContext') : undefined);
  expect(appContext).toBeDefined();
  const ordersProperty = checker.getDeclaredTypeOfSymbol(appContext as ts.Symbol).getProperty('orders');
  const methods = checker.getTypeOfSymbol(ordersProperty as ts.Symbol).getProperties().map((p) => p.getName());
  expect(methods.length).toBeGreaterThan(3);
  expect(methods.filter((name) => REPOSITORY_WRITES.has(name))).toEqual([]);
  const topUps = checker.getTypeOfSymbol(checker.getDeclaredTypeOfSymbol(appContext as ts.Symbol).getProperty('topUps') as ts.Symbol).getProperties().map((p) => p.getName());
  expect(topUps.length).toBeGreaterThan(1);
  expect(topUps.filter((name) => REPOSITORY_WRITES.has(name))).toEqual([]);
});

function importsOf(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  return file.statements.filter(ts.isImportDeclaration).map((statement) => (statement.moduleSpecifier as ts.StringLiteral).text);
}

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
