import { markRaw, ref, type Component } from 'vue'
import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'
import {
  Avatar,
  Bell,
  Connection,
  DataAnalysis,
  DataLine,
  DocumentChecked,
  Finished,
  FirstAidKit,
  Flag,
  Folder,
  HomeFilled,
  List,
  OfficeBuilding,
  Shop,
  Promotion,
  Stamp,
  Switch,
  Tickets,
  TrendCharts,
  User,
  UploadFilled,
  UserFilled,
} from '@element-plus/icons-vue'
import type { Scope } from '@/api/types'
import { i18n } from '@/i18n'
import { useSessionStore } from '@/stores/session'
import { usePageStore } from '@/stores/page'
import { useReferenceStore } from '@/stores/reference'

export type MenuKey =
  | 'home'
  | 'statistics'
  | 'rates'
  | 'units'
  | 'people'
  | 'clients'
  | 'minors'
  | 'audit'
  | 'seizures'
  | 'seizureNew'
  | 'seizureReport'
  | 'careFiles'
  | 'careFile'
  | 'approvals'
  | 'transfers'
  | 'campaigns'
  | 'assessments'
  | 'myTasks'
  | 'publicityActivities'
  | 'inspectionVisits'
  | 'responsibilityLetters'
  | 'account'
  | 'notifications'
  | 'venues'
  | 'venue'
  | 'pharmacyChecks'
  | 'imports'
  | 'notFound'

declare module 'vue-router' {
  interface RouteMeta {
    /** Key under `menu.` naming the page in the menu, breadcrumbs and window title. */
    titleKey?: MenuKey
    /** The scope a principal needs to open the page (a list: any one of them). */
    scope?: Scope | readonly Scope[]
    /** People only (machine clients have no password to change). */
    peopleOnly?: boolean
    /** Only these roles, where a scope is shared wider than the page (the rates: not school staff). */
    roles?: readonly string[]
    /** Shown in the side menu, with this icon. */
    icon?: Component
    /** Reachable without logging in. */
    public?: boolean
  }
}

export const appRoutes: RouteRecordRaw[] = [
  {
    path: '',
    name: 'home',
    component: () => import('@/views/home/HomeView.vue'),
    meta: { titleKey: 'home', icon: markRaw(HomeFilled) },
  },
  {
    path: 'statistics',
    name: 'statistics',
    component: () => import('@/views/stats/StatisticsView.vue'),
    meta: { titleKey: 'statistics', scope: 'stats:read', icon: markRaw(DataAnalysis) },
  },
  {
    // 乡镇比较: leads and the bureau (stats:read) and auditors (stats:overview); the page itself leaves out
    // school staff and social workers, as the API does.
    path: 'rates',
    name: 'rates',
    component: () => import('@/views/stats/RatesView.vue'),
    meta: { titleKey: 'rates', scope: ['stats:read', 'stats:overview'], roles: ['supervisor', 'education', 'auditor'], icon: markRaw(TrendCharts) },
  },
  {
    path: 'care-files',
    name: 'care-files',
    component: () => import('@/views/care/CareFilesView.vue'),
    meta: { titleKey: 'careFiles', scope: ['care_files:read', 'care_files:team'], icon: markRaw(Folder) },
  },
  {
    path: 'care-files/:id',
    name: 'care-file',
    component: () => import('@/views/care/CareFileView.vue'),
    meta: { titleKey: 'careFiles', scope: ['care_files:read', 'care_files:team'] },
  },
  {
    path: 'approvals',
    name: 'approvals',
    component: () => import('@/views/care/ApprovalsView.vue'),
    meta: { titleKey: 'approvals', scope: 'care_files:approve', icon: markRaw(DocumentChecked) },
  },
  {
    path: 'transfers',
    name: 'transfers',
    component: () => import('@/views/transfers/TransfersView.vue'),
    meta: { titleKey: 'transfers', scope: 'transfers:read', icon: markRaw(Switch) },
  },
  {
    path: 'units',
    name: 'units',
    component: () => import('@/views/units/UnitsView.vue'),
    meta: { titleKey: 'units', scope: 'units:read', icon: markRaw(OfficeBuilding) },
  },
  {
    path: 'people',
    name: 'people',
    component: () => import('@/views/people/PeopleView.vue'),
    meta: { titleKey: 'people', scope: 'users:read', icon: markRaw(User) },
  },
  {
    path: 'clients',
    name: 'clients',
    component: () => import('@/views/clients/ClientsView.vue'),
    meta: { titleKey: 'clients', scope: 'clients:read', icon: markRaw(Connection) },
  },
  // At-risk minors (issue 5): the registry's pages and the audit trail.
  {
    path: 'minors',
    name: 'minors',
    component: () => import('@/views/minors/MinorsView.vue'),
    meta: { titleKey: 'minors', scope: 'minors:read', icon: markRaw(Avatar) },
  },
  {
    path: 'minors/new',
    name: 'minor-new',
    component: () => import('@/views/minors/MinorFormView.vue'),
    meta: { titleKey: 'minors', scope: 'minors:register' },
  },
  {
    path: 'minors/:id',
    name: 'minor',
    component: () => import('@/views/minors/MinorDetailView.vue'),
    meta: { titleKey: 'minors', scope: 'minors:read' },
  },
  {
    path: 'minors/:id/edit',
    name: 'minor-edit',
    component: () => import('@/views/minors/MinorFormView.vue'),
    meta: { titleKey: 'minors', scope: 'minors:write' },
  },
  // Venues and pharmacy checks (issue 19): the hazard and 右美沙芬 screening forms.
  {
    path: 'venues',
    name: 'venues',
    component: () => import('@/views/venues/VenuesView.vue'),
    meta: { titleKey: 'venues', scope: 'venues:read', icon: markRaw(Shop) },
  },
  {
    path: 'venues/:id',
    name: 'venue',
    component: () => import('@/views/venues/VenueView.vue'),
    meta: { titleKey: 'venue', scope: 'venues:read' },
  },
  {
    path: 'pharmacy-checks',
    name: 'pharmacy-checks',
    component: () => import('@/views/venues/PharmacyChecksView.vue'),
    meta: { titleKey: 'pharmacyChecks', scope: 'pharmacy_checks:read', icon: markRaw(FirstAidKit) },
  },
  {
    path: 'audit',
    name: 'audit',
    component: () => import('@/views/audit/AuditView.vue'),
    meta: { titleKey: 'audit', scope: 'audit:read', icon: markRaw(Tickets) },
  },
  {
    path: 'campaigns',
    name: 'campaigns',
    component: () => import('@/views/campaigns/CampaignsView.vue'),
    meta: { titleKey: 'campaigns', scope: 'campaigns:read', icon: markRaw(List) },
  },
  {
    path: 'campaigns/new',
    name: 'campaign-new',
    component: () => import('@/views/campaigns/CampaignEditView.vue'),
    meta: { titleKey: 'campaigns', scope: 'campaigns:write' },
  },
  {
    path: 'campaigns/:id/edit',
    name: 'campaign-edit',
    component: () => import('@/views/campaigns/CampaignEditView.vue'),
    props: true,
    meta: { titleKey: 'campaigns', scope: 'campaigns:write' },
  },
  {
    path: 'campaigns/:id',
    name: 'campaign',
    component: () => import('@/views/campaigns/CampaignView.vue'),
    props: true,
    meta: { titleKey: 'campaigns', scope: 'campaigns:read' },
  },
  {
    path: 'assessments',
    name: 'assessments',
    component: () => import('@/views/assessments/SchemesView.vue'),
    meta: { titleKey: 'assessments', scope: 'assessments:read', icon: markRaw(DataLine) },
  },
  {
    path: 'assessments/new',
    name: 'assessment-new',
    component: () => import('@/views/assessments/SchemeEditView.vue'),
    meta: { titleKey: 'assessments', scope: 'assessments:write' },
  },
  {
    path: 'assessments/:id/edit',
    name: 'assessment-edit',
    component: () => import('@/views/assessments/SchemeEditView.vue'),
    props: true,
    meta: { titleKey: 'assessments', scope: 'assessments:write' },
  },
  {
    path: 'assessment-runs/:id',
    name: 'assessment-run',
    component: () => import('@/views/assessments/RunView.vue'),
    meta: { titleKey: 'assessments', scope: 'assessments:read' },
  },
  {
    path: 'my-tasks',
    name: 'my-tasks',
    component: () => import('@/views/campaigns/MyTasksView.vue'),
    meta: { titleKey: 'myTasks', scope: 'task_reports:write', icon: markRaw(Finished) },
  },
  {
    path: 'task-reports/:id',
    name: 'task-report',
    component: () => import('@/views/campaigns/TaskReportView.vue'),
    props: true,
    // the page names its place once it knows whose report it is (my tasks, or a campaign's review)
    meta: { titleKey: 'campaigns', scope: 'campaigns:read' },
  },
  {
    path: 'publicity-activities',
    name: 'publicity-activities',
    component: () => import('@/views/workRecords/ActivitiesView.vue'),
    meta: { titleKey: 'publicityActivities', scope: 'work_records:read', icon: markRaw(Promotion) },
  },
  {
    path: 'inspection-visits',
    name: 'inspection-visits',
    component: () => import('@/views/workRecords/VisitsView.vue'),
    meta: { titleKey: 'inspectionVisits', scope: 'work_records:read', icon: markRaw(Flag) },
  },
  {
    path: 'responsibility-letters',
    name: 'responsibility-letters',
    component: () => import('@/views/workRecords/LettersView.vue'),
    meta: { titleKey: 'responsibilityLetters', scope: 'work_records:read', icon: markRaw(Stamp) },
  },
  {
    path: 'seizures',
    name: 'seizures',
    component: () => import('@/views/seizures/SeizureNoticesView.vue'),
    meta: { titleKey: 'seizures', scope: 'seizures:read', icon: markRaw(Bell) },
  },
  {
    path: 'seizures/new',
    name: 'seizure-new',
    component: () => import('@/views/seizures/SeizureNoticeFormView.vue'),
    meta: { titleKey: 'seizureNew', scope: 'seizures:write', peopleOnly: true },
  },
  {
    path: 'seizures/:id',
    name: 'seizure',
    component: () => import('@/views/seizures/SeizureNoticeView.vue'),
    meta: { titleKey: 'seizures', scope: 'seizures:read' },
  },
  {
    path: 'seizures/daily-report',
    name: 'seizure-report',
    component: () => import('@/views/seizures/SeizureDailyReportView.vue'),
    meta: { titleKey: 'seizureReport', scope: 'seizures:read' },
  },
  {
    path: 'imports',
    name: 'imports',
    component: () => import('@/views/imports/ImportView.vue'),
    meta: {
      titleKey: 'imports',
      scope: ['minors:register', 'venues:write', 'pharmacy_checks:write'],
      peopleOnly: true,
      icon: markRaw(UploadFilled),
    },
  },
  {
    path: 'account',
    name: 'account',
    component: () => import('@/views/account/AccountView.vue'),
    meta: { titleKey: 'account', peopleOnly: true, icon: markRaw(UserFilled) },
  },
  {
    path: 'notifications',
    name: 'notifications',
    component: () => import('@/views/notifications/NotificationsView.vue'),
    meta: { titleKey: 'notifications', peopleOnly: true },
  },
]

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/auth/LoginView.vue'),
    meta: { public: true },
  },
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    children: [
      ...appRoutes,
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/errors/NotFoundView.vue'),
        meta: { titleKey: 'notFound' },
      },
    ],
  },
]

/** Only a path inside the app may be a place to return to (never another site). */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) {
    return null
  }
  return value
}

/** The query that brings the person back to `route` after logging in. */
export function loginQuery(route: Pick<RouteLocationNormalized, 'fullPath'>): Record<string, string> {
  const redirect = safeRedirect(route.fullPath)
  return redirect && redirect !== '/' ? { redirect } : {}
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

/** True while a page is being opened (session restore, reference data, the page's code). */
export const navigating = ref(false)

router.beforeEach(async (to) => {
  navigating.value = true
  const session = useSessionStore()
  await session.restore()
  if (to.meta.public) {
    if (to.name === 'login' && session.isAuthenticated) return safeRedirect(to.query.redirect) ?? { name: 'home' }
    return true
  }
  if (!session.isAuthenticated) return { name: 'login', query: loginQuery(to) }
  if (session.mustChangePassword && to.name !== 'account') {
    return { name: 'account', query: loginQuery(to) }
  }
  if (to.meta.scope && !session.can(to.meta.scope)) return { name: 'home' }
  if (to.meta.peopleOnly && session.me?.kind !== 'user') return { name: 'home' }
  if (to.meta.roles && !to.meta.roles.includes(session.me?.role ?? '')) return { name: 'home' }
  try {
    await useReferenceStore().load()
  } catch {
    // labels fall back to codes; the page itself reports a dead server
  }
  return true
})

router.afterEach((to) => {
  navigating.value = false
  // the next page says anew where it sits (before its setup runs)
  usePageStore().reset()
  const { t } = i18n.global
  const page = to.meta.titleKey ? t(`menu.${to.meta.titleKey}`) : t('auth.title')
  document.title = `${page} · ${t('app.name')}`
})

// After a new version is deployed, an open tab asks for page chunks that no longer exist: load the app anew.
const STALE_CHUNK = /dynamically imported module|Importing a module script failed|Failed to load module script/i

router.onError((error: unknown, to) => {
  navigating.value = false
  if (error instanceof Error && STALE_CHUNK.test(error.message)) window.location.assign(to.fullPath)
})
