import { onBeforeUnmount, ref } from 'vue'

/** Below this width the app takes its phone layout (the menu in a drawer, no fixed table columns). */
export const PHONE_MAX_WIDTH = 767

const query = `(max-width: ${PHONE_MAX_WIDTH}px)`

/** True on a phone-sized window, kept up to date as the window turns or resizes. */
export function useViewport() {
  const media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(query) : null
  const isPhone = ref(media?.matches ?? false)
  const update = (event: MediaQueryListEvent) => {
    isPhone.value = event.matches
  }
  media?.addEventListener?.('change', update)
  onBeforeUnmount(() => media?.removeEventListener?.('change', update))
  return { isPhone }
}
