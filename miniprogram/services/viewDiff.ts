/**
 * Only the fields of a view that differ from what the page shows. Every `setData` crosses WeChat's
 * bridge to the render layer with its whole argument (WeChat docs: 性能 > setData, "setData 的数据
 * 量"), and a page that follows an answer renders on every piece of it, while its status, question
 * and order facts rarely change. Values are plain data, compared by their JSON.
 */
export function changedData(shown: Readonly<Record<string, unknown>> | undefined, next: Readonly<Record<string, unknown>>, prefix = ''): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (shown === undefined || JSON.stringify(shown[key]) !== JSON.stringify(value)) changed[`${prefix}${key}`] = value;
  }
  return changed;
}
