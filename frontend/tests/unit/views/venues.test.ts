// Venues and pharmacy checks: the lists, a venue's history of checks, and the one export button.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { PharmacyCheckRead, VenueDetail, VenueRead } from '@/api/types'
import ExportButton from '@/components/ExportButton.vue'
import { setLocale } from '@/i18n'
import PharmacyChecksView from '@/views/venues/PharmacyChecksView.vue'
import VenuesView from '@/views/venues/VenuesView.vue'
import VenueView from '@/views/venues/VenueView.vue'
import { mockFetch } from '../helpers'
import { appPlugins } from '../mount'
import { mountPage, page } from './page'

const saved: string[] = []
vi.mock('@/api/files', () => ({ saveBlob: (_blob: Blob, name: string) => saved.push(name) }))

const UNIT = { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' as const }
const VENUE_ID = '0c5c3f4e-0000-4000-8000-0000000000v1'.replace('v', 'a')

function venue(overrides: Partial<VenueRead> = {}): VenueRead {
  return {
    id: VENUE_ID,
    name: '星光KTV',
    kind: 'ktv',
    address: '锦湖街道锦园路18号',
    unit: UNIT,
    near_school: false,
    school: null,
    status: 'rectifying',
    note: null,
    last_checked_on: '2026-11-20',
    follow_up_on: '2026-11-30',
    follow_up_due: true,
    check_count: 1,
    version: 2,
    created_at: '2026-11-01T02:00:00Z',
    updated_at: '2026-11-20T02:00:00Z',
    ...overrides,
  }
}

const VENUE_SCOPES = ['venues:read', 'venues:write', 'pharmacy_checks:read', 'pharmacy_checks:write'] as const

describe('venues', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    saved.length = 0
  })
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('lists venues with their follow-up date and offers the export and the add button', async () => {
    mockFetch({ 'GET /api/v1/venues': page([venue()]) })
    const wrapper = await mountPage(VenuesView, '/venues', { scopes: [...VENUE_SCOPES] })
    await flushPromises()
    expect(wrapper.find('h1').text()).toBe('重点场所排查')
    expect(wrapper.find('[data-test=venue-link]').text()).toBe('星光KTV')
    expect(wrapper.text()).toContain('2026-11-30')
    expect(wrapper.find('[data-test=export-button]').exists()).toBe(true)
    expect(wrapper.find('[data-test=venue-add]').text()).toBe('新增场所')
  })

  it('a reader without venues:write sees no add button', async () => {
    mockFetch({ 'GET /api/v1/venues': page([]) })
    const wrapper = await mountPage(VenuesView, '/venues', { scopes: ['venues:read'] })
    await flushPromises()
    expect(wrapper.find('[data-test=venue-add]').exists()).toBe(false)
  })

  it('shows a venue with its history of checks, newest first', async () => {
    const detail: VenueDetail = {
      ...venue(),
      checks: [
        {
          id: 'c2',
          venue_id: VENUE_ID,
          checked_on: '2026-11-20',
          findings: '包厢内发现疑似笑气气罐',
          hazard_found: true,
          measures: '责令整改',
          follow_up_on: '2026-11-30',
          checked_by_unit: UNIT,
          checked_by_name: '周社工',
          recorded_at: '2026-11-20T03:00:00Z',
          evidence: [],
        },
      ],
    }
    mockFetch({ [`GET /api/v1/venues/${VENUE_ID}`]: { status: 200, body: detail } })
    const wrapper = await mountPage(VenueView, `/venues/${VENUE_ID}`, { scopes: [...VENUE_SCOPES] })
    await flushPromises()
    expect(wrapper.find('[data-test=venue-title]').text()).toBe('星光KTV')
    const history = wrapper.find('[data-test=venue-checks]').text()
    expect(history).toContain('包厢内发现疑似笑气气罐')
    expect(history).toContain('发现隐患')
    expect(history).toContain('周社工')
    expect(wrapper.find('[data-test=record-check]').text()).toBe('记录排查')
  })

  it('lists pharmacy checks with a minor buyer marked', async () => {
    const check: PharmacyCheckRead = {
      id: 'p1',
      pharmacy_name: '康宁大药房',
      licence_number: null,
      address: null,
      checked_on: '2026-11-20',
      buyer_age_band: '14_15',
      minor_buyer: true,
      quantity: 2,
      prescription_seen: false,
      notes: '未查验处方',
      unit: UNIT,
      checked_by_name: '周社工',
      version: 1,
      created_at: '2026-11-20T02:00:00Z',
      updated_at: '2026-11-20T02:00:00Z',
    }
    mockFetch({ 'GET /api/v1/pharmacy-checks': page([check]) })
    const wrapper = await mountPage(PharmacyChecksView, '/pharmacy-checks', { scopes: [...VENUE_SCOPES] })
    await flushPromises()
    expect(wrapper.text()).toContain('康宁大药房')
    expect(wrapper.find('.el-tag--danger').exists()).toBe(true)
    expect(wrapper.find('[data-test=export-button]').exists()).toBe(true)
  })
})

describe('ExportButton', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    saved.length = 0
  })

  it('asks the list for the chosen format and saves the file under the list name', async () => {
    const download = vi.fn(async () => new Blob(['x']))
    const wrapper = mount(ExportButton, { props: { download, filename: '重点场所排查' }, global: appPlugins(), attachTo: document.body })
    expect(wrapper.text()).toContain('导出')
    await wrapper.find('button').trigger('click')
    await flushPromises()
    const item = document.body.querySelector('[data-test=export-csv]') as HTMLElement
    expect(item.textContent).toContain('CSV')
    item.click()
    await flushPromises()
    expect(download).toHaveBeenCalledWith('csv')
    expect(saved).toEqual(['重点场所排查.csv'])
    wrapper.unmount()
  })

  it('saves nothing when the server refuses', async () => {
    const download = vi.fn(async () => {
      throw new Error('refused')
    })
    const wrapper = mount(ExportButton, { props: { download, filename: '名单' }, global: appPlugins(), attachTo: document.body })
    await wrapper.find('button').trigger('click')
    await flushPromises()
    ;(document.body.querySelector('[data-test=export-xlsx]') as HTMLElement).click()
    await flushPromises()
    expect(download).toHaveBeenCalledWith('xlsx')
    expect(saved).toEqual([])
    wrapper.unmount()
  })
})
