// The tus reference client (tus-js-client) uploading one file, for Edge.Fleet's weaklink-upload (--method tus):
//   node client.mjs ENDPOINT FILE CHUNK_BYTES RETRY_MS
// CHUNK_BYTES 0 sends the whole file in one PATCH (chunkSize Infinity); otherwise PATCHes of that size. After a failed
// request it retries every RETRY_MS (a HEAD for the offset, then the next PATCH), without limit while it progresses.
// Protocol on stdio, so the caller's clock and cuts start with the upload and not with Node's start: it first uploads
// a small warm-up file (so nothing runs for the first time inside the measurement; its connection is closed after),
// prints "ready", waits for a line on stdin, uploads FILE and prints "done SECONDS PATCHES" (or "failed MESSAGE").
// With TUS_TRACE=1 it also prints "trace SECONDS WHAT" for every request, answer and retry of the measured upload.
import fs from 'node:fs'
import http from 'node:http'
import readline from 'node:readline'
import { Upload } from 'tus-js-client'

const [endpoint, file, chunkArg = '0', retryArg = '250'] = process.argv.slice(2)
const chunkSize = Number(chunkArg) > 0 ? Number(chunkArg) : Infinity
const retryDelays = Array(1000).fill(Number(retryArg))

let tracing = false // from the measured upload's start, with TUS_TRACE=1
let origin = process.hrtime.bigint()
const trace = (what) => { if (tracing) { console.log(`trace ${(Number(process.hrtime.bigint() - origin) / 1e9).toFixed(3)} ${what}`) } }

function upload (data, name, onAttempt) {
  return new Promise((resolve, reject) => {
    const tus = new Upload(data, {
      endpoint,
      chunkSize,
      retryDelays,
      uploadSize: data.length,
      metadata: { filename: name },
      storeFingerprintForResuming: false,
      onBeforeRequest: (request) => {
        if (request.getMethod() === 'PATCH') { onAttempt() }
        trace(`${request.getMethod()} ${request.getHeader('Upload-Offset') ?? ''}`)
      },
      onAfterResponse: (request, response) => trace(`${request.getMethod()} answered ${response.getStatus()} offset ${response.getHeader('Upload-Offset') ?? ''}`),
      onShouldRetry: (error, attempt) => {
        // tus-js-client's own rule (a request that failed or drew 5xx, 409 or 423), traced.
        const status = error?.originalResponse?.getStatus() ?? 0
        const retry = status < 400 || status >= 500 || status === 409 || status === 423
        trace(`retry ${attempt} (${retry}): ${String(error?.message ?? error).split('\n')[0].slice(0, 120)}`)
        return retry
      },
      onSuccess: resolve,
      onError: reject,
    })
    tus.start()
  })
}

await upload(Buffer.alloc(16384, 7), 'warm-up', () => {})
http.globalAgent.destroy() // the measured upload opens its own connection, as the SDK's does
const photo = fs.readFileSync(file)
console.log('ready')
const input = readline.createInterface({ input: process.stdin })
await new Promise((resolve) => input.once('line', resolve))
input.close()
let patches = 0
const started = process.hrtime.bigint()
origin = started
tracing = process.env.TUS_TRACE === '1'
try {
  await upload(photo, 'photo.jpg', () => { patches++ })
  console.log(`done ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} ${patches}`)
} catch (error) {
  console.log(`failed ${String(error?.message ?? error).split('\n')[0]}`)
  process.exitCode = 1
}
