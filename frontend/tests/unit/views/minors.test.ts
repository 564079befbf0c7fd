// The registry's pages in their states: loading, empty, an error said in Chinese, and masked values shown as
// masked (the page shows what the API answers and never guesses).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import { resetMinorPolicy } from '@/views/minors/useMinorPolicy'
import MinorDetailView from '@/views/minors/MinorDetailView.vue'
import MinorFormView from '@/views/minors/MinorFormView.vue'
import MinorsView from '@/views/minors/MinorsView.vue'
import { mockFetch, problem, type Recorded } from '../helpers'
import { errorState, failures, FULL_ID_NUMBER, maskedMinor, mountPage, never, page, POLICY } from './page'

const MINOR = maskedMinor()
const TREE = { status: 200, body: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township', is_active: true, children: [] } }

function text(): string {
  return document.body.textContent ?? ''
}

// A person the API shows masked: the name and the number as the privacy policy cut them. The answers hold
// nothing more, and the page must show nothing more (no 18-character number, nothing marked as revealed).
const MASKED = maskedMinor({ name: '张*', id_number: '330381********7797' })

function revealRequests(seen: Recorded[]): Recorded[] {
  return seen.filter((request) => request.path.endsWith('/reveal'))
}

const FAILURES = failures('minors:read')

describe('the registry pages', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    resetMinorPolicy()
  })
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('list: loading shows the mask and no "no data"', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(wrapper.find('.el-loading-mask').exists()).toBe(true)
    expect(wrapper.find('[data-test=table-empty]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('list: empty says so', async () => {
    mockFetch({ 'GET /api/v1/minors': page([]), 'GET /api/v1/minors/policy': { status: 200, body: POLICY }, 'GET /api/v1/units/tree': TREE })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(wrapper.find('[data-test=table-empty]').text()).toContain('暂无数据')
    wrapper.unmount()
  })

  it('list: a failure is said in Chinese, with a retry', async () => {
    mockFetch({
      'GET /api/v1/minors': problem(404, 'not-found', 'No such minor.'),
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    const error = wrapper.find('[data-test=error-state]')
    expect(error.text()).toContain('数据加载失败')
    expect(error.text()).toContain('记录不存在或不在您的辖区内')
    expect(error.text()).not.toContain('No such minor')
    expect(error.find('button').text()).toBe('重试')
    wrapper.unmount()
  })

  it('list: names and numbers as the API masked them, with the risk in its colours', async () => {
    mockFetch({ 'GET /api/v1/minors': page([MINOR]), 'GET /api/v1/minors/policy': { status: 200, body: POLICY }, 'GET /api/v1/units/tree': TREE })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(wrapper.find('[data-test=minor-name]').text()).toBe('张**')
    expect(wrapper.find('[data-test=minor-id-number]').text()).toBe('330381********1231')
    // (tests stub the tag's transition, which carries the attribute)
    expect(wrapper.find('[data-risk-level=high] .el-tag').classes()).toContain('el-tag--danger')
    expect(wrapper.find('[data-category=nps_abuse]').text()).toBe('滥用新型成瘾物质')
    wrapper.unmount()
  })

  it('record: loading, then a record out of reach is said in Chinese', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: problem(404, 'not-found', 'No such minor.'),
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
    })
    const missing = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    expect(missing.find('[data-test=error-state]').text()).toContain('记录不存在或不在您的辖区内')
    expect(text()).not.toContain('No such minor')
    missing.unmount()
  })

  it('record: each masked field is marked 已脱敏, a hidden one 无权查看, and the reveal is offered', async () => {
    mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: {
        status: 200,
        body: maskedMinor({ substances: null, hidden_fields: ['sensitive_risk_categories', 'substances'], risk_categories: ['left_behind'] }),
      },
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
    })
    const wrapper = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    const identity = wrapper.find('[data-test=identity-section]')
    expect(identity.find('[data-field=name]').text()).toBe('张**')
    expect(identity.find('[data-field=id_number]').text()).toBe('330381********1231')
    expect(identity.text().match(/已脱敏/g)?.length).toBeGreaterThanOrEqual(4)
    expect(wrapper.find('[data-test=minor-heading-name]').text()).toBe('张**')
    // no drug-use section for a reader it is hidden from
    expect(wrapper.find('[data-test=sensitive-section]').exists()).toBe(false)
    expect(wrapper.find('[data-test=reveal-open]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('edit: masked identity fields start empty, their stars only as a hint, never sent back', async () => {
    const seen = mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: { status: 200, body: MINOR },
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorFormView, `/minors/${MINOR.id}/edit`)
    await flushPromises()
    const name = wrapper.find<HTMLInputElement>('input[name=name]')
    expect(name.element.value).toBe('')
    expect(name.attributes('placeholder')).toBe('留空则不修改（当前：张**）')
    expect(wrapper.find('[data-test=guardians]').text()).toContain('王**')
    expect(seen.every((request) => request.method === 'GET')).toBe(true)
    wrapper.unmount()
  })

  it('edit: a record that cannot be loaded is said in Chinese; the form waits while it loads', async () => {
    vi.stubGlobal('fetch', vi.fn(never))
    const loading = await mountPage(MinorFormView, `/minors/${MINOR.id}/edit`)
    await flushPromises()
    expect(loading.find('.el-loading-mask').exists()).toBe(true)
    loading.unmount()
    vi.unstubAllGlobals()

    mockFetch({ 'GET /api/v1/minors/policy': { status: 200, body: POLICY }, 'GET /api/v1/units/tree': TREE })
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    const failed = await mountPage(MinorFormView, `/minors/${MINOR.id}/edit`)
    await flushPromises()
    expect(failed.find('[data-test=error-state]').text()).toContain('无法连接服务器，请检查网络后重试')
    failed.unmount()
  })

  it.each(FAILURES)('list: a $status answer is said in Chinese, with no English from the server', async ({ answer, message }) => {
    mockFetch({ 'GET /api/v1/minors': answer, 'GET /api/v1/minors/policy': { status: 200, body: POLICY }, 'GET /api/v1/units/tree': TREE })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '数据加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=table-empty]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('list: a masked person shows only as masked, and nothing is revealed', async () => {
    const seen = mockFetch({
      'GET /api/v1/minors': page([MASKED]),
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorsView, '/minors')
    await flushPromises()
    expect(wrapper.find('[data-test=minor-name]').text()).toBe('张*')
    expect(wrapper.find('[data-test=minor-id-number]').text()).toBe('330381********7797')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    expect(revealRequests(seen)).toEqual([])
    wrapper.unmount()
  })

  it.each(FAILURES)('record: a $status answer is said in Chinese', async ({ answer, message }) => {
    mockFetch({ [`GET /api/v1/minors/${MINOR.id}`]: answer, 'GET /api/v1/minors/policy': { status: 200, body: POLICY } })
    const wrapper = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=identity-section]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('record: masked name and number marked 已脱敏, the reveal offered but nothing revealed', async () => {
    const seen = mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: { status: 200, body: MASKED },
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
    })
    const wrapper = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    const identity = wrapper.find('[data-test=identity-section]')
    for (const [field, shown] of [
      ['name', '张*'],
      ['id_number', '330381********7797'],
    ]) {
      const value = identity.find(`[data-field=${field}]`)
      expect(value.text()).toBe(shown)
      expect(value.classes()).not.toContain('revealed')
      expect(value.element.parentElement?.querySelector('.el-tag')?.textContent?.trim()).toBe('已脱敏')
    }
    expect(wrapper.find('[data-test=minor-heading-name]').text()).toBe('张*')
    expect(wrapper.find('[data-test=reveal-open]').text()).toBe('查看完整信息')
    expect(wrapper.find('[data-test=reveal-logged]').exists()).toBe(false)
    expect(text()).not.toContain('已查看')
    expect(text()).not.toMatch(FULL_ID_NUMBER)
    expect(revealRequests(seen)).toEqual([])
    wrapper.unmount()
  })

  it('record: fields with nothing in them say 无, with no 已脱敏 on an empty masked field', async () => {
    mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: {
        status: 200,
        body: maskedMinor({ phone: null, guardians: [], school: null, grade: null, risk_categories: [], substances: [] }),
      },
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
    })
    const wrapper = await mountPage(MinorDetailView, `/minors/${MINOR.id}`)
    await flushPromises()
    const identity = wrapper.find('[data-test=identity-section]')
    expect(identity.find('[data-field=phone]').text()).toBe('无')
    expect(identity.find('[data-field=phone]').element.parentElement?.querySelector('.el-tag')).toBeNull()
    expect(identity.find('[data-field=guardians]').text()).toBe('无')
    expect(wrapper.find('[data-test=sensitive-section]').text()).toContain('无')
    wrapper.unmount()
  })

  it.each(FAILURES)('edit: a $status answer is said in Chinese, and no form is offered', async ({ answer, message }) => {
    mockFetch({
      [`GET /api/v1/minors/${MINOR.id}`]: answer,
      'GET /api/v1/minors/policy': { status: 200, body: POLICY },
      'GET /api/v1/units/tree': TREE,
    })
    const wrapper = await mountPage(MinorFormView, `/minors/${MINOR.id}/edit`)
    await flushPromises()
    expect(errorState(wrapper)).toEqual({ title: '加载失败', message, button: '重试' })
    expect(wrapper.find('[data-test=minor-form]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('register: an ID number with a wrong check digit is refused in Chinese and nothing is sent', async () => {
    const seen = mockFetch({ 'GET /api/v1/minors/policy': { status: 200, body: POLICY }, 'GET /api/v1/units/tree': TREE })
    const wrapper = await mountPage(MinorFormView, '/minors/new')
    await flushPromises()
    await wrapper.find('input[name=name]').setValue('张三')
    const idNumber = wrapper.find('input[name=id_number]')
    const item = () => idNumber.element.closest('.el-form-item') as HTMLElement
    // no number at all: the field says so itself
    await wrapper.find('[data-test=minor-form]').trigger('submit')
    await vi.waitFor(() => expect(item().querySelector('.el-form-item__error')?.textContent?.trim()).toBe('请输入证件号码'))

    // 330381 2012-06-04 779: the check digit is 8
    await idNumber.setValue('330381201206047797')
    await idNumber.trigger('blur')
    await flushPromises()
    expect(wrapper.find('[data-test=id-problem]').text()).toBe('校验位不符，请核对号码')
    expect(wrapper.find('[data-test=id-valid]').exists()).toBe(false)

    await wrapper.find('[data-test=minor-form]').trigger('submit')
    await flushPromises()
    // the field is marked in red
    await vi.waitFor(() => expect(item().classList).toContain('is-error'))
    // past Element Plus's 100 ms before it shows a field's message: said once, not twice
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(item().textContent?.match(/校验位不符，请核对号码/g)).toEqual(['校验位不符，请核对号码'])
    expect(seen.filter((request) => request.method !== 'GET')).toEqual([])

    // the same number with its right check digit is taken
    await idNumber.setValue('330381201206047798')
    await flushPromises()
    expect(wrapper.find('[data-test=id-valid]').text()).toBe('号码有效')
    expect(wrapper.find('[data-test=id-problem]').exists()).toBe(false)
    wrapper.unmount()
  })
})
