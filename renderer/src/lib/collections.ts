/** Replaces the item with the same id, or inserts it in `compare` order. Pure; returns a new array. */
export function upsertById<T extends { id: string }>(items: readonly T[], item: T, compare: (a: T, b: T) => number): T[] {
  const index = items.findIndex((x) => x.id === item.id);
  if (index >= 0) {
    const next = items.slice();
    next[index] = item;
    return next;
  }
  const next = items.slice();
  const at = next.findIndex((x) => compare(item, x) < 0);
  next.splice(at < 0 ? next.length : at, 0, item);
  return next;
}
