import { PX_PER_RPX } from './frame';

/** Built-in components as miniprogram-simulate renders them: `<view>` becomes `<wx-view>`. */
const BUILT_IN_TAGS = [
  'cover-image', 'cover-view', 'grid-view', 'list-view', 'match-media', 'movable-area', 'movable-view', 'page-container', 'root-portal',
  'scroll-view', 'share-element', 'sticky-header', 'sticky-section', 'swiper', 'swiper-item', 'view', 'icon', 'progress', 'rich-text', 'text',
  'button', 'checkbox', 'checkbox-group', 'editor', 'form', 'input', 'label', 'picker', 'picker-view', 'picker-view-column', 'radio',
  'radio-group', 'slider', 'switch', 'textarea', 'navigator', 'audio', 'camera', 'image', 'video', 'map', 'canvas', 'web-view',
];
const TAG_SELECTOR = new RegExp(`(^|[\\s>+~,(])(page|${BUILT_IN_TAGS.join('|')})(?=$|[\\s>+~,.:#\\[)])`, 'g');
const RPX_NUMBER = /(^|[^\w.-])(-?(?:\d+\.?\d*|\.\d+))rpx\b/g;
const VIEWPORT_NUMBER = /(^|[^\w.-])(-?(?:\d+\.?\d*|\.\d+))(vh|vw)\b/g;

function rpxToPx(value: string): string {
  const px = Number(value) * PX_PER_RPX;
  return `${Number(px.toFixed(3))}px`;
}

/**
 * WXSS for the browser. rpx becomes px for the frame's width (miniprogram-simulate maps 1rpx to
 * 1px, a phone twice as wide as WeChat's), vh/vw measure the page's window, and the tag selectors WeChat's compiler rewrites are
 * rewritten the same way: `view` → `wx-view`, `page` → this page's container.
 */
export function wxssForBrowser(wxss: string, route: string): string {
  const withoutComments = wxss.replace(/\/\*[\s\S]*?\*\//g, '');
  const inPx = withoutComments
    .replace(RPX_NUMBER, (_all, before: string, value: string) => `${before}${rpxToPx(value)}`)
    // vh and vw are the page's window in WeChat, not the browser's: the shell sets these variables on each page.
    .replace(VIEWPORT_NUMBER, (_all, before: string, value: string, unit: string) => `${before}calc(${value} * var(--mp-${unit}))`);
  return inPx.replace(/([^{}]+)\{/g, (all, selector: string) => {
    if (selector.trim().startsWith('@')) return all;
    return `${selector.replace(TAG_SELECTOR, (_m, before: string, tag: string) => `${before}${tag === 'page' ? `[data-mp-page="${route}"]` : `wx-${tag}`}`)}{`;
  });
}

/**
 * WXML for the browser: rpx in `style` attributes becomes px (a bound number, `{{n}}rpx`, becomes a
 * `calc`), because the engine's own conversion would make it twice too large.
 */
export function wxmlForBrowser(wxml: string): string {
  return wxml.replace(/(\sstyle\s*=\s*)(["'])([\s\S]*?)\2/g, (_all, attr: string, quote: string, style: string) => {
    const converted = style
      .replace(/\{\{([^}]*)\}\}rpx\b/g, (_m, expression: string) => `calc({{${expression}}} * ${PX_PER_RPX}px)`)
      .replace(RPX_NUMBER, (_m, before: string, value: string) => `${before}${rpxToPx(value)}`);
    return `${attr}${quote}${converted}${quote}`;
  });
}
