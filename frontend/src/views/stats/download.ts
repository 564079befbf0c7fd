import { api, unwrap } from '@/api/client'

type ReportPath = '/api/v1/stats/schools' | '/api/v1/stats/regions'

/** Fetch a statistics report as a file (through the one client, so the token goes with it) and save it. */
export async function downloadReport(
  path: ReportPath,
  query: { term: string; unit_id?: string },
  format: 'csv' | 'xlsx',
  filename: string,
): Promise<void> {
  const blob = await unwrap<Blob>(
    api.GET(path, { params: { query: { ...query, format } }, parseAs: 'blob' }) as Promise<{
      data?: Blob
      error?: unknown
      response: Response
    }>,
  )
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
}
