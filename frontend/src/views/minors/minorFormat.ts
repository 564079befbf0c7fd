import type { MinorRead } from '@/api/types'
import { useI18n } from 'vue-i18n'

/** `soon` when the server says the 18th birthday is within 90 days; `aged_out` for an active minor already 18.
 *  The server decides: the birth date itself is masked for most readers. */
export function eighteenMarker(minor: Pick<MinorRead, 'turns_18_soon' | 'aged_out_candidate'>): 'soon' | 'aged_out' | null {
  if (minor.aged_out_candidate) return 'aged_out'
  return minor.turns_18_soon ? 'soon' : null
}

/** The hint beside the marker: the day itself only where the birth date is shown in full. */
export function useEighteenHint(): (minor: Pick<MinorRead, 'turns_18_on' | 'aged_out_candidate'>) => string {
  const { t } = useI18n()
  return (minor) => {
    if (minor.aged_out_candidate) return t('minors.agedOutCandidate')
    return minor.turns_18_on ? t('minors.turns18SoonHint', { date: minor.turns_18_on }) : t('minors.turns18SoonNoDate')
  }
}
