const BEIJING_OFFSET_MS = 8 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

function beijingParts(at: number) {
  const d = new Date(at + BEIJING_OFFSET_MS);
  return {
    date: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`,
    dashedDate: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`,
    colonTime: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

/** `yyyyMMddHHmmss` in Beijing time (cloud pay / API v2 `time_expire`). */
export function formatCompactBeijingTime(at: number): string {
  const p = beijingParts(at);
  return `${p.date}${p.time}`;
}

/** RFC 3339 in Beijing time, e.g. `2026-11-24T10:00:00+08:00` (API v3 `time_expire`). */
export function formatRfc3339Beijing(at: number): string {
  const p = beijingParts(at);
  return `${p.dashedDate}T${p.colonTime}+08:00`;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (subscribe message `time` keywords). */
export function formatBeijingDateTime(at: number): string {
  const p = beijingParts(at);
  return `${p.dashedDate} ${p.colonTime}`;
}
