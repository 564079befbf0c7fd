// Reference data: the labels of every code the API uses, in Chinese and English.
import { api, unwrap } from './client'
import type { ReferenceData } from './types'

export function getReference(): Promise<ReferenceData> {
  return unwrap(api.GET('/api/v1/reference'))
}
