import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import VerifyDialog from '@/views/minors/VerifyDialog.vue'
import { mockFetch } from './helpers'
import { appPlugins } from './mount'

const MINOR = '0b5c3f4e-0000-4000-8000-000000000001'
const EXISTING = '0b5c3f4e-0000-4000-8000-000000000002'
const VERIFY = `POST /api/v1/minors/${MINOR}/verify`
const MERGE = `POST /api/v1/minors/${MINOR}/merge`
// 330381 + 2011-03-09 + 017 + its check character 9 (a male: odd sequence)
const NUMBER = '330381201103090179'

function typeNumber(text: string): void {
  const input = document.body.querySelector<HTMLInputElement>('input[name=verify_id_number]')
  if (!input) throw new Error('no number field')
  input.value = text
  input.dispatchEvent(new Event('input'))
}

function click(test: string): void {
  const button = document.body.querySelector<HTMLButtonElement>(`[data-test=${test}]`)
  if (!button) throw new Error(`no ${test}`)
  button.click()
}

function open() {
  return mount(VerifyDialog, {
    props: { modelValue: true, minor: { id: MINOR, version: 1 } },
    global: { ...appPlugins(), stubs: { RouterLink: RouterLinkStub } },
    attachTo: document.body,
  })
}

const conflict = (extra: Record<string, unknown>) => ({
  status: 409,
  body: { type: 'https://qinghu.example/problems/conflict', title: 'Conflict', status: 409, ...extra },
})

describe('VerifyDialog (补录身份证号)', () => {
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('checks the number as typed and sends it in the body with the record version', async () => {
    setLocale('zh-CN')
    const seen = mockFetch({ [VERIFY]: { status: 200, body: { id: MINOR, version: 2, verification_status: 'verified' } } })
    const wrapper = open()
    await flushPromises()
    typeNumber('33038120110309')
    click('verify-submit')
    await flushPromises()
    expect(seen).toHaveLength(0)
    expect(document.body.textContent).toContain('已输入 14 位，共需 18 位')

    typeNumber(NUMBER)
    click('verify-submit')
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    expect(JSON.parse(seen[0]!.body)).toEqual({ id_document_type: 'mainland_id', id_number: NUMBER })
    expect(seen[0]!.headers.get('If-Match')).toBe('"1"')
    expect(seen[0]!.path).not.toContain(NUMBER)
    await vi.waitFor(() => expect(wrapper.emitted('verified')).toBeDefined())
    wrapper.unmount()
  })

  it('offers to merge into the existing record in scope, and merges when asked', async () => {
    setLocale('zh-CN')
    const seen = mockFetch({
      [VERIFY]: conflict({ detail: 'This person is already registered; merge this record into it.', existing_id: EXISTING }),
      [MERGE]: { status: 200, body: { id: EXISTING, version: 3, verification_status: 'verified' } },
    })
    const wrapper = open()
    await flushPromises()
    typeNumber(NUMBER)
    click('verify-submit')
    await vi.waitFor(() => expect(document.body.querySelector('[data-test=verify-in-scope]')).not.toBeNull())
    expect(document.body.textContent).toContain('此人已在您的辖区登记')
    expect(wrapper.findComponent(RouterLinkStub).props('to')).toEqual({ name: 'minor', params: { id: EXISTING } })

    click('verify-merge')
    await vi.waitFor(() => expect(seen.map((request) => request.path)).toContain(`/api/v1/minors/${MINOR}/merge`))
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ into_id: EXISTING })
    await vi.waitFor(() => expect(wrapper.emitted('merged')?.[0]?.[0]).toMatchObject({ id: EXISTING }))
    wrapper.unmount()
  })

  it('says "managed elsewhere" and offers nothing to open when the person is another unit’s', async () => {
    setLocale('zh-CN')
    mockFetch({ [VERIFY]: conflict({ detail: 'This person is managed by another unit; a transfer can be requested.' }) })
    const wrapper = open()
    await flushPromises()
    typeNumber(NUMBER)
    click('verify-submit')
    await vi.waitFor(() => expect(document.body.querySelector('[data-test=verify-elsewhere]')).not.toBeNull())
    expect(document.body.textContent).toContain('此人已由其他单位管理。本记录未作修改')
    expect(document.body.querySelector('[data-test=verify-merge]')).toBeNull()
    expect(wrapper.emitted('verified')).toBeUndefined()
    wrapper.unmount()
  })

  it('explains a number whose gender or birth date disagrees with the record, in Chinese', async () => {
    setLocale('zh-CN')
    const problem = (type: string) => ({
      status: 422,
      body: {
        type: 'https://qinghu.example/problems/validation',
        title: 'Invalid request',
        status: 422,
        errors: [{ loc: ['body', 'id_number'], msg: 'differs', type }],
      },
    })
    mockFetch({ [VERIFY]: [problem('id_number.gender_mismatch'), problem('id_number.birth_date_mismatch')] })
    const wrapper = open()
    await flushPromises()
    typeNumber(NUMBER)
    click('verify-submit')
    await vi.waitFor(() => expect(document.body.textContent).toContain('身份证号所示性别与登记的性别不符'))
    click('verify-submit')
    await vi.waitFor(() => expect(document.body.textContent).toContain('不在登记的大致出生日期范围内'))
    wrapper.unmount()
  })
})
