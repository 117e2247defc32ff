/**
 * A question handed from one page to the home page ("ask again" after a refund or a refusal).
 * Modules are shared by every page of the mini program, so a module variable is enough.
 */
export interface Draft {
  prompt: string;
  tier: string;
}

let draft: Draft | null = null;

export function leaveDraft(next: Draft): void {
  draft = next;
}

/** The draft, once: the home page takes it when it shows. */
export function takeDraft(): Draft | null {
  const taken = draft;
  draft = null;
  return taken;
}
