'use strict';
// A handheld written in another stack, from protos/ and docs/protocol.md alone: it uploads a photo with a cut in the
// middle and resumes it, then submits a proof of delivery naming the photo at a stop of the route's manifest, and
// waits until the core has committed it.
//
//   node interop.js --address 127.0.0.1:5080 --token <device token> --photo photo.jpg [--route R-0001]
//
// Prints one JSON line per step on stdout and ends with {"step":"done"}; exits 1 with the failure on stderr.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const CHUNK_BYTES = 16 * 1024;
const WAIT_MS = 30000;

function parseArgs(argv) {
  const args = { route: 'R-0001' };
  for (let i = 0; i < argv.length; i += 2) {
    args[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  for (const name of ['address', 'token', 'photo']) {
    if (!args[name]) {
      throw new Error(`--${name} is required`);
    }
  }
  return args;
}

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function report(step, fields = {}) {
  process.stdout.write(JSON.stringify({ step, ...fields }) + '\n');
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function loadServices() {
  const protos = path.resolve(__dirname, '..', '..', '..', 'protos');
  const definition = protoLoader.loadSync(
    ['edge/v1/uploads.proto', 'edge/v1/proofs.proto', 'edge/v1/manifests.proto'],
    { includeDirs: [protos], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  return grpc.loadPackageDefinition(definition).edge.v1;
}

function unary(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + 10000 }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One Upload stream: the start message, then the caller's plan for it. Responses are read as a queue.
function openUpload(uploads, metadata, start) {
  const call = uploads.Upload(metadata);
  const queue = [];
  const waiters = [];
  let ended = null;
  const settle = () => {
    while (waiters.length > 0 && (queue.length > 0 || ended)) {
      const waiter = waiters.shift();
      if (queue.length > 0) {
        waiter.resolve(queue.shift());
      } else if (ended.error) {
        waiter.reject(ended.error);
      } else {
        waiter.resolve(null);
      }
    }
  };
  call.on('data', (response) => { queue.push(response); settle(); });
  call.on('error', (error) => { ended = { error }; settle(); });
  call.on('end', () => { ended = ended || { error: null }; settle(); });
  call.on('status', () => { ended = ended || { error: null }; settle(); });
  call.write({ start });
  const next = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no upload response in time')), WAIT_MS);
    waiters.push({
      resolve: (value) => { clearTimeout(timer); resolve(value); },
      reject: (error) => { clearTimeout(timer); reject(error); },
    });
    settle();
  });
  const send = (photo, offset, length, corrupt = false) => {
    const data = photo.subarray(offset, offset + length);
    const crc = crc32c(data);
    call.write({ chunk: { offset: String(offset), data, crc32c: corrupt ? (crc ^ 1) >>> 0 : crc } });
    return offset + data.length;
  };
  return { call, next, send };
}

async function upload(uploads, metadata, photo, sha256) {
  const start = { upload_id: `node-${crypto.randomUUID()}`, sha256, size_bytes: String(photo.length), content_type: 'image/jpeg' };

  const missing = await unary(uploads, 'FindMissingBlobs', { sha256: [sha256] }, metadata);
  check(missing.missing_sha256.includes(sha256), 'the gateway already has the photo; the test needs a fresh one');

  // First stream: about half the photo, then the signal drops.
  const first = openUpload(uploads, metadata, start);
  const started = await first.next();
  check(started && started.kind === 'started', `expected started, got ${JSON.stringify(started)}`);
  check(Number(started.started.committed_offset) === 0, 'a new upload starts at 0');
  const maxChunk = started.started.max_chunk_bytes || CHUNK_BYTES;
  const chunk = Math.min(CHUNK_BYTES, maxChunk);
  const half = Math.floor(photo.length / 2);
  let offset = 0;
  while (offset < half) {
    offset = first.send(photo, offset, Math.min(chunk, half - offset));
  }
  let acked = 0;
  while (acked === 0) {
    const response = await first.next();
    check(response && response.kind === 'ack', `expected an ack, got ${JSON.stringify(response)}`);
    acked = Number(response.ack.committed_offset);
  }
  first.call.cancel();
  report('cut', { sent: offset, acked });

  const query = await unary(uploads, 'QueryUpload', { upload_id: start.upload_id }, metadata);
  const queried = Number(query.committed_offset);
  check(query.state === 'IN_PROGRESS', `expected IN_PROGRESS, got ${query.state}`);
  check(queried >= acked && queried <= offset, `committed ${queried} outside [${acked}, ${offset}]`);
  report('queried', { committed_offset: queried });

  // Second stream: the same start message; continue from what the gateway says it holds.
  const second = openUpload(uploads, metadata, start);
  const resumed = await second.next();
  check(resumed && resumed.kind === 'started' && !resumed.started.blob_exists, `expected started, got ${JSON.stringify(resumed)}`);
  offset = Number(resumed.started.committed_offset);
  check(offset >= queried, `resumed at ${offset}, before the queried ${queried}`);
  report('resumed', { committed_offset: offset });

  // A chunk damaged on the way costs that chunk: the stream stays open and says where to go on.
  second.send(photo, offset, Math.min(chunk, photo.length - offset), true);
  const refused = await second.next();
  check(refused && refused.kind === 'rejected' && refused.rejected.reason === 'CRC32C_MISMATCH',
    `expected CRC32C_MISMATCH, got ${JSON.stringify(refused)}`);
  offset = Number(refused.rejected.expected_offset);
  report('refused', { reason: refused.rejected.reason, expected_offset: offset });

  while (offset < photo.length) {
    offset = second.send(photo, offset, Math.min(chunk, photo.length - offset));
  }
  let completed = null;
  while (!completed) {
    const response = await second.next();
    check(response !== null, 'the stream ended before the upload completed');
    if (response.kind === 'completed') {
      completed = response.completed;
    } else {
      check(response.kind === 'ack', `unexpected ${JSON.stringify(response)}`);
    }
  }
  second.call.end();
  check(completed.blob.sha256 === sha256, `completed digest ${completed.blob.sha256}, sent ${sha256}`);
  check(/^[0-9a-f]{64}$/.test(completed.blob.stored_sha256), 'stored_sha256 is 64 lowercase hex');
  check(completed.blob.photo && completed.blob.photo.format === 'JPEG', 'the photo report names JPEG');
  report('completed', { sha256: completed.blob.sha256, stored_sha256: completed.blob.stored_sha256, format: completed.blob.photo.format });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const edge = loadServices();
  const credentials = grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${args.token}`);
  const uploads = new edge.Uploads(args.address, credentials);
  const proofs = new edge.Proofs(args.address, credentials);
  const manifests = new edge.Manifests(args.address, credentials);

  const photo = fs.readFileSync(args.photo);
  const sha256 = crypto.createHash('sha256').update(photo).digest('hex');
  await upload(uploads, metadata, photo, sha256);

  const answer = await unary(manifests, 'GetManifest', { route_id: args.route, known_version: '0' }, metadata);
  check(answer.manifest, 'GetManifest with version 0 answers the manifest');
  const stop = answer.manifest.stops.find((s) => !s.confidential && !s.photo_opt_out && s.packages.length > 0);
  check(stop, 'the route has a stop that takes photos');
  report('manifest', { version: answer.manifest.version, stop_id: stop.stop_id });

  const now = Date.now();
  const proofId = `node-proof-${crypto.randomUUID()}`;
  const receipt = await unary(proofs, 'SubmitProof', {
    proof_id: proofId,
    route_id: args.route,
    stop_id: stop.stop_id,
    package_ids: [stop.packages[0].package_id],
    delivered_at: { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 },
    location: { latitude: stop.location.latitude, longitude: stop.location.longitude, accuracy_meters: 8 },
    place_left: 'FRONT_DOOR',
    photo_sha256: [sha256],
  }, metadata);
  check(receipt.status === 'RECEIVED' || receipt.status === 'COMMITTED', `SubmitProof answered ${receipt.status}`);
  report('submitted', { proof_id: proofId, status: receipt.status });

  const deadline = Date.now() + WAIT_MS;
  let status = receipt.status;
  while (status !== 'COMMITTED') {
    check(status !== 'REJECTED', 'the core rejected the proof');
    check(Date.now() < deadline, `still ${status} after ${WAIT_MS} ms`);
    await sleep(100);
    status = (await unary(proofs, 'GetProofStatus', { proof_id: proofId }, metadata)).status;
  }
  report('committed', { proof_id: proofId });

  for (const client of [uploads, proofs, manifests]) {
    client.close();
  }
  report('done');
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`interop failed: ${error.stack || error}\n`);
    process.exit(1);
  });
