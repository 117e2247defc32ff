import { callers } from './callers';
import type { FunctionHost } from './host';

// A 7-field cron such as "0 (every 2nd) minute …": simple every-N seconds or minutes, else once a minute.
export function cronIntervalMs(cron: string): number {
  const [second, minute] = cron.trim().split(/\s+/);
  const every = (field: string | undefined) => (field && /^\*\/\d+$/.test(field) ? Number(field.slice(2)) : null);
  const seconds = every(second);
  if (seconds) return seconds * 1000;
  const minutes = every(minute);
  if (minutes) return minutes * 60_000;
  return 60_000;
}

/** Runs each function's config.json timer triggers (SOURCE `wx_trigger`); returns a stop function. */
export function startTimers(host: FunctionHost, intervalOverrideMs?: number): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const name of host.names()) {
    for (const trigger of host.configs.get(name)?.triggers ?? []) {
      if (trigger.type !== 'timer') continue;
      const every = intervalOverrideMs ?? cronIntervalMs(trigger.config);
      timers.push(setInterval(() => void host.invoke(name, {}, callers.timer()).catch(() => undefined), every));
    }
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
