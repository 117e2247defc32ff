/** A query that pages: the local emulators' stores answer at most 100 documents a call, as CloudBase does. */
export type PagedQuery = () => { skip(n: number): { limit(n: number): { get(): Promise<{ data: unknown[] }> } } };

/** Every document `query` matches, read 100 at a time. */
export async function allOf<T>(query: PagedQuery): Promise<T[]> {
  const out: T[] = [];
  for (let skip = 0; ; skip += 100) {
    const { data } = await query().skip(skip).limit(100).get();
    out.push(...(data as T[]));
    if (data.length < 100) return out;
  }
}
