// @ts-check
/**
 * `npm run lint`: typescript-eslint with type information. Each TypeScript file is checked with
 * the program of the tsconfig.json nearest to it (`projectService`): the root one (core,
 * cloudfunctions, local, scripts, test, bench), miniprogram/, test/miniprogram/ or
 * local/preview/browser/. The plain-JavaScript build scripts get the same rules without types.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The Node globals the plain-JavaScript scripts use. */
const nodeGlobals = /** @type {const} */ ({
  process: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
});

export default tseslint.config(
  {
    // Generated or vendored: the bundles `npm run build` writes, WeChat's tools, the vendored
    // Markdown parser, test output.
    ignores: [
      'cloudfunctions/*/index.js',
      '.build/**',
      '.data/**',
      '.bench/**',
      'miniprogram/vendor/**',
      'tools/**',
      'coverage/**',
      'test/artifacts/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The three checks this lint is for (they are in the recommended set but for the last one;
      // stated here so that no later change of the preset drops them). A switch over a union names
      // every member: a `default` does not count, so a new status or kind is a lint error at every
      // switch that has to decide about it.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // No `any` outside a typed boundary; where one is needed, it is named once and says why.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Passing on a caught error (typed `unknown`) is not inventing a non-Error rejection.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Escaped code points in a character class (the invisible characters the redactor strips)
      // are single characters by intent, not a combined glyph that looks like one.
      'no-misleading-character-class': ['error', { allowEscape: true }],
      // Without noUncheckedIndexedAccess an indexed read is typed as present, so every deliberate
      // `xs[i] as T` reads as "unnecessary": removing them (137 places) is churn that would be
      // undone the day that compiler option is turned on.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` without `await` is how a function that implements a promise-returning interface (a
      // handler, a wx.* shim, a test double) turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // wx.* APIs fail with a plain `{ errMsg }` object, not an Error (WeChat docs: 异步 API 返回
    // Promise; the promise rejects with the `fail` callback's argument); the preview's shim must too.
    files: ['local/preview/browser/wx.ts'],
    rules: {
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  {
    // The preview's built-in components write property values into the DOM as WeChat's renderer
    // does: `String(value)`, whatever the page bound.
    files: ['local/preview/browser/builtins.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    // Tests read HTTP and stored answers as untyped JSON (test/support/json.ts) and assert on the
    // fields they read, and hand jest's mocked methods to expect(): the rules that follow `any`
    // through expressions, and unbound-method, would flag each of those reads.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
