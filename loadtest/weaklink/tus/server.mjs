// The tus reference server (@tus/server, @tus/file-store) with its defaults, for loadtest/weaklink/run.sh:
//   node server.mjs PORT DIRECTORY
// Serves tus uploads at http://0.0.0.0:PORT/files/ and stores them under DIRECTORY.
import { Server } from '@tus/server'
import { FileStore } from '@tus/file-store'

const port = Number(process.argv[2] ?? 5082)
const directory = process.argv[3] ?? '/tmp/edge-weaklink-tus'
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) })
server.listen({ host: '0.0.0.0', port }, () => console.log(`tus server on :${port}, files in ${directory}`))
