// @vitest-environment node
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = new URL('../../src/', import.meta.url).pathname

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}

describe('layering', () => {
  it('keeps API addresses and the raw client out of pages, components and composables', () => {
    const offenders: string[] = []
    for (const folder of ['views', 'components', 'composables', 'layouts']) {
      for (const file of files(join(SRC, folder))) {
        const text = readFileSync(file, 'utf8')
        if (/['"`]\/api\//.test(text) || /from '@\/api\/client'/.test(text)) offenders.push(relative(SRC, file))
      }
    }
    expect(offenders, 'call a function of a domain module in src/api/ instead').toEqual([])
  })
})
