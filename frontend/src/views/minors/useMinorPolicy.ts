import { ref, shallowRef } from 'vue'
import { minorPolicy } from '@/api/minors'
import type { MinorPolicy } from '@/api/types'
import { useSessionStore } from '@/stores/session'

// One answer per logged-in principal: GET /api/v1/minors/policy says what the privacy policy lets it see and do.
let cached: { principalId: string; answer: Promise<MinorPolicy> } | null = null

/** The caller's minor policy (null until loaded). Pages offer filters and actions from it, never from roles. */
export function useMinorPolicy() {
  const session = useSessionStore()
  const policy = shallowRef<MinorPolicy | null>(null)
  const error = ref<unknown>(null)
  const principalId = session.me?.id ?? ''
  if (!cached || cached.principalId !== principalId) {
    cached = { principalId, answer: minorPolicy() }
    cached.answer.catch(() => {
      cached = null
    })
  }
  cached.answer.then(
    (answer) => {
      policy.value = answer
    },
    (caught: unknown) => {
      error.value = caught
    },
  )
  return { policy, error }
}

/** Forget the cached policy (tests). */
export function resetMinorPolicy(): void {
  cached = null
}
