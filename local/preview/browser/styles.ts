import { FRAME } from '../frame';

/**
 * The built-in components' default look (after WeChat's "style v2"), wrapped in :where() so that a
 * page's own WXSS always wins, and the phone frame, overlays and tool panel of the preview.
 */
export const PREVIEW_CSS = `
:root { color-scheme: light; }
body { margin: 0; padding: 24px; display: flex; gap: 24px; align-items: flex-start; background: #e9ebef;
  font-family: -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif; }
.mp-phone { position: relative; flex: none; width: ${FRAME.width}px; height: ${FRAME.height}px; overflow: hidden; display: flex; flex-direction: column;
  background: #fff; border-radius: 18px; box-shadow: 0 0 0 10px #1f2023, 0 12px 40px rgba(0,0,0,.35); font-size: 16px; color: #000; line-height: normal; }
.mp-status { height: ${FRAME.statusBarHeight}px; flex: none; display: flex; justify-content: space-between; align-items: center; padding: 0 12px; font-size: 12px; font-weight: 600; }
.mp-navbar { height: ${FRAME.navigationBarHeight}px; flex: none; position: relative; display: flex; align-items: center; justify-content: center; }
.mp-navbar-title { font-size: 17px; font-weight: 600; max-width: 200px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.mp-back { position: absolute; left: 0; top: 0; bottom: 0; width: 44px; border: 0; background: none; font-size: 22px; color: inherit; cursor: pointer; }
.mp-capsule { position: absolute; right: 7px; top: 6px; width: 87px; height: 32px; box-sizing: border-box; border-radius: 16px; border: 1px solid rgba(0,0,0,.12);
  display: flex; align-items: center; justify-content: space-around; font-size: 14px; color: #333; background: rgba(255,255,255,.6); }
/* position: fixed in a page means the page's window in WeChat: the transform makes this box the containing block of fixed elements. */
.mp-pages { position: relative; flex: 1; overflow: hidden; transform: translateZ(0); }
.mp-rich-text { display: block; }
.mp-rich-text :where(table) { border-collapse: collapse; }
.mp-rich-text :where(ul, ol) { margin: 0; }
/* A page is white unless its WXSS says otherwise (its page selector comes later and wins; window.backgroundColor only shows when pulling down). */
.mp-page { position: absolute; inset: 0; overflow-y: auto; overflow-x: hidden; background: #ffffff; }
.mp-page[hidden] { display: none; }
.mp-tabbar { height: ${FRAME.tabBarHeight}px; flex: none; display: flex; border-top: 1px solid rgba(0,0,0,.1); }
.mp-tabbar[hidden] { display: none; }
.mp-tab { flex: 1; border: 0; background: none; font-size: 12px; color: var(--tab-color); cursor: pointer; }
.mp-tab.mp-tab-selected { color: var(--tab-selected); }
.mp-overlays { position: absolute; inset: 0; pointer-events: none; z-index: 1000; }
.mp-layer { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; pointer-events: auto; }
.mp-layer.mp-passthrough { pointer-events: none; }
.mp-mask { background: rgba(0,0,0,.6); }
.mp-bottom { align-items: flex-end; }
.mp-toast { min-width: 120px; max-width: 168px; min-height: 120px; box-sizing: border-box; padding: 16px; border-radius: 12px; background: rgba(17,17,17,.7);
  color: #fff; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 10px; text-align: center; font-size: 14px; }
.mp-toast.mp-toast-text { min-height: 0; min-width: 0; max-width: 260px; padding: 12px 16px; }
.mp-toast-icon { font-size: 36px; line-height: 40px; }
.mp-spinner { width: 36px; height: 36px; border-radius: 50%; border: 3px solid rgba(255,255,255,.3); border-top-color: #fff; animation: mp-spin 0.8s linear infinite; }
@keyframes mp-spin { to { transform: rotate(360deg); } }
.mp-modal { width: 320px; background: #fff; border-radius: 12px; overflow: hidden; text-align: center; }
.mp-modal-title { padding: 32px 24px 8px; font-size: 17px; font-weight: 700; }
.mp-modal-content { padding: 8px 24px 32px; font-size: 15px; color: rgba(0,0,0,.5); white-space: pre-wrap; word-break: break-word; }
.mp-modal-title + .mp-modal-buttons { margin-top: 24px; }
.mp-modal-buttons { display: flex; border-top: 1px solid rgba(0,0,0,.1); }
.mp-modal-button { flex: 1; height: 56px; border: 0; background: none; font-size: 17px; font-weight: 700; cursor: pointer; }
.mp-modal-button + .mp-modal-button { border-left: 1px solid rgba(0,0,0,.1); }
.mp-pay-sheet, .mp-subscribe-sheet { width: 100%; background: #fff; border-radius: 12px 12px 0 0; padding: 16px 24px 24px; box-sizing: border-box; text-align: center; }
.mp-pay-header { position: relative; font-size: 15px; color: #333; padding: 4px 0 12px; }
.mp-pay-close { position: absolute; left: -8px; top: -4px; border: 0; background: none; font-size: 18px; cursor: pointer; }
.mp-pay-amount { font-size: 40px; font-weight: 700; padding: 16px 0 8px; }
.mp-pay-details { font-size: 14px; color: rgba(0,0,0,.55); line-height: 1.6; padding-bottom: 20px; word-break: break-all; }
.mp-pay-number { font-size: 12px; }
.mp-pay-button { width: 100%; height: 48px; border: 0; border-radius: 8px; background: #07c160; color: #fff; font-size: 17px; font-weight: 700; cursor: pointer; }
.mp-pay-choices { display: flex; gap: 12px; margin-top: 12px; }
.mp-pay-secondary { flex: 1; height: 40px; border: 0; border-radius: 8px; background: #f2f2f2; color: #333; font-size: 14px; cursor: pointer; }
/* Virtual payment: WeChat Pay's sheet (Android) reuses the pay sheet's look; Apple's (iOS) is its own. */
.mp-vpay-sheet { width: 100%; background: #fff; border-radius: 12px 12px 0 0; padding: 16px 24px 24px; box-sizing: border-box; text-align: center; }
.mp-vpay-item { color: rgba(0,0,0,.8); }
.mp-vpay-apple { background: #f2f2f7; text-align: left; padding: 14px 16px 20px; font-family: -apple-system, "SF Pro Text", "PingFang SC", "Noto Sans CJK SC", sans-serif; }
.mp-apple-header { display: flex; justify-content: space-between; align-items: center; padding-bottom: 12px; }
.mp-apple-store { font-size: 17px; font-weight: 600; }
.mp-apple-cancel { border: 0; background: none; color: #0a84ff; font-size: 17px; cursor: pointer; }
.mp-apple-product { background: #fff; border-radius: 10px; padding: 12px 14px; }
.mp-apple-title { font-size: 17px; font-weight: 600; }
.mp-apple-app { font-size: 13px; color: #8e8e93; margin-top: 2px; }
.mp-apple-rows { background: #fff; border-radius: 10px; margin-top: 10px; }
.mp-apple-row { padding: 10px 14px; font-size: 15px; border-top: 1px solid #e5e5ea; }
.mp-apple-row:first-child { border-top: 0; }
.mp-apple-price { font-weight: 600; }
.mp-apple-buy { display: block; width: 100%; height: 48px; margin-top: 14px; border: 0; border-radius: 12px; background: #0a84ff; color: #fff; font-size: 17px; font-weight: 600; cursor: pointer; }
.mp-apple-fail { display: block; width: 100%; margin-top: 10px; border: 0; background: none; color: #8e8e93; font-size: 13px; cursor: pointer; }
.mp-subscribe-title { font-size: 17px; font-weight: 700; padding: 8px 0 16px; }
.mp-subscribe-item { text-align: left; font-size: 14px; padding: 8px 0; border-top: 1px solid rgba(0,0,0,.08); }
.mp-subscribe-buttons { display: flex; gap: 12px; margin-top: 16px; }
.mp-subscribe-buttons button { flex: 1; height: 44px; border: 0; border-radius: 8px; font-size: 16px; font-weight: 700; cursor: pointer; }
.mp-subscribe-reject { background: #f2f2f2; color: #333; }
.mp-subscribe-accept { background: #07c160; color: #fff; }

:where(wx-view) { display: block; }
:where(wx-text) { display: inline; white-space: pre-wrap; word-break: break-word; }
:where(wx-button) { position: relative; display: block; width: 184px; margin: 0 auto; padding: 12px 24px; box-sizing: border-box; font-size: 17px; font-weight: 700;
  line-height: 1.41176471; text-align: center; border-radius: 8px; color: #06ae56; background: #f2f2f2; cursor: pointer; user-select: none; overflow: hidden; }
:where(wx-button[type=primary]) { color: #fff; background: #07c160; }
:where(wx-button[type=warn]) { color: #fa5151; }
:where(wx-button[size=mini]) { display: inline-block; width: auto; padding: 0 .75em; font-size: 13px; line-height: 2.3; border-radius: 4px; }
:where(wx-button[plain]) { background: transparent; border: 1px solid currentColor; }
:where(wx-button[disabled]) { opacity: .5; pointer-events: none; }
:where(wx-button[loading])::before { content: ""; display: inline-block; width: 1em; height: 1em; margin-right: .4em; vertical-align: -0.15em; border-radius: 50%;
  border: 2px solid currentColor; border-right-color: transparent; animation: mp-spin .8s linear infinite; }
:where(wx-input) { display: block; height: 1.4em; min-height: 1.4em; cursor: text; }
:where(wx-textarea) { display: block; width: 300px; height: 150px; cursor: text; }
:where(wx-textarea[auto-height]) { height: auto; min-height: 1.4em; }
wx-textarea[auto-height] > .mp-native-textarea { min-height: inherit; overflow: hidden; }
:where(wx-input[disabled], wx-textarea[disabled]) { opacity: .6; }
.mp-native-input, .mp-native-textarea { display: block; width: 100%; height: 100%; margin: 0; padding: 0; border: 0; outline: 0; background: transparent;
  font: inherit; color: inherit; letter-spacing: inherit; text-align: inherit; resize: none; box-sizing: border-box; }
.mp-native-input::placeholder, .mp-native-textarea::placeholder { color: #808080; }
:where(wx-scroll-view) { display: block; overflow: hidden; }
:where(wx-scroll-view[scroll-y]) { overflow-y: auto; }
:where(wx-scroll-view[scroll-x]) { overflow-x: auto; }
:where(wx-image) { display: inline-block; width: 320px; height: 240px; overflow: hidden; }
wx-image > img { display: block; width: 100%; height: 100%; object-fit: fill; }
wx-image[mode=aspectFit] > img { object-fit: contain; }
wx-image[mode=aspectFill] > img { object-fit: cover; }
:where(wx-image[mode=widthFix]) { height: auto; }
wx-image[mode=widthFix] > img { height: auto; }
:where(wx-navigator) { display: block; cursor: pointer; }
:where(wx-progress) { display: flex; align-items: center; height: 6px; background: linear-gradient(to right, var(--mp-progress-color) var(--mp-progress), #ebebeb var(--mp-progress)); }
:where(wx-progress)::after { content: attr(data-info); margin-left: 100%; padding-left: 8px; font-size: 14px; white-space: nowrap; }
:where(wx-rich-text, wx-label) { display: inline; }

.preview-panel { width: 380px; font-size: 13px; color: #1f2328; display: flex; flex-direction: column; gap: 16px; }
.preview-panel section { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.preview-panel h2 { margin: 0 0 8px; font-size: 14px; }
.preview-panel p { margin: 4px 0; color: #57606a; }
.preview-panel input { width: 200px; padding: 4px 6px; font: inherit; }
.preview-panel select { width: 100%; padding: 4px 6px; font: inherit; }
.preview-panel code { font-size: 12px; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.preview-message { border-top: 1px solid #eaeef2; padding: 8px 0; }
.preview-message:first-child { border-top: 0; }
.preview-message dl { margin: 4px 0 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 8px; }
.preview-message dt { color: #57606a; }
.preview-message dd { margin: 0; }
.preview-errors li { color: #cf222e; white-space: pre-wrap; margin-bottom: 6px; }
/* A window as narrow as the phone (375 px) shows the phone edge to edge, the panel below it: nothing scrolls sideways. */
@media (max-width: 439px) {
  body { padding: 0; display: block; }
  .mp-phone { width: 100%; max-width: ${FRAME.width}px; margin: 0 auto; border-radius: 0; box-shadow: none; }
  .preview-panel { width: auto; padding: 16px 12px; }
  .preview-panel input, .preview-panel select { max-width: 100%; box-sizing: border-box; }
}
`;
