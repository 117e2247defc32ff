/** One of `weighted`'s values, drawn with the given weights (the chaos runs' journeys and faults). */
export function pick<T>(weighted: [T, number][]): T {
  let roll = Math.random() * weighted.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll <= 0) return value;
  }
  return (weighted[weighted.length - 1] as [T, number])[0];
}
