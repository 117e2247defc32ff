/** The first half of a UTF-16 surrogate pair: text must not be cut right after it. */
export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
