import type { MinorRead } from '@/api/types'
import { todayInShanghai } from '@/lib/idNumber'

/** Days before the 18th birthday from which the list and the detail page warn. */
export const TURNS_18_SOON_DAYS = 90

/** `soon` when the 18th birthday is within TURNS_18_SOON_DAYS; `aged_out` for an active minor already 18. */
export function eighteenMarker(minor: Pick<MinorRead, 'turns_18_on' | 'aged_out_candidate'>, today = todayInShanghai()): 'soon' | 'aged_out' | null {
  if (minor.aged_out_candidate) return 'aged_out'
  const days = (Date.parse(minor.turns_18_on) - Date.parse(today)) / 86_400_000
  return days >= 0 && days <= TURNS_18_SOON_DAYS ? 'soon' : null
}

