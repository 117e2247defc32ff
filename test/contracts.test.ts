import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { CLIENT_CALLABLE } from '../core/functions/catalog';

const ROOT = resolve(__dirname, '..');
const CONTRACTS = join(ROOT, 'test', 'contracts.types.ts');
const CLIENT_TYPES = join(ROOT, 'miniprogram', 'services', 'types.ts');

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile) as { config: unknown };
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
}

/** Type-checks test/contracts.types.ts, with the mini program's types.ts replaced when `clientTypes` is given. */
function contractDiagnostics(clientTypes?: string): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (clientTypes !== undefined && resolve(fileName) === CLIENT_TYPES ? clientTypes : readFile(fileName));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    clientTypes !== undefined && resolve(fileName) === CLIENT_TYPES
      ? ts.createSourceFile(fileName, clientTypes, languageVersion)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  const program = ts.createProgram([CONTRACTS], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => `${diagnostic.file ? diagnostic.file.fileName.replace(`${ROOT}/`, '') : ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
}

describe("the mini program's copy of the client contract matches core's", () => {
  test('ClientOrder, OrderStatus, RequestPaymentParams and ErrorCode are the same types on both sides', () => {
    expect(contractDiagnostics()).toEqual([]);
  });

  test('a field dropped from the client copy of ClientOrder is caught', () => {
    const original = readFileSync(CLIENT_TYPES, 'utf8');
    const drifted = original.replace(/(export interface ClientOrder \{[^}]*?)\n\s*outputComplete: boolean;/, '$1');
    expect(drifted).not.toBe(original);
    const diagnostics = contractDiagnostics(drifted);
    expect(diagnostics.some((text) => text.startsWith('test/contracts.types.ts'))).toBe(true);
  });

  test('an error code the server does not know is caught', () => {
    const original = readFileSync(CLIENT_TYPES, 'utf8');
    const drifted = original.replace("| 'INTERNAL'", "| 'INTERNAL'\n  | 'PAYMENT_DECLINED'");
    expect(drifted).not.toBe(original);
    expect(contractDiagnostics(drifted).some((text) => text.startsWith('test/contracts.types.ts'))).toBe(true);
  });
});

/** The string literals of `export type FunctionName = 'a' | 'b'` in miniprogram/services/cloud.ts. */
function clientFunctionNames(): string[] {
  const path = join(ROOT, 'miniprogram', 'services', 'cloud.ts');
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2020, true);
  const alias = source.statements.find((statement): statement is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(statement) && statement.name.text === 'FunctionName');
  if (!alias) throw new Error('miniprogram/services/cloud.ts declares no FunctionName type');
  const members = ts.isUnionTypeNode(alias.type) ? alias.type.types : [alias.type];
  return members.map((member) => {
    if (ts.isLiteralTypeNode(member) && ts.isStringLiteral(member.literal)) return member.literal.text;
    throw new Error(`FunctionName in cloud.ts must be a union of string literals, found ${member.getText(source)}`);
  });
}

describe("the mini program calls exactly the catalog's client-callable functions", () => {
  test("cloud.ts's FunctionName lists the same names as core/functions/catalog.ts", () => {
    expect([...clientFunctionNames()].sort()).toEqual([...CLIENT_CALLABLE].sort());
  });
});
