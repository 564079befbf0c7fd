import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { describeProblem } from '@/api/describe'

/** Run one request behind a loading flag; a failure becomes a message unless the caller handles it. */
export function useAction() {
  const loading = ref(false)

  async function run<T>(
    action: () => Promise<T>,
    options: { success?: string; onError?: (error: unknown) => boolean | void } = {},
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    loading.value = true
    try {
      const value = await action()
      if (options.success) ElMessage.success(options.success)
      return { ok: true, value }
    } catch (error) {
      // onError returns true when it has shown the error itself (e.g. on the form's fields)
      if (options.onError?.(error) !== true) ElMessage.error(describeProblem(error))
      return { ok: false, error }
    } finally {
      loading.value = false
    }
  }

  return { loading, run }
}
