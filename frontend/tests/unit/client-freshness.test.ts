// @vitest-environment node
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'

const SPEC = new URL('../../../openapi/openapi.json', import.meta.url)
const COMMITTED = new URL('../../src/api/schema.d.ts', import.meta.url)

describe('generated API client', () => {
  it('matches the committed OpenAPI spec', async () => {
    const generated = `${COMMENT_HEADER}${astToString(await openapiTS(SPEC, { silent: true }))}`
    const committed = readFileSync(COMMITTED, 'utf8')
    expect(
      committed === generated,
      'src/api/schema.d.ts is stale: the OpenAPI spec changed — run make openapi (or npm run generate:client) and commit the result',
    ).toBe(true)
  }, 60_000)
})
