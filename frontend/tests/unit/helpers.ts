import { vi } from 'vitest'

export interface Recorded {
  method: string
  path: string
  search: string
  headers: Headers
  body: string
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> }
type Handler = (request: Recorded) => Reply

/** Replace fetch with a router of canned answers; returns the requests it saw. */
export function mockFetch(routes: Record<string, Handler | Reply | Reply[]>): Recorded[] {
  const seen: Recorded[] = []
  const queues = new Map<string, Reply[]>()
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request | string, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init)
      const url = new URL(request.url)
      const recorded: Recorded = {
        method: request.method,
        path: url.pathname,
        search: url.search,
        headers: request.headers,
        body: await request.text(),
      }
      seen.push(recorded)
      const key = `${request.method} ${url.pathname}`
      const route = routes[key]
      let reply: Reply
      if (route === undefined) reply = { status: 404, body: { type: 'about:blank', title: 'Not found', status: 404 } }
      else if (typeof route === 'function') reply = route(recorded)
      else if (Array.isArray(route)) {
        const queue = queues.get(key) ?? [...route]
        queues.set(key, queue)
        reply = queue.length > 1 ? (queue.shift() as Reply) : (queue[0] as Reply)
      } else reply = route
      const isProblem = reply.status >= 400
      return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
        status: reply.status,
        headers: {
          'Content-Type': isProblem ? 'application/problem+json' : 'application/json',
          ...reply.headers,
        },
      })
    }),
  )
  return seen
}

export function tokenReply(access = 'access-1', refresh = 'refresh-1', expiresIn = 900): Reply {
  return {
    status: 200,
    body: { access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: refresh, scope: 'units:read' },
  }
}

export const ME = {
  id: '00000000-0000-0000-0000-000000000001',
  kind: 'user',
  username: 'jinhu_worker',
  display_name: '李社工',
  role: 'caseworker',
  unit: { id: '00000000-0000-0000-0000-0000000000a1', name: '锦湖街道', kind: 'township' },
  scopes: ['units:read'],
  must_change_password: false,
}

export function problem(status: number, slug: string, detail?: string, extra: Record<string, unknown> = {}): Reply {
  return {
    status,
    body: { type: `https://qinghu.example/problems/${slug}`, title: slug, status, ...(detail ? { detail } : {}), ...extra },
  }
}
