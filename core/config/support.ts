/**
 * Where users reach a person (the UI's 「联系客服」 and the complaint channel beside 「举报/反馈」):
 * `SUPPORT_CONTACT`, free text such as an e-mail address or a WeChat service account's name, shown
 * as it is. Unset: null, and the page shows only the in-app report.
 */
export interface SupportSettings {
  contact: string | null;
}

/** Longest contact shown; a longer value is a configuration mistake. */
export const MAX_SUPPORT_CONTACT_CHARS = 100;

export function readSupport(env: NodeJS.ProcessEnv = process.env): SupportSettings {
  const contact = env.SUPPORT_CONTACT?.trim() ?? '';
  if ([...contact].length > MAX_SUPPORT_CONTACT_CHARS) throw new Error(`configuration: SUPPORT_CONTACT must be at most ${MAX_SUPPORT_CONTACT_CHARS} characters`);
  return { contact: contact === '' ? null : contact };
}
