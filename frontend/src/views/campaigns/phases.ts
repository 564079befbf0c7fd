import type { Phase, TaskRead } from '@/api/types'

/** The phase a task belongs to: the one it names (its `phase` code), else — a task from before tasks named
 * their phase — the one whose dates hold its due date. */
export function phaseOf(task: Pick<TaskRead, 'due_date'> & Partial<Pick<TaskRead, 'phase'>>, phases: readonly Phase[]): Phase | null {
  if (task.phase) return phases.find((phase) => phase.code === task.phase) ?? null
  if (!task.due_date) return null
  return phases.find((phase) => phase.start <= task.due_date! && task.due_date! <= phase.end) ?? null
}

/** 0.333 → 33 (whole percent, as the progress bars and the exported sheet show it). */
export function wholePercent(share: number): number {
  return Math.round(share * 100)
}
