/**
 * Drop the filters a person left empty: the API refuses unknown parameters and an empty string is not "any",
 * so only filters with a value are sent.
 */
export function compactQuery<Q extends object>(query: Q): Partial<Q> {
  const result: Partial<Q> = {}
  for (const key of Object.keys(query) as (keyof Q)[]) {
    const value = query[key]
    if (value === undefined || value === null) continue
    if (typeof value === 'string' && value.trim() === '') continue
    result[key] = typeof value === 'string' ? (value.trim() as Q[keyof Q]) : value
  }
  return result
}
