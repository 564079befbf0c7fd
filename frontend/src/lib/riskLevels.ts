// The colour of each risk level, one table for every place that shows one: tags in the lists and records
// (Element Plus tag types) and chart slices (the same colours as those types' defaults).

export type RiskLevelCode = 'low' | 'medium' | 'high'

export const RISK_LEVEL_TAG: Record<RiskLevelCode, 'success' | 'warning' | 'danger'> = {
  low: 'success',
  medium: 'warning',
  high: 'danger',
}

/** Element Plus's success, warning and danger colours. */
export const RISK_LEVEL_COLOR: Record<RiskLevelCode, string> = {
  low: '#67c23a',
  medium: '#e6a23c',
  high: '#f56c6c',
}

export function riskLevelTag(level: string | null | undefined): 'success' | 'warning' | 'danger' | 'info' {
  return level && level in RISK_LEVEL_TAG ? RISK_LEVEL_TAG[level as RiskLevelCode] : 'info'
}

export function riskLevelColor(level: string): string | undefined {
  return level in RISK_LEVEL_COLOR ? RISK_LEVEL_COLOR[level as RiskLevelCode] : undefined
}
