import { createI18n } from 'vue-i18n'
import zhCN, { type MessageSchema } from './zh-CN'
import en from './en'

export type AppLocale = 'zh-CN' | 'en'
export const LOCALES: readonly AppLocale[] = ['zh-CN', 'en'] as const
const LOCALE_KEY = 'qinghu.locale'

function savedLocale(): AppLocale {
  try {
    const saved = localStorage.getItem(LOCALE_KEY)
    return saved === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function currentLocale(): AppLocale {
  return i18n.global.locale.value
}

export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(LOCALE_KEY, locale)
  } catch {
    // storage unavailable: the choice lasts until reload
  }
}

/**
 * A message whose key is data (a server message, an error type with dots): looked up as a plain property,
 * not as a vue-i18n path. Null when there is none.
 */
export function lookupMessage(section: 'details' | 'fieldErrors' | 'problems', key: string): string | null {
  const messages = currentLocale() === 'en' ? en : zhCN
  const table: Record<string, string> = messages[section]
  if (Object.hasOwn(table, key)) return table[key] ?? null
  // A domain's block may keep its own `details` and `fieldErrors` (e.g. `minors.fieldErrors`).
  for (const block of Object.values(messages) as unknown[]) {
    if (typeof block !== 'object' || block === null || !Object.hasOwn(block, section)) continue
    const nested = (block as Record<string, unknown>)[section]
    if (typeof nested === 'object' && nested !== null && Object.hasOwn(nested, key)) {
      const message = (nested as Record<string, unknown>)[key]
      if (typeof message === 'string') return message
    }
  }
  return null
}
