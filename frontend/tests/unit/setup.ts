// jsdom has no layout: Element Plus tables and charts watch their size through ResizeObserver. Assigned, not
// stubbed, so that a test's vi.unstubAllGlobals() leaves it in place.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
}
