import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../local/store/localDatabase';
import { breakerState, PROVIDER_HEALTH, StoreProviderHealth, type ProviderHealthDocument } from '../core/models/breaker';

/**
 * The breaker's shared state under concurrency, on the real embedded store: many function
 * instances recording at once lose no count, and after a cool-down exactly one of them probes.
 */
const SETTINGS = { failures: 3, windowMs: 60_000, coolDownMs: 30_000 };
let dir: string;
let store: LocalStore;
let clock = 1_000_000;
const now = () => clock;

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
  jest.spyOn(console, 'warn').mockImplementation((line: string) => void logged.push(line));
  dir = mkdtempSync(join(tmpdir(), 'breaker-'));
  store = new LocalStore(dir);
  clock = 1_000_000;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Ten warm instances, each with its own breaker object, sharing one store. */
const instances = () => Array.from({ length: 10 }, () => new StoreProviderHealth(store.database(), SETTINGS, now));

async function doc(provider: string): Promise<ProviderHealthDocument | undefined> {
  const { data } = await store.database().collection(PROVIDER_HEALTH).where({ _id: provider }).get();
  return data[0] as unknown as ProviderHealthDocument | undefined;
}

test('failures recorded at the same moment by many instances open the breaker once, with none lost', async () => {
  const [first, second] = instances();
  await Promise.all([first!.record('deepseek', false), second!.record('deepseek', false)]);
  expect((await doc('deepseek'))?.failures).toBe(2);
  expect(await first!.isOpen('deepseek')).toBe(false);
  await first!.record('deepseek', false);
  expect(breakerState((await doc('deepseek')) ?? null, clock)).toBe('open');
  expect(await second!.isOpen('deepseek')).toBe(true);
  expect(await first!.isOpen('openai')).toBe(false); // other providers are not affected
  expect(logged.filter((line) => line.includes('provider_breaker_opened'))).toHaveLength(1);
});

test('failures spread wider than the window do not add up', async () => {
  const [health] = instances();
  await health!.record('dashscope', false);
  await health!.record('dashscope', false);
  clock += SETTINGS.windowMs + 1;
  await health!.record('dashscope', false);
  expect(await health!.isOpen('dashscope')).toBe(false);
  expect((await doc('dashscope'))?.failures).toBe(1);
});

test('a success in between resets the streak', async () => {
  const [health] = instances();
  await health!.record('dashscope', false);
  await health!.record('dashscope', false);
  await health!.record('dashscope', true);
  await health!.record('dashscope', false);
  expect(await health!.isOpen('dashscope')).toBe(false);
});

test('after the cool-down exactly one of many instances gets to probe; its success closes the breaker', async () => {
  const all = instances();
  for (let i = 0; i < SETTINGS.failures; i += 1) await all[0]!.record('openai', false);
  expect(await all[1]!.isOpen('openai')).toBe(true);
  clock += SETTINGS.coolDownMs;
  const open = await Promise.all(all.map((h) => h.isOpen('openai')));
  expect(open.filter((isOpen) => !isOpen)).toHaveLength(1);
  const prober = all[open.indexOf(false)]!;
  await prober.record('openai', true);
  expect(await doc('openai')).toMatchObject({ failures: 0, openUntil: 0 });
  expect((await Promise.all(all.map((h) => h.isOpen('openai')))).every((isOpen) => !isOpen)).toBe(true);
});

test('a failed probe re-opens the breaker for another cool-down', async () => {
  const [health] = instances();
  for (let i = 0; i < SETTINGS.failures; i += 1) await health!.record('openai', false);
  clock += SETTINGS.coolDownMs;
  expect(await health!.isOpen('openai')).toBe(false);
  await health!.record('openai', false);
  expect(await health!.isOpen('openai')).toBe(true);
  expect((await doc('openai'))?.openUntil).toBe(clock + SETTINGS.coolDownMs);
});

test('a probe whose worker died frees itself after a cool-down', async () => {
  const [a, b] = instances();
  for (let i = 0; i < SETTINGS.failures; i += 1) await a!.record('openai', false);
  clock += SETTINGS.coolDownMs;
  expect(await a!.isOpen('openai')).toBe(false); // a probes, then disappears without recording
  expect(await b!.isOpen('openai')).toBe(true);
  clock += SETTINGS.coolDownMs;
  expect(await b!.isOpen('openai')).toBe(false);
});
