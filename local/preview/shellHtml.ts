/** The page at `/`: the phone frame and the tool panel; the shell script fills them. */
export const PREVIEW_HTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Mini program preview · local runtime</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<div class="mp-phone" id="phone">
  <div class="mp-status"><span>9:41</span><span>WeChat</span><span>100%</span></div>
  <div class="mp-navbar" id="navbar"><button class="mp-back" id="back" aria-label="返回" hidden>‹</button><span class="mp-navbar-title" id="title"></span><span class="mp-capsule" aria-hidden="true"><span>···</span><span>◉</span></span></div>
  <div class="mp-pages" id="pages"></div>
  <nav class="mp-tabbar" id="tabbar" hidden></nav>
  <div class="mp-overlays" id="overlays"></div>
</div>
<aside class="preview-panel">
  <section>
    <h2>Simulated WeChat user</h2>
    <form id="user-form"><input id="openid" aria-label="openid" autocomplete="off"> <button type="submit">Switch</button></form>
    <p>Sent as <code>X-WX-OPENID</code> to the local runtime; each user has their own orders and storage.</p>
  </section>
  <section>
    <h2>Simulated phone</h2>
    <select id="device" aria-label="phone"></select>
    <p>What <code>wx.getDeviceInfo</code> and <code>wx.getAppBaseInfo</code> report. Virtual payment shows WeChat Pay's sheet on Android and Apple's on iOS; an iPhone below iOS 15 or WeChat 8.0.68 cannot pay, and the mini program shows no price there.</p>
  </section>
  <section>
    <h2>Page</h2>
    <p><code id="route">…</code></p>
  </section>
  <section>
    <h2>Subscribe messages sent</h2>
    <div id="messages"><p>None yet.</p></div>
  </section>
  <section id="errors-section" hidden>
    <h2>Errors</h2>
    <ul class="preview-errors" id="errors"></ul>
  </section>
</aside>
<script src="/preview/simulate.js"></script>
<script src="/preview/shell.js"></script>
</body>
</html>
`;
