import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setLocale } from '@/i18n'
import { useReferenceStore } from '@/stores/reference'
import MinorFormView from '@/views/minors/MinorFormView.vue'
import { mockFetch } from './helpers'
import { appPlugins } from './mount'

const EXISTING = '0b5c3f4e-0000-4000-8000-000000000002'
const CHECK = 'POST /api/v1/minors/duplicate-check'
const REGISTER = 'POST /api/v1/minors'

function field(selector: string): HTMLElement {
  const found = document.body.querySelector<HTMLElement>(selector)
  if (!found) throw new Error(`no ${selector}`)
  return found
}

function type(name: string, text: string): void {
  const input = field(`input[name=${name}]`) as HTMLInputElement
  input.value = text
  input.dispatchEvent(new Event('input'))
}

async function openForm() {
  const plugins = appPlugins()
  useReferenceStore().enums = {
    genders: [
      { code: 'male', zh: '男', en: 'Male' },
      { code: 'female', zh: '女', en: 'Female' },
    ],
    birth_date_precisions: [
      { code: 'day', zh: '准确日期', en: 'Exact date' },
      { code: 'month', zh: '仅知年月', en: 'Year and month' },
      { code: 'year', zh: '仅知年份', en: 'Year only' },
    ],
    found_by: [{ code: 'screening', zh: '排查', en: 'Screening' }],
  }
  useReferenceStore().loaded = true
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/minors/new', name: 'minor-new', component: MinorFormView },
      { path: '/minors/:id', name: 'minor', component: { template: '<div />' } },
      { path: '/minors', name: 'minors', component: { template: '<div />' } },
    ],
  })
  await router.push('/minors/new')
  const wrapper = mount(MinorFormView, { global: { plugins: [...plugins.plugins, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

describe('registering without an ID number (身份证号未知（待核实）)', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('hides the ID number and asks for an approximate birth date and how the minor was found', async () => {
    mockFetch({})
    const { wrapper } = await openForm()
    expect(document.body.querySelector('input[name=id_number]')).not.toBeNull()
    expect(document.body.querySelector('[data-test=minor-found-by]')).toBeNull()

    field('[data-test=provisional-switch]').click()
    await flushPromises()
    expect(document.body.querySelector('input[name=id_number]')).toBeNull()
    expect(document.body.querySelector('[data-test=minor-found-by]')).not.toBeNull()
    expect(document.body.querySelector('[data-test=minor-birth-precision]')?.textContent).toContain('仅知年份')
    expect(field('[data-test=provisional-hint]').textContent).toContain('补录身份证号')
    wrapper.unmount()
  })

  it('shows possible duplicates, masked, before registering, and registers once the worker says they differ', async () => {
    const seen = mockFetch({
      [CHECK]: {
        status: 200,
        body: {
          in_scope: [
            {
              id: EXISTING,
              name: '赵**',
              gender: 'male',
              age: 15,
              managing_unit: { id: EXISTING, name: '锦湖街道', kind: 'township' },
              verification_status: 'provisional',
            },
          ],
          managed_elsewhere: true,
        },
      },
      [REGISTER]: { status: 201, body: { id: 'new-id', version: 1 } },
    })
    const { wrapper, router } = await openForm()
    field('[data-test=provisional-switch]').click()
    await flushPromises()
    type('name', '赵小明')
    // The form's own state stands in for the pickers (Element Plus renders them in popups).
    const form = (wrapper.vm as unknown as { $: { setupState: { form: Record<string, unknown> } } }).$.setupState.form
    form.gender = 'male'
    form.birth_date = '2011-03-01'
    form.birth_date_precision = 'month'
    form.found_by = 'screening'
    await flushPromises()

    field('[data-test=minor-save]').click()
    await vi.waitFor(() => expect(document.body.querySelector('[data-test=duplicates-list]')).not.toBeNull())
    const check = seen.find((request) => request.path === '/api/v1/minors/duplicate-check')
    expect(JSON.parse(check!.body)).toEqual({ name: '赵小明', birth_date: '2011-03-01', birth_date_precision: 'month' })
    expect(check!.search).toBe('')
    expect(field('[data-test=duplicates-list]').textContent).toContain('赵**')
    expect(field('[data-test=duplicates-list]').textContent).toContain('待核实')
    expect(field('[data-test=duplicates-elsewhere]').textContent).toContain('另有其他单位管理的记录')
    expect(seen.some((request) => request.method === 'POST' && request.path === '/api/v1/minors')).toBe(false)

    field('[data-test=duplicates-confirm]').click()
    await vi.waitFor(() => expect(seen.some((request) => request.path === '/api/v1/minors')).toBe(true))
    const body = JSON.parse(seen.find((request) => request.path === '/api/v1/minors')!.body)
    expect(body).toMatchObject({
      provisional: true,
      name: '赵小明',
      gender: 'male',
      birth_date: '2011-03-01',
      birth_date_precision: 'month',
      found_by: 'screening',
    })
    expect(body.id_number).toBeUndefined()
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('minor'))
    wrapper.unmount()
  })
})
