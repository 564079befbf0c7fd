// The to-do centre (我的待办): what is waiting for the signed-in person, counted in their scope.
import { api, unwrap } from './client'
import type { Todo } from './types'

export function getTodo(): Promise<Todo> {
  return unwrap(api.GET('/api/v1/me/todo'))
}
