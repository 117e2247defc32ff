// Types of the vendored bundle (scripts/vendor-miniprogram.mjs), taken from the packages themselves.
export { Lexer } from 'marked';
export type { Token, Tokens, TokensList } from 'marked';
export { default as remend } from 'remend';
export type { RemendHandler } from 'remend';
