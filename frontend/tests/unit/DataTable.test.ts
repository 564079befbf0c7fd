import { beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { defineComponent, h, reactive } from 'vue'
import { ElTableColumn } from 'element-plus'
import DataTable from '@/components/DataTable.vue'
import { ApiError, toProblem } from '@/api/problem'
import type { Page, PageQuery } from '@/api/types'
import { setLocale } from '@/i18n'
import { appPlugins } from './mount'

interface Row {
  id: string
  name: string
}

function page(total: number, query: PageQuery): Page<Row> {
  const items = Array.from({ length: Math.max(0, Math.min(query.limit, total - query.offset)) }, (_, index) => ({
    id: String(query.offset + index),
    name: `单位${query.offset + index}`,
  }))
  return { items, total, limit: query.limit, offset: query.offset }
}

function mountTable(fetch: (query: PageQuery) => Promise<Page<Row>>, filters: object = {}) {
  const Host = defineComponent({
    setup() {
      return () =>
        h(DataTable<Row>, { fetch, filters, defaultSort: 'name' }, {
          default: () => [h(ElTableColumn, { prop: 'name', label: 'name', sortable: 'custom' })],
        })
    },
  })
  return mount(Host, { global: appPlugins(), attachTo: document.body })
}

describe('DataTable', () => {
  beforeAll(() => {
    setLocale('zh-CN')
  })

  it('asks the endpoint for the first page with the default sort and shows the total', async () => {
    const fetch = vi.fn((query: PageQuery) => Promise.resolve(page(45, query)))
    const wrapper = mountTable(fetch)
    await flushPromises()
    expect(fetch).toHaveBeenCalledWith({ limit: 20, offset: 0, sort: 'name' })
    expect(wrapper.text()).toContain('单位0')
    expect(wrapper.find('.el-pagination__total').text()).toContain('45')
  })

  it('starts over from the first page when the filters change', async () => {
    const fetch = vi.fn((query: PageQuery) => Promise.resolve(page(45, query)))
    const filters = reactive({ q: '' })
    mountTable(fetch, filters)
    await flushPromises()
    filters.q = '锦湖'
    await flushPromises()
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(fetch.mock.calls[1]?.[0]).toEqual({ limit: 20, offset: 0, sort: 'name' })
  })

  it('shows an empty state', async () => {
    const wrapper = mountTable(() => Promise.resolve({ items: [], total: 0, limit: 20, offset: 0 }))
    await flushPromises()
    expect(wrapper.text()).toContain('暂无数据')
  })

  it('shows the problem and retries on request', async () => {
    const fetch = vi
      .fn<(query: PageQuery) => Promise<Page<Row>>>()
      .mockRejectedValueOnce(new ApiError(toProblem(0, undefined)))
      .mockImplementation((query) => Promise.resolve(page(3, query)))
    const wrapper = mountTable(fetch)
    await flushPromises()
    expect(wrapper.find('[data-test=error-state]').exists()).toBe(true)
    expect(wrapper.text()).toContain('无法连接服务器')
    await wrapper.find('[data-test=error-state] button').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test=error-state]').exists()).toBe(false)
    expect(wrapper.text()).toContain('单位2')
  })
})
