// Mounting a page as the app shows it: the plugins, a router that knows every page's name, a logged-in person
// and the reference labels, with the API answered by mockFetch.
import { mount, type VueWrapper } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { defineComponent, type Component } from 'vue'
import { createMemoryHistory, createRouter, type RouteRecordRaw } from 'vue-router'
import type { Me, MinorPolicy, MinorRead, Scope } from '@/api/types'
import { appRoutes } from '@/router'
import { useReferenceStore } from '@/stores/reference'
import { useSessionStore } from '@/stores/session'
import { appPlugins } from '../mount'

const Elsewhere = defineComponent({ render: () => null })

export async function mountPage(page: Component, path: string, options: { scopes?: Scope[]; role?: string } = {}) {
  const routes: RouteRecordRaw[] = appRoutes.map((route) => ({ path: `/${route.path}`, name: route.name, component: Elsewhere }))
  const router = createRouter({ history: createMemoryHistory(), routes: [...routes, { path: '/login', name: 'login', component: Elsewhere }] })
  await router.push(path)
  // Element Plus in Chinese, as App.vue's el-config-provider gives it: its own texts (an empty table's) too
  const [, ...plugins] = appPlugins().plugins
  const session = useSessionStore()
  session.me = { ...PERSON, role: options.role ?? 'caseworker', scopes: options.scopes ?? PERSON.scopes } as Me
  const reference = useReferenceStore()
  reference.enums = REFERENCE
  reference.loaded = true
  return mount(page, { global: { plugins: [[ElementPlus, { locale: zhCn }], ...plugins, router] }, attachTo: document.body })
}

export const PERSON = {
  id: '00000000-0000-0000-0000-000000000001',
  kind: 'user',
  username: 'jinhu_worker',
  display_name: '周社工',
  role: 'caseworker',
  unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
  scopes: ['minors:read', 'minors:write', 'minors:reveal', 'care_files:read', 'care_files:write', 'seizures:read'] as Scope[],
  must_change_password: false,
}

const label = (code: string, zh: string) => ({ code, zh, en: code })
export const REFERENCE = {
  risk_levels: [label('low', '低风险'), label('medium', '中风险'), label('high', '高风险')],
  risk_categories: [label('dropout', '辍学'), label('left_behind', '留守儿童'), label('nps_abuse', '滥用新型成瘾物质')],
  substances: [label('etomidate', '依托咪酯')],
  minor_statuses: [label('active', '在册帮教')],
  verification_statuses: [label('provisional', '待核实'), label('verified', '已核实'), label('merged', '已合并')],
  genders: [label('male', '男'), label('female', '女')],
  care_file_statuses: [label('open', '在帮'), label('closure_requested', '待审批结案'), label('closed', '已结案')],
  care_due_states: [label('due_soon', '即将到期'), label('overdue', '已逾期'), label('lost_contact', '脱失')],
  care_entry_kinds: [label('talk', '谈心谈话'), label('urine_test', '尿检')],
  care_team_roles: [label('family_member', '家庭成员')],
  seizure_routing_statuses: [label('routed', '已分送')],
  seizure_routing_reasons: [label('residence', '实际居住地')],
  seizure_followup_statuses: [label('care_file_open', '已建档')],
  seizure_test_results: [label('positive', '阳性')],
  seizure_measures: [label('admonition', '训诫')],
  publicity_kinds: [label('six_entries', '禁毒宣传“六进”'), label('june_26', '“6·26”国际禁毒日')],
  inspection_kinds: [label('supervision', '督导检查'), label('unannounced', '明察暗访')],
}

export const POLICY: MinorPolicy = {
  list_fields: {},
  detail_fields: {},
  revealable_fields: ['name', 'id_number', 'phone'],
  may_search_names: true,
  may_filter_sensitive: true,
  sensitive_risk_categories: ['nps_abuse'],
  may_edit: true,
  may_change_status: false,
} as unknown as MinorPolicy

/** A minor as a caseworker's list or detail shows them: the identity masked. */
export function maskedMinor(overrides: Partial<MinorRead> = {}): MinorRead {
  return {
    id: '0b5c3f4e-0000-4000-8000-000000000001',
    version: 2,
    name: '张**',
    id_document_type: 'mainland_id',
    id_number: '330381********1231',
    gender: 'male',
    birth_date: null,
    age: 15,
    turns_18_on: '2029-05-01',
    aged_out_candidate: false,
    phone: '138****1234',
    guardians: [{ relation: 'mother', name: '王**', phone: null }],
    household_division_code: '330381005001',
    household_address: '锦湖街道******',
    residence_division_code: '330381005001',
    residence_address: '锦湖街道******',
    school: { id: '00000000-0000-0000-0000-0000000000c1', name: '瑞安市锦湖中学', kind: 'school' },
    grade: '初三',
    schooling_status: 'in_school',
    risk_categories: ['left_behind', 'nps_abuse'],
    substances: ['etomidate'],
    risk_level: 'high',
    managing_unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
    status: 'active',
    is_sealed: false,
    source: 'screening',
    created_at: '2026-11-01T02:00:00Z',
    updated_at: '2026-11-20T02:00:00Z',
    masked_fields: ['birth_date', 'guardians', 'household_address', 'id_number', 'name', 'phone', 'residence_address'],
    hidden_fields: [],
    revealable_fields: ['name', 'id_number', 'phone', 'guardians'],
    ...overrides,
  } as MinorRead
}

export function page<T>(items: T[]) {
  return { status: 200, body: { items, total: items.length, limit: 20, offset: 0 } }
}

/** An answer that never comes: the page stays in its loading state. */
export function never(): Promise<Response> {
  return new Promise(() => undefined)
}

/**
 * The answers the server gives when a page cannot be loaded, as backend/errors.py, backend/http.py and
 * backend/auth/deps.py write them (English details; the page says them in Chinese).
 */
export const SERVER_PROBLEMS = {
  forbidden: (scope: string) => ({
    status: 403,
    body: { type: 'https://qinghu.example/problems/forbidden', title: 'Not allowed', status: 403, detail: `This needs the scope ${scope}.` },
  }),
  internal: {
    status: 500,
    body: {
      type: 'https://qinghu.example/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred (request 5b1e0c2a).',
    },
  },
  unavailable: {
    status: 503,
    headers: { 'Retry-After': '5' },
    body: {
      type: 'https://qinghu.example/problems/service-unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'The database is unreachable; try again shortly.',
    },
  },
}

/** What the error state says: its title, its message and its button. */
export function errorState(wrapper: VueWrapper): { title: string; message: string; button: string } {
  const state = wrapper.find('[data-test=error-state]')
  return {
    title: state.find('.el-result__title').text(),
    message: state.find('.el-result__subtitle').text(),
    button: state.find('button').text(),
  }
}

/** Each failure with the Chinese the page shows for it, written out. */
export function failures(scope: string) {
  return [
    { status: 403, answer: SERVER_PROBLEMS.forbidden(scope), message: `您没有执行此操作的权限（需要 ${scope}）` },
    { status: 500, answer: SERVER_PROBLEMS.internal, message: '服务器出错，已记录，请稍后重试（请求编号 5b1e0c2a）' },
    { status: 503, answer: SERVER_PROBLEMS.unavailable, message: '服务暂时不可用（数据库无法连接），请稍后重试' },
  ]
}

/** An 18-character resident ID number anywhere in a text (not inside a longer run of digits, as a calendar's). */
export const FULL_ID_NUMBER = /(?<!\d)\d{17}[\dX](?![\dX])/
