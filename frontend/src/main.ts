import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { ElMessage } from 'element-plus'
// Element Plus's base variables; each component's own styles come with it (vite.config.ts, on demand).
import 'element-plus/theme-chalk/base.css'
// Messages and message boxes are called from code, not templates: their styles are named here.
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import 'element-plus/theme-chalk/el-overlay.css'
import './styles.css'
import App from './App.vue'
import { setSessionHooks } from './api/client'
import { i18n } from './i18n'
import { loginQuery, router } from './router'
import { useSessionStore } from './stores/session'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)
app.use(router)

const session = useSessionStore(pinia)
setSessionHooks({
  onExpired() {
    const wasLoggedIn = session.isAuthenticated
    session.expire()
    const current = router.currentRoute.value
    if (!wasLoggedIn || current.meta.public) return
    ElMessage.warning(i18n.global.t('auth.sessionExpired'))
    void router.push({ name: 'login', query: loginQuery(current) })
  },
  onPasswordChangeRequired() {
    if (session.me) session.me.must_change_password = true
    const current = router.currentRoute.value
    if (current.name !== 'account') void router.push({ name: 'account', query: loginQuery(current) })
  },
})

document.documentElement.lang = i18n.global.locale.value
app.mount('#app')
