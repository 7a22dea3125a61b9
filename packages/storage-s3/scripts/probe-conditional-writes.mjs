// Measures whether an S3 store's conditional PUT (If-Match) is atomic against a concurrent plain PUT
// of the same key: each round writes a key, then races a PUT with If-Match (the ETag just read) and a
// plain PUT. If both succeed, only "conditional first, then plain" is a valid order, so the object
// must end with the plain PUT's bytes; ending with the conditional one's is a violation.
//
//   node scripts/probe-conditional-writes.mjs ENDPOINT BUCKET ACCESS_KEY SECRET [ROUNDS]
//
// (radosgw wants the ETag unquoted in If-Match, so the bare form is sent; see s3-driver.ts.)
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'

const [endpoint, bucket, accessKeyId, secretAccessKey, rounds = '300'] = process.argv.slice(2)
if (!secretAccessKey) throw new Error('usage: probe-conditional-writes.mjs ENDPOINT BUCKET ACCESS_KEY SECRET [ROUNDS]')
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const put = (Key, Body, IfMatch) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...(IfMatch ? { IfMatch } : {}) }))
const counts = { rounds: Number(rounds), bothSucceeded: 0, conditionalRefused: 0, violations: 0 }
for (let i = 0; i < counts.rounds; i++) {
  const key = `probe-conditional-writes/${i}`
  const { ETag } = await put(key, `initial ${i}`)
  // The plain PUT starts 0-6 ms later, so the two land in either order over the rounds.
  const plain = new Promise((resolve) => setTimeout(resolve, i % 7)).then(() => put(key, `plain ${i}`))
  const [conditional, unconditional] = await Promise.allSettled([put(key, `conditional ${i}`, ETag.replaceAll('"', '')), plain])
  const final = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToString()
  if (conditional.status === 'rejected') counts.conditionalRefused++
  if (conditional.status === 'fulfilled' && unconditional.status === 'fulfilled') {
    counts.bothSucceeded++
    if (final.startsWith('conditional')) counts.violations++
  }
}
console.log(JSON.stringify(counts))
client.destroy()
