import { ElMessage } from 'element-plus'
import { i18n } from '@/i18n'

/** Copy text; works on plain http too (the Clipboard API needs a secure context). */
export async function copyText(text: string): Promise<boolean> {
  const { t } = i18n.global
  let copied = false
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      copied = true
    }
  } catch {
    copied = false
  }
  if (!copied) {
    const area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.style.position = 'fixed'
    area.style.opacity = '0'
    document.body.appendChild(area)
    area.select()
    try {
      copied = document.execCommand('copy')
    } catch {
      copied = false
    }
    document.body.removeChild(area)
  }
  if (copied) ElMessage.success(t('common.copied'))
  else ElMessage.warning(t('common.copyFailed'))
  return copied
}
