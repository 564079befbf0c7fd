import ElementPlus from 'element-plus'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { i18n } from '@/i18n'

/** Plugins every component of the app expects. */
export function appPlugins(): { plugins: [typeof ElementPlus, typeof i18n, Pinia] } {
  const pinia = createPinia()
  setActivePinia(pinia)
  return { plugins: [ElementPlus, i18n, pinia] }
}
