import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { UserRead } from '@/api/types'
import { setLocale } from '@/i18n'
import { useReferenceStore } from '@/stores/reference'
import PersonDialog from '@/views/people/PersonDialog.vue'
import { mockFetch, problem } from './helpers'
import { appPlugins } from './mount'

const PERSON: UserRead = {
  id: '00000000-0000-0000-0000-0000000000b1',
  username: 'jinhu_worker',
  display_name: '周社工',
  role: 'caseworker',
  unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
  is_active: true,
  must_change_password: false,
  locked_until: null,
  last_login_at: null,
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-01T00:00:00Z',
  version: 3,
} as UserRead

function typeName(text: string): void {
  const input = document.body.querySelector<HTMLInputElement>('[data-test=person-dialog] input[name=display_name]')
  if (!input) throw new Error('no display name field')
  input.value = text
  input.dispatchEvent(new Event('input'))
}

async function openDialog() {
  const plugins = appPlugins()
  useReferenceStore().loaded = true
  const wrapper = mount(PersonDialog, { props: { modelValue: false, person: PERSON }, global: plugins, attachTo: document.body })
  await wrapper.setProps({ modelValue: true })
  await flushPromises()
  return wrapper
}

function save(): void {
  document.body.querySelector<HTMLButtonElement>('[data-test=person-save]')?.click()
}

describe('the administration dialogs (PersonDialog)', () => {
  beforeEach(() => setLocale('zh-CN'))
  afterEach(() => {
    document.body.innerHTML = ''
    vi.unstubAllGlobals()
  })

  it('sends only what changed, with the version read, and hands the saved person back', async () => {
    const seen = mockFetch({ [`PATCH /api/v1/users/${PERSON.id}`]: { status: 200, body: { ...PERSON, display_name: '周晓社工', version: 4 } } })
    const wrapper = await openDialog()
    typeName('周晓社工')
    save()
    await vi.waitFor(() => expect(wrapper.emitted('saved')).toBeDefined())
    const changes = seen.filter((request) => request.method !== 'GET')
    expect(changes).toHaveLength(1)
    expect(JSON.parse(changes[0]!.body)).toEqual({ display_name: '周晓社工' })
    expect(changes[0]!.headers.get('If-Match')).toBe('"3"')
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([false])
    wrapper.unmount()
  })

  it('closes without a request when nothing changed', async () => {
    const seen = mockFetch({})
    const wrapper = await openDialog()
    save()
    await vi.waitFor(() => expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([false]))
    // the unit picker reads the unit tree; nothing is sent
    expect(seen.filter((request) => request.method !== 'GET')).toHaveLength(0)
    wrapper.unmount()
  })

  it('puts the server’s field problems on their fields, in Chinese', async () => {
    mockFetch({
      [`PATCH /api/v1/users/${PERSON.id}`]: problem(422, 'validation', 'Invalid request', {
        errors: [{ loc: ['body', 'display_name'], msg: 'String should have at most 100 characters', type: 'string_too_long' }],
      }),
    })
    const wrapper = await openDialog()
    typeName('周'.repeat(5))
    save()
    await vi.waitFor(() =>
      expect(document.body.querySelector('[data-test=person-dialog] .el-form-item__error')?.textContent).toContain('过长'),
    )
    expect(wrapper.emitted('saved')).toBeUndefined()
    wrapper.unmount()
  })

  it('closes and tells the page when someone else changed the person meanwhile (412)', async () => {
    mockFetch({ [`PATCH /api/v1/users/${PERSON.id}`]: problem(412, 'precondition-failed', 'The resource has changed.') })
    const wrapper = await openDialog()
    typeName('周晓社工')
    save()
    await vi.waitFor(() => expect(wrapper.emitted('stale')).toBeDefined())
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([false])
    wrapper.unmount()
  })
})
