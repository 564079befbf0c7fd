import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import SecretOnce from '@/components/SecretOnce.vue'
import { setLocale } from '@/i18n'
import { appPlugins } from './mount'

describe('SecretOnce', () => {
  it('shows the secret once, with a warning and a copy button', async () => {
    setLocale('zh-CN')
    const writeText = vi.fn(() => Promise.resolve())
    vi.stubGlobal('isSecureContext', true)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const wrapper = mount(SecretOnce, {
      props: { modelValue: true, title: '客户端密钥', intro: '请立即复制', secret: 's3cr3t-value' },
      global: appPlugins(),
      attachTo: document.body,
    })
    await flushPromises()
    const dialog = document.body.querySelector('[data-test=secret-once]')
    expect(dialog?.textContent).toContain('只显示这一次')
    expect(document.body.querySelector('[data-test=secret-value]')?.textContent).toBe('s3cr3t-value')
    const copy = [...document.body.querySelectorAll('button')].find((button) => button.textContent?.includes('复制'))
    copy?.click()
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('s3cr3t-value')
    wrapper.unmount()
  })
})
