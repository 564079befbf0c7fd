// Imports of the screening forms (批量导入): the templates, an upload checked (or committed) in the background,
// the job polled for its progress and report, past imports.
import { api, unwrap } from './client'
import type { ImportJobRead, ImportJobSummary, ImportKind, Page, PageQuery } from './types'

/** The form's XLSX template (Chinese headers, drop-downs, instructions, an example row). */
export function downloadTemplate(kind: ImportKind): Promise<Blob> {
  return unwrap(api.GET('/api/v1/imports/templates/{kind}', { params: { path: { kind } }, parseAs: 'blob' })) as Promise<Blob>
}

export interface UploadOptions {
  kind: ImportKind
  commit: boolean
  allOrNothing: boolean
}

/** The multipart body of an upload: the file and how to treat it. */
export function uploadForm(file: Blob, filename: string, options: UploadOptions): FormData {
  const form = new FormData()
  form.append('kind', options.kind)
  form.append('mode', options.commit ? 'commit' : 'dry_run')
  form.append('all_or_nothing', options.allOrNothing ? 'true' : 'false')
  form.append('file', file, filename)
  return form
}

/** Upload a filled form: answered at once with the queued job (202), checked in the background. */
export function uploadImport(file: File, options: UploadOptions): Promise<ImportJobRead> {
  const form = uploadForm(file, file.name, options)
  return unwrap(
    api.POST('/api/v1/imports', {
      // the generated type describes the form's fields; the body sent is the FormData itself
      body: form as unknown as never,
      bodySerializer: () => form,
    }),
  )
}

export function getImport(jobId: string): Promise<ImportJobRead> {
  return unwrap(api.GET('/api/v1/imports/{job_id}', { params: { path: { job_id: jobId } } }))
}

/** Past imports: a lead's unit subtree, else one's own. */
export function listImports(page: Partial<PageQuery>): Promise<Page<ImportJobSummary>> {
  return unwrap(api.GET('/api/v1/imports', { params: { query: { ...page } } }))
}

export function isDone(job: { status: string }): boolean {
  return job.status === 'finished' || job.status === 'failed'
}
