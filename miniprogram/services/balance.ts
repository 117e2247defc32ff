/**
 * The token balance after a top-up. WeChat credits the tokens when the payment is made (the server's
 * getBalance reads WeChat's query_user_balance), but the sheet's success is only what the user did:
 * the page reads the balance a few times, briefly, until it shows the new tokens.
 */

/** Pauses before each read, in ms: about eight seconds in all. */
const DEFAULT_SCHEDULE: readonly number[] = [0, 500, 1000, 1500, 2000, 3000];

let schedule: readonly number[] = DEFAULT_SCHEDULE;

/** Tests run the same reads without the pauses; `null` goes back to the default. */
export function setBalancePollSchedule(next: readonly number[] | null): void {
  schedule = next ?? DEFAULT_SCHEDULE;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads the balance until it reaches `target`; resolves with `{ balance, credited }`, `balance`
 * being the last one read (null when no read succeeded).
 */
export async function awaitCredit(read: () => Promise<number | null>, target: number): Promise<{ balance: number | null; credited: boolean }> {
  let last: number | null = null;
  for (const ms of schedule) {
    if (ms > 0) await pause(ms);
    const balance = await read();
    if (balance !== null) last = balance;
    if (last !== null && last >= target) return { balance: last, credited: true };
  }
  return { balance: last, credited: false };
}
