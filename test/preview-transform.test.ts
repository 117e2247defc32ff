import { wxmlForBrowser, wxssForBrowser } from '../local/preview/transform';

describe('page styles in the browser preview', () => {
  test('rpx is measured against a 375 px wide phone: 750rpx is the full width', () => {
    expect(wxssForBrowser('.a { width: 750rpx; padding: 24rpx 32rpx; margin: -1.5rpx; border: 2rpx solid #000 }', 'pages/a/a')).toBe(
      '.a { width: 375px; padding: 12px 16px; margin: -0.75px; border: 1px solid #000 }',
    );
  });

  test('vh and vw are the page window, not the browser window', () => {
    expect(wxssForBrowser('.a { min-height: 100vh; width: 50vw }', 'pages/a/a')).toBe('.a { min-height: calc(100 * var(--mp-vh)); width: calc(50 * var(--mp-vw)) }');
  });

  test('tag selectors become the built-in components\' tags, and page this page\'s container, as WeChat compiles them', () => {
    expect(wxssForBrowser('page { background: #eee } view, .card text { color: red } .view-like, .textarea { top: 0 } button.primary:active { top: 1px }', 'pages/a/a')).toBe(
      '[data-mp-page="pages/a/a"] { background: #eee } wx-view, .card wx-text { color: red } .view-like, .textarea { top: 0 } wx-button.primary:active { top: 1px }',
    );
  });

  test('at-rules keep their own text; the rules inside them are converted', () => {
    expect(wxssForBrowser('@media (min-width: 400rpx) { .b view { top: .5rpx } } @keyframes k { from { left: 0 } to { left: 10rpx } }', 'pages/a/a')).toBe(
      '@media (min-width: 200px) { .b wx-view { top: 0.25px } } @keyframes k { from { left: 0 } to { left: 5px } }',
    );
  });

  test('comments are dropped and words that merely contain rpx are left alone', () => {
    expect(wxssForBrowser('/* 32rpx */ .x20rpx-box { content: "a" }', 'pages/a/a')).toBe(' .x20rpx-box { content: "a" }');
  });

  test('inline styles in WXML convert rpx too, a bound number through calc', () => {
    expect(wxmlForBrowser('<view style="width: {{w}}rpx; height: 20rpx" class="x20rpx">20rpx</view>')).toBe(
      '<view style="width: calc({{w}} * 0.5px); height: 10px" class="x20rpx">20rpx</view>',
    );
    expect(wxmlForBrowser("<view style='margin: 8rpx'/>")).toBe("<view style='margin: 4px'/>");
  });
});
