/**
 * Structured log lines. Callers pass identifiers (order ids, user hashes, codes), never a raw
 * openid, a prompt or an output: those must not reach logs.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, at: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else if (process.env.QUIET_LOGS !== '1') console.log(line);
}
