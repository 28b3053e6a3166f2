// Reference decoder for the differential tests of wasm-src/dag-jose (tests/test_mod_jose.py):
// the IPLD team's dag-jose codec from npm (pinned in tools/setup.d/32-refjs-btc-jose.package.json),
// its decode() result re-encoded with @ipld/dag-cbor, the JS reference DAG-CBOR encoder.
//
// Usage: REFJS_DIR=.cache/refjs-btc-jose node jose_ref.mjs < lines
// Each input line is the hex of a dag-jose block; each output line is the DAG-CBOR of the decoded
// node in hex, or "ERR <message>" when the reference refuses the block (or its decoded form cannot
// be written as DAG-CBOR).
import { pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'
import path from 'node:path'

const dir = path.resolve(process.env.REFJS_DIR || '.cache/refjs-btc-jose')
const mod = (p) => import(pathToFileURL(path.join(dir, 'node_modules', p)).href)
const dagJose = await mod('dag-jose/lib/index.js')
const dagCbor = await mod('@ipld/dag-cbor/src/index.js')

const out = []
for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue
  try {
    const node = dagJose.decode(Uint8Array.from(Buffer.from(line.trim(), 'hex')))
    out.push(Buffer.from(dagCbor.encode(node)).toString('hex'))
  } catch (err) {
    out.push('ERR ' + String(err.message).replace(/\n/g, ' '))
  }
}
process.stdout.write(out.join('\n') + '\n')
