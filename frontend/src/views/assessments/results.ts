// What the run page derives from a run: the bars of totals and one unit's indicators on the radar's axes.
import type { RunRead, UnitResult } from '@/api/types'

export function totalsBars(run: RunRead): { name: string; value: number }[] {
  return run.results.map((result) => ({ name: result.unit.name, value: result.total }))
}

export function radarOf(run: RunRead, result: UnitResult): { axes: { name: string; max: number }[]; values: number[] } {
  const scores = new Map(result.scores.map((score) => [score.indicator, score.score]))
  return {
    axes: run.indicators.map((indicator) => ({ name: indicator.name, max: indicator.max_score })),
    values: run.indicators.map((indicator) => scores.get(indicator.code) ?? 0),
  }
}

/** A share as a percentage with one decimal, or a dash. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`
}
