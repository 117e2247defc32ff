/** Cloud pay speaks camelCase, but snake_case has been seen too: read either. */
export function readField(record: Record<string, unknown>, camel: string): unknown {
  if (record[camel] !== undefined) return record[camel];
  return record[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}
