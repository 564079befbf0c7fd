// Colours by status, shared by the campaign pages.
type TagType = 'info' | 'success' | 'warning' | 'danger' | 'primary'

const TAGS: Record<string, TagType> = {
  draft: 'info',
  published: 'success',
  closed: 'warning',
  not_started: 'info',
  in_progress: 'primary',
  submitted: 'warning',
  returned: 'danger',
  approved: 'success',
}

export function statusTag(status: string): TagType {
  return TAGS[status] ?? 'info'
}
