// Files in the browser: save a download, show an image from a Blob.

/** Save a Blob under `filename` in the browser. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** A URL showing the Blob in the page (an inline image), and its release. */
export function objectUrl(blob: Blob): string {
  return URL.createObjectURL(blob)
}
export function releaseUrl(url: string): void {
  URL.revokeObjectURL(url)
}
