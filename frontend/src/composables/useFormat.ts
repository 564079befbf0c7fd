import { i18n } from '@/i18n'

const TIME_ZONE = 'Asia/Shanghai'

/** A UTC timestamp as local time in Shanghai (CONVENTIONS: stored in UTC, shown in Asia/Shanghai). */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return i18n.global.t('common.never')
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return new Intl.DateTimeFormat(i18n.global.locale.value === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date)
}
