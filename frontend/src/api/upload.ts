// One file posted as multipart/form-data with upload progress (XMLHttpRequest: fetch reports none), answered
// 201 with the stored file's description or a problem.
import { acceptLanguage } from './client'
import { ApiError, networkError, toProblem } from './problem'
import { getAccessToken } from './tokens'

/** POST `file` to `url`; `onProgress` gets 0–100. */
export function uploadWithProgress<T>(url: string, file: File, onProgress: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', url)
    const token = getAccessToken()
    if (token) request.setRequestHeader('Authorization', `Bearer ${token}`)
    request.setRequestHeader('Accept-Language', acceptLanguage())
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100))
    }
    request.onerror = () => reject(networkError())
    request.onload = () => {
      let body: unknown = null
      try {
        body = JSON.parse(request.responseText)
      } catch {
        body = null
      }
      if (request.status === 201) resolve(body as T)
      else reject(new ApiError(toProblem(request.status, body), null))
    }
    const form = new FormData()
    form.append('file', file)
    request.send(form)
  })
}
