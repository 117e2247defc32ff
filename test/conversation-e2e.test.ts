/**
 * A conversation end to end, in real Chromium against the real local runtime and its functions
 * (listTiers, getBalance, createOrder paid with tokens, getConversation, listConversations,
 * deleteConversation): a user asks on the home page, the conversation opens, they follow up twice
 * (the model is sent the earlier turns), see every answer flow in live with the 「AI生成」 label,
 * copy an answer with its label, and delete the conversation, in both languages. The tokens come
 * from the runtime's welcome tokens (WELCOME_TOKENS), given on the user's first getBalance (the
 * home page's balance row).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readableText } from '../miniprogram/services/answerCopy';
import { LocalRuntime } from './support/runtime';
import { callWx, clickWhenStill, copiedTexts, CONVERSATION, currentPages, HISTORY, HOME, inPage, launchChromium, openPreview, pageClass, renderedText, shot, STEP_TIMEOUT_MS, until, type BrowserGlobals } from './support/preview';

let runtime: LocalRuntime;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  runtime = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '100', PAY_MODE: 'virtual', WELCOME_TOKENS: '1000', SUPPORT_CONTACT: 'support@example.com' });
  browser = await launchChromium();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

interface Frame {
  turn: number;
  status: string;
  output: string;
  label: string;
  copy: boolean;
}

/** Records every change of the conversation page's turns as the user saw them (`window.__frames`). */
async function recordTurns(page: Page): Promise<void> {
  await page.evaluate((route) => {
    const globals = globalThis as unknown as BrowserGlobals & { __frames: Frame[] };
    globals.__frames = [];
    const at = (id: string) => globals.document.querySelector(`[data-mp-page="${route}"]:not([hidden]) #${id}`);
    new globals.MutationObserver(() => {
      for (let turn = 0; at(`turn-${turn}`); turn += 1) {
        globals.__frames.push({
          turn,
          status: at(`status-${turn}`)?.textContent ?? '',
          output: (at(`output-${turn}`)?.textContent ?? '').replace(/\s+/g, ''),
          label: at(`ai-label-${turn}`)?.textContent ?? '',
          copy: at(`copy-${turn}`) !== null,
        });
      }
    }).observe(globals.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, CONVERSATION);
}

/**
 * Whether the element's lower edge is on the phone's screen: inside the page's window and above
 * the question box, which stays at the bottom of the window.
 */
function inSight(page: Page, id: string): Promise<boolean> {
  return page.evaluate(
    ([route, elementId]) => {
      const container = (globalThis as unknown as BrowserGlobals).document.querySelector(`[data-mp-page="${route}"]:not([hidden])`);
      const element = container?.querySelector(`#${elementId}`);
      const composer = container?.querySelector('#composer');
      if (!container || !element || !composer) return false;
      const window = container.getBoundingClientRect();
      const bottom = element.getBoundingClientRect().bottom;
      return bottom >= window.top && bottom <= Math.min(window.bottom, composer.getBoundingClientRect().top) + 2;
    },
    [CONVERSATION, id] as const,
  );
}

function pageScrollTop(page: Page): Promise<number> {
  return page.locator('.mp-page:not([hidden])').evaluate((node) => (node as unknown as { scrollTop: number }).scrollTop);
}

function framesOf(page: Page, turn: number): Promise<Frame[]> {
  return page.evaluate((index) => (globalThis as unknown as { __frames: Frame[] }).__frames.filter((frame) => frame.turn === index), turn);
}

/** One chat completion request as the local model server received it (GET /api/inspect/model-requests). */
interface ModelRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
}

interface ServerTurn {
  orderId: string;
  outTradeNo: string;
  prompt: string;
  output: string;
  status: string;
  payWith: string;
  conversationId: string;
}

const LANGUAGES = {
  zh: { questions: ['用三句话介绍一下长城', '再短一点', '为什么要修长城？'], writing: '正在生成', confirming: '正在确认支付', label: 'AI生成', copyLabel: '【AI生成】', deleted: '对话已删除', ask: /^提问 · \d+ 代币$/, paid: /^\d+ 代币$/ },
  en: { questions: ['Describe the Great Wall in three sentences', 'Shorter, please', 'Why was it built?'], writing: 'Writing', confirming: 'Confirming payment', label: 'AI-generated', copyLabel: '[AI-generated]', deleted: 'Conversation deleted', ask: /^Ask · \d+ tokens$/, paid: /^\d+ tokens$/ },
} as const;

describe('a conversation in the preview, against the real functions', () => {
  for (const locale of ['zh', 'en'] as const) {
    test(`(${locale}) ask on the home page, follow up twice in the conversation with the context kept, every answer live and labelled, copy with the label, delete`, async () => {
      const t = LANGUAGES[locale];
      // Slow enough that each answer is seen growing: about 5 s each.
      await runtime.faults({ llm: { error: 0, midStreamError: 0, firstTokenMs: 300, tokensPerSecond: 25, answerTokens: 120 } });
      const user = `e2e-conversation-${locale}-${process.pid}`;
      // The welcome tokens are given on the user's first getBalance, with a session from wx.login's code.
      const { json: login } = await runtime.post<{ code: string }>('/api/wx/login', {}, { 'X-WX-OPENID': user });
      const balance = await runtime.call<{ ok: boolean; balance: number }>('getBalance', { loginCode: login.code }, user);
      expect(balance).toMatchObject({ ok: true });
      expect(balance.balance).toBeGreaterThan(0);

      const page = await openPreview(browser, runtime, contexts, user, { viewport: { width: 375, height: 667 } });
      const tier = page.locator(inPage(HOME, 'tier-quick'));
      await tier.waitFor({ timeout: STEP_TIMEOUT_MS });
      if (locale === 'en') await page.locator(inPage(HOME, 'language')).click();
      await recordTurns(page);

      // The first question is asked on the home page, paid with tokens: its conversation opens at once.
      await tier.click();
      await until('the tier is chosen', () => tier.getAttribute('class'), (value) => (value ?? '').includes(pageClass(HOME, 'tier-selected')));
      await page.locator(inPage(HOME, 'prompt')).locator('textarea').pressSequentially(t.questions[0]);
      const ask = page.locator(inPage(HOME, 'pay'));
      await until('the question can be asked with tokens', async () => ({ text: await ask.textContent(), disabled: await ask.getAttribute('disabled') }), (value) => t.ask.test(value.text ?? '') && value.disabled === null);
      await shot(page, `conversation-live-${locale}-0-home`);
      await ask.click();
      await until('the conversation opens', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === `${HOME},${CONVERSATION}`);
      expect(await page.locator('.mp-vpay-sheet').count()).toBe(0);

      for (const [index, question] of t.questions.entries()) {
        if (index > 0) {
          const textarea = page.locator(inPage(CONVERSATION, 'follow-up')).locator('textarea');
          await textarea.pressSequentially(question);
          const send = page.locator(inPage(CONVERSATION, 'send'));
          await until('the question can be sent', () => send.getAttribute('disabled'), (value) => value === null);
          await send.click();
        }
        await page.locator(inPage(CONVERSATION, `turn-${index}`)).waitFor({ timeout: STEP_TIMEOUT_MS });
        let readingAt: number | null = null;
        if (index === 2) {
          // Mid-answer, the user scrolls up to read the earlier turns: the page leaves them there.
          await until('the third answer is being written', () => page.locator(inPage(CONVERSATION, `output-${index}`)).textContent(), (text) => (text ?? '').trim().length > 0);
          // The page's window scrolls as a finger moves it: in steps, each a scroll event (onPageScroll).
          // (Chromium's animated wheel scrolling gives way to the page's own scrolling, which a finger does not.)
          const before = await pageScrollTop(page);
          await page.locator('.mp-page:not([hidden])').evaluate(async (node) => {
            const window = node as unknown as { scrollBy(options: { top: number; behavior: 'instant' }): void };
            for (let step = 0; step < 8; step += 1) {
              window.scrollBy({ top: -50, behavior: 'instant' });
              await new Promise((resolve) => setTimeout(resolve, 16));
            }
          });
          readingAt = await pageScrollTop(page);
          expect(readingAt).toBeLessThan(before - 300);
        }
        await until('the answer is complete on screen', () => page.locator(inPage(CONVERSATION, `copy-${index}`)).count(), (count) => count === 1, 30_000);
        if (index === 1) {
          // The page followed the answer as it grew: its end, with the copy button, is in sight.
          await until('the end of the follow-up answer is in sight', () => inSight(page, `copy-${index}`), (seen) => seen);
        }
        if (readingAt !== null) {
          // The answer grew below while the user read above; the page did not pull them down.
          await new Promise((resolve) => setTimeout(resolve, 500));
          expect(Math.abs((await pageScrollTop(page)) - readingAt)).toBeLessThan(8);
          expect(await inSight(page, `copy-${index}`)).toBe(false);
        }
        await shot(page, `conversation-live-${locale}-${index + 1}`);
        const frames = await framesOf(page, index);
        // Paid with tokens: "writing" from the first frame on, never "confirming payment".
        expect(frames.filter((frame) => frame.status.includes(t.confirming))).toEqual([]);
        expect(frames.some((frame) => frame.status.includes(t.writing))).toBe(true);
        // The answer flowed in: several lengths on screen while it was written, each already labelled.
        const growing = frames.filter((frame) => frame.status.includes(t.writing) && frame.output !== '');
        expect(new Set(growing.map((frame) => frame.output.length)).size).toBeGreaterThanOrEqual(3);
        expect(growing.filter((frame) => frame.label !== t.label)).toEqual([]);
        expect(await page.locator(inPage(CONVERSATION, `ai-label-${index}`)).textContent()).toBe(t.label);
        expect(await page.locator(inPage(CONVERSATION, `paid-${index}`)).textContent()).toMatch(t.paid);
      }

      // The server holds one conversation of three token-paid turns, in order, with every answer shown.
      const listed = await runtime.call<{ ok: boolean; conversations: Array<{ conversationId: string; turns: number }> }>('listConversations', {}, user);
      expect(listed.conversations).toHaveLength(1);
      const conversationId = (listed.conversations[0] as { conversationId: string }).conversationId;
      expect(listed.conversations[0]?.turns).toBe(3);
      const { conversation } = await runtime.call<{ conversation: { turns: ServerTurn[] } }>('getConversation', { conversationId }, user);
      expect(conversation.turns.map((turn) => ({ prompt: turn.prompt, status: turn.status, payWith: turn.payWith, conversationId: turn.conversationId }))).toEqual(
        t.questions.map((prompt) => ({ prompt, status: 'completed', payWith: 'tokens', conversationId })),
      );
      for (const [index, turn] of conversation.turns.entries()) {
        expect(await page.locator(inPage(CONVERSATION, `output-${index}`)).textContent().then((text) => (text ?? '').replace(/\s+/g, ''))).toBe(renderedText(turn.output));
      }
      // The context was kept: the model server's own record of what it was sent shows each turn's
      // request carrying the earlier questions and answers, in order, then the new question.
      const { requests } = await runtime.get<{ requests: ModelRequest[] }>('/api/inspect/model-requests');
      const dialogue = (request: ModelRequest) => request.messages.filter((message) => message.role === 'user' || message.role === 'assistant');
      for (const [index, question] of t.questions.entries()) {
        const sent = requests.filter((request) => request.messages.at(-1)?.content === question);
        expect(sent).toHaveLength(1);
        const earlier = conversation.turns.slice(0, index).flatMap((turn) => [
          { role: 'user', content: turn.prompt },
          { role: 'assistant', content: turn.output },
        ]);
        expect(dialogue(sent[0] as ModelRequest)).toEqual([...earlier, { role: 'user', content: question }]);
      }
      // The billed prompt grows with it (about 120 tokens per earlier answer here).
      const promptTokens: number[] = [];
      for (const turn of conversation.turns) {
        const stored = await runtime.get<{ order: { usage?: { promptTokens: number } } }>(`/api/inspect/orders/${turn.outTradeNo}`);
        promptTokens.push(stored.order.usage?.promptTokens ?? 0);
      }
      expect(promptTokens[1]).toBeGreaterThan((promptTokens[0] ?? 0) + 60);
      expect(promptTokens[2]).toBeGreaterThan((promptTokens[1] ?? 0) + 60);

      // Copy the second answer: readable text with the label (after the privacy consent).
      await clickWhenStill(page.locator(inPage(CONVERSATION, 'copy-1')));
      const privacy = page.locator(inPage(CONVERSATION, 'privacy-sheet'));
      await privacy.waitFor({ timeout: STEP_TIMEOUT_MS });
      await privacy.locator('#agree-btn').click();
      await until('copied', () => copiedTexts(page), (texts) => texts.length === 1);
      expect(await copiedTexts(page)).toEqual([`${readableText((conversation.turns[1] as ServerTurn).output)}\n\n${t.copyLabel}`]);

      // Delete: asked first; then gone from the server, and the page goes back.
      await page.locator(inPage(CONVERSATION, 'delete')).click();
      const modal = page.locator('#phone .mp-modal');
      await modal.waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot(page, `conversation-live-${locale}-4-delete`);
      await modal.locator('[data-action="confirm"]').click();
      await until('back on the home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
      expect(await runtime.call<{ ok: boolean; error?: { code: string } }>('getConversation', { conversationId }, user)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      await callWx(page, 'navigateTo', { url: '/pages/history/history' });
      await until('no conversation left in history', () => page.locator(inPage(HISTORY, 'empty')).count(), (count) => count === 1);
    });
  }
});
