// Where each to-do item is done in the web app: the page of its domain, filtered as the item's list.
import type { RouteLocationRaw } from 'vue-router'
import type { TodoItem } from '@/api/types'

const PAGES: Record<string, string> = {
  care_files: 'care-files',
  minors: 'minors',
  seizure_notices: 'seizures',
  transfers: 'transfers',
  task_reports: 'my-tasks',
}

export function pageOf(item: TodoItem): RouteLocationRaw {
  const domain = item.kind.split('.')[0] ?? ''
  const name = item.kind === 'task_reports.to_review' ? 'campaigns' : (PAGES[domain] ?? 'home')
  const search = item.link.split('?')[1] ?? ''
  return { name, query: Object.fromEntries(new URLSearchParams(search)) }
}
