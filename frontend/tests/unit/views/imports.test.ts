// The import page: the forms to pick, a lead's past imports, the report with its bad cells highlighted and the
// reason on hover, and the upload's multipart body.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { uploadForm } from '@/api/imports'
import type { ImportJobRead } from '@/api/types'
import { setLocale } from '@/i18n'
import { useReferenceStore } from '@/stores/reference'
import ImportReportTable from '@/views/imports/ImportReportTable.vue'
import ImportView from '@/views/imports/ImportView.vue'
import { appPlugins } from '../mount'
import { mockFetch } from '../helpers'
import { mountPage, page, REFERENCE } from './page'

const label = (code: string, zh: string) => ({ code, zh, en: code })
const IMPORT_REFERENCE = {
  ...REFERENCE,
  import_kinds: [
    label('screening_minors', '排查发现的未成年人'),
    label('pharmacy_checks', '右美沙芬处方药品使用情况排查'),
    label('venue_checks', '场所隐患排查'),
  ],
  import_modes: [label('dry_run', '仅检查'), label('commit', '检查并导入')],
  import_statuses: [label('finished', '已完成'), label('checking', '检查中')],
  import_row_outcomes: [label('ok', '可导入'), label('duplicate', '重复'), label('invalid', '有错误')],
}

function job(overrides: Partial<ImportJobRead> = {}): ImportJobRead {
  return {
    id: '6f1d0c55-0000-4000-8000-000000000001',
    kind: 'screening_minors',
    mode: 'dry_run',
    all_or_nothing: false,
    status: 'finished',
    file_name: '排查表.xlsx',
    file_hash: 'ab'.repeat(32),
    file_size: 10240,
    sheet_name: '排查表',
    unit_id: '00000000-0000-0000-0000-0000000000a1',
    created_by: '周社工',
    created_at: '2026-12-02T02:00:00Z',
    started_at: '2026-12-02T02:00:01Z',
    finished_at: '2026-12-02T02:00:02Z',
    rows_total: 3,
    rows_done: 3,
    rows_ok: 1,
    rows_duplicate: 1,
    rows_invalid: 1,
    rows_applied: 0,
    committed: false,
    error: null,
    report: {
      notes: ['已读取工作表「排查表」。'],
      columns: ['姓名', '身份证号', '性别'],
      rows: [
        {
          row: 3,
          outcome: 'invalid',
          action: null,
          problems: [{ column: '身份证号', code: 'id_number.checksum', message: '校验码不正确' }],
        },
        { row: 4, outcome: 'duplicate', action: '与本文件第 2 行重复，将跳过', problems: [] },
      ],
    },
    ...overrides,
  } as ImportJobRead
}

beforeEach(() => setLocale('zh-CN'))
afterEach(() => vi.unstubAllGlobals())

describe('the import report', () => {
  it('highlights the bad cell and gives the reason on hover', async () => {
    const { plugins } = appPlugins()
    const reference = useReferenceStore()
    reference.enums = IMPORT_REFERENCE
    reference.loaded = true
    const wrapper = mount(ImportReportTable, { props: { job: job() }, global: { plugins }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.find('[data-test="import-notes"]').text()).toBe('已读取工作表「排查表」。')
    const bad = wrapper.findAll('[data-test="bad-cell"]')
    expect(bad).toHaveLength(1)
    const [cell] = bad
    expect(cell?.text()).toBe('校验码不正确')
    const headers = wrapper.findAll('th').map((th) => th.text())
    expect(headers).toEqual(['行号', '结果', '姓名', '身份证号', '性别', '处理方式'])
    // the bad cell sits under 身份证号: third data column after 行号 and 结果
    const firstRow = wrapper.findAll('tbody tr')[0]?.findAll('td') ?? []
    expect(firstRow[3]?.find('[data-test="bad-cell"]').exists()).toBe(true)
    expect(firstRow[2]?.find('[data-test="bad-cell"]').exists()).toBe(false)
    await cell?.trigger('mouseenter')
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(document.body.textContent).toContain('校验码不正确')
    expect(wrapper.text()).toContain('与本文件第 2 行重复，将跳过')
    expect(wrapper.text()).toContain('有错误')
    wrapper.unmount()
  })

  it('says so when every row is valid', async () => {
    const { plugins } = appPlugins()
    const wrapper = mount(ImportReportTable, {
      props: { job: job({ report: { notes: [], columns: ['姓名'], rows: [] } }) },
      global: { plugins: [ElementPlus, ...plugins.slice(1)] },
    })
    expect(wrapper.text()).toContain('所有行均可导入')
  })
})

describe('the import page', () => {
  it('offers the three forms and lists past imports to a lead', async () => {
    const seen = mockFetch({ 'GET /api/v1/imports': page([job({ mode: 'commit', committed: true, rows_applied: 2 })]) })
    const wrapper = await mountPage(ImportView, '/imports', { role: 'supervisor', scopes: ['minors:register'] })
    useReferenceStore().enums = IMPORT_REFERENCE
    await flushPromises()
    const kinds = wrapper.find('[data-test="import-kind"]').text()
    expect(kinds).toContain('排查发现的未成年人')
    expect(kinds).toContain('右美沙芬处方药品使用情况排查')
    expect(kinds).toContain('场所隐患排查')
    expect(wrapper.find('[data-test="import-commit"]').attributes('disabled')).toBeDefined()
    expect(wrapper.find('[data-test="import-check"]').attributes('disabled')).toBeDefined()
    const history = wrapper.find('[data-test="import-history"]').text()
    expect(history).toContain('周社工')
    expect(history).toContain('已导入 2')
    expect(seen.map((request) => `${request.method} ${request.path}`)).toContain('GET /api/v1/imports')
    wrapper.unmount()
  })

  it('shows a caseworker no history', async () => {
    const seen = mockFetch({})
    const wrapper = await mountPage(ImportView, '/imports', { scopes: ['minors:register'] })
    await flushPromises()
    expect(wrapper.find('[data-test="import-history"]').exists()).toBe(false)
    expect(seen).toHaveLength(0)
    wrapper.unmount()
  })
})

describe('the upload', () => {
  it('sends the kind, the mode, all-or-nothing and the file as multipart fields', async () => {
    const form = uploadForm(new Blob(['姓名\n']), '排查.csv', { kind: 'venue_checks', commit: true, allOrNothing: true })
    expect(form.get('kind')).toBe('venue_checks')
    expect(form.get('mode')).toBe('commit')
    expect(form.get('all_or_nothing')).toBe('true')
    expect((form.get('file') as File).name).toBe('排查.csv')
    const dry = uploadForm(new Blob(['x']), 'a.xlsx', { kind: 'screening_minors', commit: false, allOrNothing: false })
    expect(dry.get('mode')).toBe('dry_run')
    expect(dry.get('all_or_nothing')).toBe('false')
  })
})
