import { reactive } from 'vue'
import { getUser } from '@/api/users'
import type { AuditEventRead } from '@/api/types'
import { i18n } from '@/i18n'
import { useReferenceStore } from '@/stores/reference'
import { useSessionStore } from '@/stores/session'

// What the audit trail shows in people's words. The server writes some reasons as short English phrases or
// codes (e.g. "2 units × 2 tasks", "stable"); they are matched here and said in the reader's language.

const REASON_PATTERNS: { pattern: RegExp; say: (match: RegExpMatchArray) => string }[] = [
  { pattern: /^(\d+) school\(s\)$/, say: (m) => i18n.global.t('audit.reasons.schools', { n: Number(m[1]) }) },
  {
    pattern: /^(\d+) units × (\d+) tasks$/,
    say: (m) => i18n.global.t('audit.reasons.published', { units: Number(m[1]), tasks: Number(m[2]) }),
  },
  { pattern: /^copy of ([0-9a-f-]{36})$/, say: (m) => i18n.global.t('audit.reasons.copyOf', { id: m[1]!.slice(0, 8) }) },
  {
    pattern: /^(.+) sha256:([0-9a-f]{64})$/,
    say: (m) => i18n.global.t('audit.reasons.evidence', { name: m[1], hash: m[2]!.slice(0, 12) }),
  },
  { pattern: /^positive_urine_test$/, say: () => i18n.global.t('audit.reasons.positiveUrineTest') },
]

// Reasons that are codes of a reference list (why a care file opened, why it closes).
const REASON_ENUMS = ['care_file_triggers', 'closure_reasons'] as const

export function reasonText(reason: string | null | undefined): string {
  if (!reason) return ''
  for (const { pattern, say } of REASON_PATTERNS) {
    const match = reason.match(pattern)
    if (match) return say(match)
  }
  const reference = useReferenceStore()
  for (const name of REASON_ENUMS) {
    const label = reference.label(name, reason)
    if (label !== reason) return label
  }
  return reason
}

export function objectTypeText(type: string | null | undefined): string {
  if (!type) return ''
  const key = `audit.objectTypes.${type}`
  return i18n.global.te(key) ? i18n.global.t(key) : type
}

/**
 * People's names for the events' actors. The trail records a person's username; their name is read from the
 * people list (for readers who may read it), once per person, and the username stays where it cannot be.
 */
export function useActorNames() {
  const session = useSessionStore()
  const names = reactive(new Map<string, string>())
  const asked = new Set<string>()

  function learn(events: readonly AuditEventRead[]): void {
    if (!session.can('users:read')) return
    for (const event of events) {
      const id = event.actor_id
      if (event.actor_kind !== 'user' || !id || asked.has(id)) continue
      asked.add(id)
      getUser(id)
        .then((person) => names.set(id, person.display_name))
        .catch(() => undefined)
    }
  }

  function nameOf(event: AuditEventRead): string {
    return (event.actor_id && names.get(event.actor_id)) || event.actor_name
  }

  return { learn, nameOf }
}
