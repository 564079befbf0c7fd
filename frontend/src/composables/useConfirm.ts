import { ElMessageBox } from 'element-plus'
import { i18n } from '@/i18n'

/** Ask before a consequential action. Resolves true when confirmed. */
export async function confirmAction(message: string, options: { danger?: boolean; confirmText?: string } = {}): Promise<boolean> {
  const { t } = i18n.global
  try {
    await ElMessageBox.confirm(message, t('common.confirm'), {
      type: 'warning',
      confirmButtonText: options.confirmText ?? t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: options.danger ? 'el-button--danger' : undefined,
      autofocus: false,
    })
    return true
  } catch {
    return false
  }
}
