import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import SuppressedCell from '@/views/stats/SuppressedCell.vue'
import { previousTerm, recentTerms, termContaining } from '@/views/stats/terms'
import { setLocale } from '@/i18n'
import { appPlugins } from './mount'

describe('terms', () => {
  it('names the term of a day in Beijing time, as the API does', () => {
    expect(termContaining(new Date('2026-11-23T12:00:00+08:00')).code).toBe('2026-fall')
    expect(termContaining(new Date('2027-01-20T12:00:00+08:00')).code).toBe('2026-fall')
    expect(termContaining(new Date('2027-03-01T12:00:00+08:00')).code).toBe('2027-spring')
    // 31 August, 23:30 in Shanghai is already September there
    expect(termContaining(new Date('2027-08-31T16:30:00Z')).code).toBe('2027-fall')
  })

  it('lists the recent terms newest first', () => {
    const terms = recentTerms(3, new Date('2026-11-23T12:00:00+08:00')).map((term) => term.code)
    expect(terms).toEqual(['2026-fall', '2026-spring', '2025-fall'])
    expect(previousTerm({ code: '2027-spring', year: 2027, season: 'spring' }).code).toBe('2026-fall')
  })
})

describe('SuppressedCell', () => {
  it('shows a published count as it is and a suppressed one as a star', () => {
    setLocale('zh-CN')
    const shown = mount(SuppressedCell, { props: { count: { value: 12 }, threshold: 4 }, global: appPlugins() })
    expect(shown.text()).toBe('12')
    const zero = mount(SuppressedCell, { props: { count: { value: 0 }, threshold: 4 }, global: appPlugins() })
    expect(zero.text()).toBe('0')
    const hidden = mount(SuppressedCell, {
      props: { count: { value: null, suppressed: true }, threshold: 4 },
      global: appPlugins(),
    })
    expect(hidden.find('[data-test=suppressed-cell]').text()).toBe('*')
  })
})
