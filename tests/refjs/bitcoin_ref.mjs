// Reference decoder for the differential tests of wasm-src/bitcoin-* (tests/test_mod_bitcoin*.py).
//
// The IPLD team's Bitcoin codec (@ipld/bitcoin, github.com/ipld/js-bitcoin) is not served by the
// npm registry, so this harness runs the library it decodes with, `bitcoin-block` (rvagg, pinned in
// tools/setup.d/32-refjs-btc-jose.package.json), and adds the links that @ipld/bitcoin documents on
// top of its porcelain (src/bitcoin-block.js, src/bitcoin-tx.js, src/bitcoin-witness-commitment.js):
//   0xb0: header porcelain + parent (null for genesis) + tx (merkle root as bitcoin-tx link)
//   0xb1: a transaction's porcelain + vin[i].tx links + coinbase witnessCommitment link,
//         or a 64-byte merkle node [left|null, right]
//   0xb2: {witnessMerkleRoot: link|null, nonce: bytes}
// The result is encoded with @ipld/dag-cbor, the JS reference DAG-CBOR encoder.
//
// Usage: REFJS_DIR=.cache/refjs-btc-jose node bitcoin_ref.mjs < lines
// Each input line is "<codec> <hex>" (codec: block | tx | wc); each output line is the DAG-CBOR
// of the decoded node in hex, or "ERR <message>" when the reference refuses the block.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'
import path from 'node:path'

const dir = path.resolve(process.env.REFJS_DIR || '.cache/refjs-btc-jose')
const require = createRequire(path.join(dir, 'package.json'))
const { BitcoinBlock, BitcoinTransaction, fromHashHex } = require('bitcoin-block')
const mod = (p) => import(pathToFileURL(path.join(dir, 'node_modules', p)).href)
const dagCbor = await mod('@ipld/dag-cbor/src/index.js')
const { CID } = await mod('multiformats/dist/src/cid.js')
const Digest = await mod('multiformats/dist/src/hashes/digest.js')

const DBL_SHA2_256 = 0x56
const link = (codec, digest) => CID.create(1, codec, Digest.create(DBL_SHA2_256, digest))
const isNull = (b) => b.length === 32 && b.every((x) => x === 0)

function decodeHeader (bytes) {
  const node = BitcoinBlock.decodeHeaderOnly(bytes, true).toPorcelain()
  node.parent = node.previousblockhash ? link(0xb0, fromHashHex(node.previousblockhash)) : null
  node.tx = link(0xb1, fromHashHex(node.merkleroot))
  return node
}

function decodeTx (bytes) {
  let tx = null
  if (bytes.length !== 64 || !isNull(bytes.subarray(0, 32))) {
    try {
      tx = BitcoinTransaction.decode(bytes, true)
      if (bytes.length === 64 && (tx.vin.length === 0 || tx.vout.length === 0)) tx = null
    } catch (err) {
      if (bytes.length !== 64) throw err
    }
  }
  if (tx === null) {
    if (bytes.length !== 64) throw new Error('not a transaction')
    const left = bytes.subarray(0, 32)
    return [isNull(left) ? null : link(0xb1, left), link(0xb1, bytes.subarray(32))]
  }
  const node = tx.toPorcelain()
  if (tx.isCoinbase()) {
    const wc = tx.getWitnessCommitment()
    if (wc) node.witnessCommitment = link(0xb2, wc)
  }
  for (const vin of node.vin) {
    if (typeof vin.txid === 'string' && /^[0-9a-f]{64}$/.test(vin.txid)) vin.tx = link(0xb1, fromHashHex(vin.txid))
  }
  return node
}

function decodeWitnessCommitment (bytes) {
  if (bytes.length !== 64) throw new Error('bitcoin-witness-commitment must be a 64-byte Uint8Array')
  const root = bytes.subarray(0, 32)
  return { witnessMerkleRoot: isNull(root) ? null : link(0xb1, root), nonce: bytes.slice(32) }
}

const decoders = { block: decodeHeader, tx: decodeTx, wc: decodeWitnessCommitment }
const out = []
for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue
  const [codec, hex] = line.split(' ')
  try {
    const node = decoders[codec](Uint8Array.from(Buffer.from(hex, 'hex')))
    out.push(Buffer.from(dagCbor.encode(node)).toString('hex'))
  } catch (err) {
    out.push('ERR ' + String(err.message).replace(/\n/g, ' '))
  }
}
process.stdout.write(out.join('\n') + '\n')
