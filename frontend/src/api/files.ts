// Files in and out: downloads through the generated client (as a Blob), uploads with a progress bar.
import { api, unwrap } from './client'
import { ApiError, networkError, toProblem } from './problem'
import { getAccessToken } from './tokens'
import type { EvidenceRead } from './types'

/** Save a Blob under `filename` in the browser. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function progressXlsx(campaignId: string): Promise<Blob> {
  return unwrap(
    api.GET('/api/v1/campaigns/{campaign_id}/progress', {
      params: { path: { campaign_id: campaignId }, query: { format: 'xlsx' } },
      parseAs: 'blob',
    }),
  ) as Promise<unknown> as Promise<Blob>
}

export function evidenceBlob(reportId: string, evidenceId: string): Promise<Blob> {
  return unwrap(
    api.GET('/api/v1/task-reports/{report_id}/evidence/{evidence_id}', {
      params: { path: { report_id: reportId, evidence_id: evidenceId } },
      parseAs: 'blob',
    }),
  ) as Promise<unknown> as Promise<Blob>
}

/** Upload one evidence file; `onProgress` gets 0–100. XMLHttpRequest, because fetch reports no upload progress. */
export function uploadEvidence(reportId: string, file: File, onProgress: (percent: number) => void): Promise<EvidenceRead> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', `/api/v1/task-reports/${encodeURIComponent(reportId)}/evidence`)
    const token = getAccessToken()
    if (token) request.setRequestHeader('Authorization', `Bearer ${token}`)
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100))
    }
    request.onerror = () => reject(networkError())
    request.onload = () => {
      let body: unknown = null
      try {
        body = JSON.parse(request.responseText)
      } catch {
        body = null
      }
      if (request.status === 201) resolve(body as EvidenceRead)
      else reject(new ApiError(toProblem(request.status, body), null))
    }
    const form = new FormData()
    form.append('file', file)
    request.send(form)
  })
}

/** A URL showing the Blob in the page (an inline image), and its release. */
export function objectUrl(blob: Blob): string {
  return URL.createObjectURL(blob)
}
export function releaseUrl(url: string): void {
  URL.revokeObjectURL(url)
}
