import { parseArgs } from 'node:util'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url))

/**
 * The benchmark's settings, from flags first, then BENCH_* environment variables, then defaults.
 * `--quick` only changes the defaults (two small sizes, one repetition, 2 s load runs) so that CI can
 * afford a smoke run; explicit flags or variables still win over it.
 *
 * @typedef {object} BenchOptions
 * @property {number[]} sizesMiB blob sizes pushed and pulled, ascending; targets use the largest
 * @property {number} repetitions how many interleaved rounds; tables show the median
 * @property {number} durationSeconds length of each request-rate run
 * @property {number} connections concurrent connections of each request-rate run
 * @property {boolean} quick whether the smoke defaults apply
 * @property {string} out markdown report path
 * @property {string} tmp directory under which the work directory is made (same disk for both servers)
 * @property {string} wharfCli the standalone wharf server script
 * @property {string} referenceBin the reference registry's binary
 * @property {string | undefined} cpuProfDir when set, wharf runs under `node --cpu-prof` writing here
 */

/** Parses `argv` and `env` into {@link BenchOptions}; throws with a usage message on a bad value. */
export function toBenchOptions(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      repetitions: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
      tmp: { type: 'string' },
      'wharf-cli': { type: 'string' },
      'reference-bin': { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) throw new UsageError(usage)
  const quick = values.quick || env.BENCH_QUICK === '1'
  const pick = (flag, variable, fallback) => values[flag] ?? env[variable] ?? fallback
  const sizesMiB = pick('sizes', 'BENCH_SIZES', quick ? '16,64' : '64,512')
    .split(',')
    .map((part) => toPositiveNumber(part, 'sizes'))
    .sort((a, b) => a - b)
  return {
    sizesMiB,
    repetitions: Math.round(toPositiveNumber(pick('repetitions', 'BENCH_REPETITIONS', quick ? '1' : '3'), 'repetitions')),
    durationSeconds: toPositiveNumber(pick('duration', 'BENCH_DURATION', quick ? '2' : '10'), 'duration'),
    connections: Math.round(toPositiveNumber(pick('connections', 'BENCH_CONNECTIONS', '32'), 'connections')),
    quick,
    // A smoke run must not overwrite the committed full-run figures.
    out: pick('out', 'BENCH_OUT', `${here}results/${quick ? 'quick.md' : 'fresh-servers.md'}`),
    tmp: pick('tmp', 'BENCH_TMP', tmpdir()),
    wharfCli: pick('wharf-cli', 'BENCH_WHARF_CLI', `${here}../packages/server/dist/cli.js`),
    referenceBin: pick('reference-bin', 'BENCH_REFERENCE_BIN', '/usr/bin/docker-registry'),
    cpuProfDir: pick('cpu-prof', 'BENCH_CPU_PROF', undefined),
  }
}

/** Thrown for bad flags; the runner prints its message and exits with status 2. */
export class UsageError extends Error {
  name = 'UsageError'
}

function toPositiveNumber(text, name) {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(text)}\n\n${usage}`)
  return value
}

const usage = `usage: node benchmarks/run.mjs [--quick] [--sizes=64,512] [--repetitions=3] [--duration=10]
       [--connections=32] [--out=FILE] [--tmp=DIR] [--wharf-cli=FILE] [--reference-bin=FILE] [--cpu-prof=DIR]
Each flag also reads from BENCH_<NAME> (e.g. BENCH_SIZES=64,512). Sizes are in MiB, duration in seconds.`
