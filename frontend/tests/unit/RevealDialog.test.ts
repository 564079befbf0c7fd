import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { setLocale } from '@/i18n'
import RevealDialog from '@/views/minors/RevealDialog.vue'
import { mockFetch } from './helpers'
import { appPlugins } from './mount'

const MINOR = '0b5c3f4e-0000-4000-8000-000000000001'
const REVEAL = `POST /api/v1/minors/${MINOR}/reveal`

function typeReason(text: string): void {
  const area = document.body.querySelector<HTMLTextAreaElement>('textarea[name=reveal_reason]')
  if (!area) throw new Error('no reason field')
  area.value = text
  area.dispatchEvent(new Event('input'))
}

function submit(): void {
  document.body.querySelector<HTMLButtonElement>('[data-test=reveal-submit]')?.click()
}

function open() {
  return mount(RevealDialog, {
    props: { modelValue: true, minorId: MINOR, fields: ['guardians', 'name', 'phone'], preselected: ['name', 'phone'] },
    global: appPlugins(),
    attachTo: document.body,
  })
}

describe('RevealDialog', () => {
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('asks for a reason of at least 5 characters, then sends it with the fields chosen', async () => {
    setLocale('zh-CN')
    const seen = mockFetch({ [REVEAL]: { status: 200, body: { minor_id: MINOR, values: { name: '张晓明' }, reveals_left_today: 19 } } })
    const wrapper = open()
    await flushPromises()
    typeReason('核实')
    submit()
    await flushPromises()
    await vi.waitFor(() => expect(document.body.textContent).toContain('请填写至少 5 个字的事由'))
    expect(seen).toHaveLength(0)

    typeReason('家访前核实监护人联系方式')
    submit()
    await flushPromises()
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    expect(JSON.parse(seen[0]!.body)).toEqual({ reason: '家访前核实监护人联系方式', fields: ['name', 'phone'] })
    await vi.waitFor(() => expect(wrapper.emitted('revealed')).toBeDefined())
    expect(wrapper.emitted('revealed')?.[0]?.[0]).toMatchObject({ values: { name: '张晓明' }, reveals_left_today: 19 })
    wrapper.unmount()
  })

  it("shows the daily limit from the server's problem, with when it resets", async () => {
    setLocale('zh-CN')
    mockFetch({
      [REVEAL]: {
        status: 429,
        headers: { 'Retry-After': '3600' },
        body: {
          type: 'https://qinghu.example/problems/too-many-requests',
          title: 'Too many requests',
          status: 429,
          detail: 'You have revealed 20 records today, the daily limit; it resets at midnight.',
        },
      },
    })
    const wrapper = open()
    await flushPromises()
    typeReason('家访前核实监护人联系方式')
    submit()
    await flushPromises()
    await vi.waitFor(() => expect(document.body.querySelector('[data-test=reveal-limit]')).not.toBeNull())
    const limit = document.body.querySelector('[data-test=reveal-limit]')?.textContent ?? ''
    expect(limit).toContain('今日查看完整信息的次数已达上限')
    expect(limit).toContain('20 records today')
    expect(wrapper.emitted('revealed')).toBeUndefined()
    wrapper.unmount()
  })
})
