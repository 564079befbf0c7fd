import { vi } from 'vitest'

// jsdom has no layout: Element Plus tables and charts watch their size through ResizeObserver.
vi.stubGlobal(
  'ResizeObserver',
  class {
    observe() {}
    unobserve() {}
    disconnect() {}
  },
)
