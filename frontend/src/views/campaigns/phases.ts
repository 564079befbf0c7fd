import type { Phase, TaskRead } from '@/api/types'

/** The phase a task belongs to: the one whose dates hold the task's due date (tasks name no phase themselves). */
export function phaseOf(task: Pick<TaskRead, 'due_date'>, phases: readonly Phase[]): Phase | null {
  if (!task.due_date) return null
  return phases.find((phase) => phase.start <= task.due_date! && task.due_date! <= phase.end) ?? null
}

/** 0.333 → 33 (whole percent, as the progress bars and the exported sheet show it). */
export function wholePercent(share: number): number {
  return Math.round(share * 100)
}
