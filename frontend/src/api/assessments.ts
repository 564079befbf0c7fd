// Assessments (考核): schemes issued by a unit, runs that score the units it assesses, and each figure's
// explanation; the run as an XLSX file and the printable 通报 draft.
import { api, unwrap } from './client'
import type { FigureDetail, Page, PageQuery, RunRead, SchemeIn, SchemeListItem, SchemeRead, ScoreIn } from './types'

const scheme = (schemeId: string) => ({ path: { scheme_id: schemeId } })
const run = (runId: string) => ({ path: { run_id: runId } })

export function listSchemes(page: PageQuery): Promise<Page<SchemeListItem>> {
  return unwrap(api.GET('/api/v1/assessment-schemes', { params: { query: page } }))
}

export function getScheme(schemeId: string): Promise<SchemeRead> {
  return unwrap(api.GET('/api/v1/assessment-schemes/{scheme_id}', { params: scheme(schemeId) }))
}

export function createScheme(body: SchemeIn): Promise<SchemeRead> {
  return unwrap(api.POST('/api/v1/assessment-schemes', { body }))
}

export function updateScheme(schemeId: string, body: SchemeIn): Promise<SchemeRead> {
  return unwrap(api.PUT('/api/v1/assessment-schemes/{scheme_id}', { params: scheme(schemeId), body }))
}

/** Compute a run as of a cut-off day (default: today, or the period's end). */
export function runScheme(schemeId: string, cutOff?: string): Promise<RunRead> {
  return unwrap(api.POST('/api/v1/assessment-schemes/{scheme_id}/runs', { params: scheme(schemeId), body: { cut_off: cutOff ?? null } }))
}

export async function getRun(runId: string): Promise<RunRead> {
  // JSON unless a file format is asked for (the spec also lists the XLSX answer)
  return (await unwrap(api.GET('/api/v1/assessment-runs/{run_id}', { params: run(runId) }))) as RunRead
}

/** The results and the explanation of every score as an XLSX file. */
export async function runXlsx(runId: string): Promise<Blob> {
  const blob = await unwrap(api.GET('/api/v1/assessment-runs/{run_id}', { params: { ...run(runId), query: { format: 'xlsx' } }, parseAs: 'blob' }))
  return blob as unknown as Blob
}

export function setScore(runId: string, unitId: string, indicator: string, body: ScoreIn): Promise<RunRead> {
  return unwrap(
    api.PUT('/api/v1/assessment-runs/{run_id}/scores/{unit_id}/{indicator}', {
      params: { path: { run_id: runId, unit_id: unitId, indicator } },
      body,
    }),
  )
}

export function finaliseRun(runId: string): Promise<RunRead> {
  return unwrap(api.POST('/api/v1/assessment-runs/{run_id}/finalise', { params: run(runId) }))
}

/** What lies behind one unit's figure: minors (masked by role), tasks, records or notices. */
export function figureDetail(runId: string, unitId: string, indicator: string): Promise<FigureDetail> {
  return unwrap(
    api.GET('/api/v1/assessment-runs/{run_id}/units/{unit_id}/figures/{indicator}', {
      params: { path: { run_id: runId, unit_id: unitId, indicator } },
    }),
  )
}

/** The printable 通报 draft (an HTML page). */
export async function runNotice(runId: string): Promise<string> {
  const html = await unwrap(api.GET('/api/v1/assessment-runs/{run_id}/notice', { params: run(runId), parseAs: 'text' }))
  return String(html)
}
