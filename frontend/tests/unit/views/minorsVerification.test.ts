// The registry list's 待核实 filter: offered as a control (待核实 / 已核实, never 已合并, which is never listed),
// sent to the API as verification_status, and preset when the to-do centre's item opens the page.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { ElSelect } from 'element-plus'
import { setLocale } from '@/i18n'
import { resetMinorPolicy } from '@/views/minors/useMinorPolicy'
import { pageOf } from '@/views/home/todo'
import MinorsView from '@/views/minors/MinorsView.vue'
import { mockFetch, type Recorded } from '../helpers'
import { maskedMinor, mountPage, page, POLICY } from './page'

const TREE = { status: 200, body: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township', is_active: true, children: [] } }

function listRequests(seen: Recorded[]): Recorded[] {
  return seen.filter((request) => request.method === 'GET' && request.path === '/api/v1/minors')
}

describe('the 待核实 filter of the registry list', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    resetMinorPolicy()
  })
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('offers 待核实 and 已核实 and asks the API for the provisional records', async () => {
    const seen = mockFetch({
      'GET /api/v1/minors': page([maskedMinor()]),
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(listRequests(seen).at(-1)?.search).not.toContain('verification_status')

    const select = wrapper.findComponent<typeof ElSelect>('[data-test=filter-verification]')
    expect(select.exists()).toBe(true)
    expect(select.props('placeholder')).toBe('核实状态')
    const labels = select.findAllComponents({ name: 'ElOption' }).map((option) => option.props('label'))
    expect(labels).toEqual(['待核实', '已核实'])

    select.vm.$emit('update:modelValue', 'provisional')
    await flushPromises()
    expect(listRequests(seen).at(-1)?.search).toContain('verification_status=provisional')
    wrapper.unmount()
  })

  it('the to-do item opens the list filtered to 待核实', async () => {
    const item = {
      kind: 'minors.provisional',
      title: '待核实的未成年人（待补录身份证号）',
      count: 2,
      object_ids: [],
      link: '/api/v1/minors?verification_status=provisional',
    }
    expect(pageOf(item)).toEqual({ name: 'minors', query: { verification_status: 'provisional' } })

    const seen = mockFetch({
      'GET /api/v1/minors': page([maskedMinor()]),
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorsView, '/minors?verification_status=provisional')
    await flushPromises()
    const lists = listRequests(seen)
    expect(lists.length).toBeGreaterThan(0)
    expect(lists.every((request) => request.search.includes('verification_status=provisional'))).toBe(true)
    expect(wrapper.findComponent<typeof ElSelect>('[data-test=filter-verification]').props('modelValue')).toBe('provisional')
    wrapper.unmount()
  })
})
