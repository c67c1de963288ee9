#!/usr/bin/env node
// The Mosaic command-line client: models, jobs, workers and rewards from a terminal. Run it as
// `scripts/mosaic` (which installs its locked dependencies). This file holds the commands:
// their arguments and what they print. The chain work is the client library's (lib/).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect, keypair } from './lib/chain.mjs';
import { tokenOf, parseAmount, formatAmount } from './lib/amounts.mjs';
import { isHash } from './lib/bytes.mjs';
import { storeBlob } from './lib/blobs.mjs';
import { modelSpec, registerModel, registerModelByUri, modelIdOf, modelView, listModels, modelVersion } from './lib/models.mjs';
import { submitJob, watchJob, JobTimeout, jobResult, registerWorker, workerStatus, leastFeePerWorker } from './lib/jobs.mjs';
import { pendingRewards, claimRewards } from './lib/rewards.mjs';
import { parseTensorSchemas, formatTensorSchemas, inputFormat, readJobInput } from './lib/tensors.mjs';

const USAGE = `usage: mosaic [--url ws://127.0.0.1:9944] [--seed //Alice | --mnemonic-file FILE] COMMAND

models
  model upload FILE                      store a file as a blob, in chunks, with progress
  model register NAME BLOB --inputs T --outputs T [--precision 4] [--tolerance N]
                 [--royalty 10] [--opset 17] [--license L] [--description D]
                 [--uri URI --size BYTES]
                                         register a model; T is name:type:dims,... e.g.
                                         image:f32:1x3x32x32 (type f32|f64|i32|i64|u8|bool);
                                         --uri: BLOB is the hash of the BYTES at URI (a model
                                         too large to upload), registered with the model
  model list                             every model with its versions
  model show ID|NAME                     one model with its versions
jobs
  job submit MODEL VERSION INPUT [--k 1] [--fee LEAST] [--deadline 60] [--watch]
                                         MODEL: id or name
                                         INPUT: .json (inline), .npy or .pb (stored as a blob)
  job train MODEL VERSION DATASET --params FILE|HASH [--epochs 5] [--batch 32] [--k 1]
            [--fee LEAST] [--deadline 60] [--watch]
                                         MODEL: a training-step graph; DATASET and --params:
                                         .scale tensor lists (stored as blobs); when it
                                         settles, the trained parameters' blob is printed
  job watch ID                           follow a job until it ends, then print its output
workers
  worker register KEY STAKE [--capacity 4]
                                         KEY: the worker key's secret URI or mnemonic (the
                                         node's mwrk key), which signs the ownership proof
  worker status [ADDRESS]
rewards
  rewards pending [ADDRESS]              what a claim pays now, and contribution points
  rewards claim [--for ADDRESS]

Keys: --seed takes a secret URI (default //Alice on a dev chain); --mnemonic-file reads a
mnemonic from a file. Amounts are in MSC (e.g. 1.5); a job's fee per worker defaults to the
least the chain takes for its model's outputs. Exit status is non-zero on any failure.`;

/** Every option of every command: two flags, and options that take a value. */
const OPTIONS = {
  help: { type: 'boolean' },
  watch: { type: 'boolean' },
  ...Object.fromEntries([
    'url', 'seed', 'mnemonic-file', 'inputs', 'outputs', 'precision', 'tolerance', 'royalty', 'opset', 'license',
    'description', 'k', 'fee', 'deadline', 'params', 'epochs', 'batch', 'capacity', 'for', 'uri', 'size',
  ].map((name) => [name, { type: 'string' }])),
};

/** A mistake in the command line: exit status 2, with the usage. */
class UsageError extends Error {}

function parseCommandLine(args) {
  try {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    return { positional: positionals, options: values };
  } catch (e) {
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw e;
    const missing = e.message.match(/^Option '(-[\w-]+)(?: <value>)?' argument (missing|is ambiguous)/);
    if (missing) throw new UsageError(`${missing[1]} needs a value`);
    const unknown = e.message.match(/^Unknown option '([^']+)'/);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : e.message.split('\n')[0]);
  }
}

/** `make()`, with whatever it throws reported as a usage error (after `prefix`). */
function usage(make, prefix = '') {
  try {
    return make();
  } catch (e) {
    throw new UsageError(`${prefix}${e.message}`);
  }
}

/** A non-negative integer argument, or a usage error naming it. */
function count(value, name) {
  if (!/^\d+$/.test(value ?? '')) throw new UsageError(`${name} must be a whole number, not ${value}`);
  return Number(value);
}

// ---------------------------------------------------------------- models

function progress(done, total) {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} chunks`);
  if (done === total) process.stderr.write('\n');
}

/** Stores `file` as a blob (or finds it stored and sealed), prints its hash and returns it. */
async function upload({ api, signer }, file) {
  const { hash, stored } = await storeBlob(api, signer, readFileSync(file), { onProgress: progress });
  console.log(stored ? hash : `${hash} (already stored)`);
  return hash;
}

async function modelUpload(ctx, [file]) {
  if (!file) throw new UsageError('model upload FILE');
  await upload(ctx, file);
}

async function modelRegister({ api, signer }, [name, blob], options) {
  if (!name || !isHash(blob)) throw new UsageError('model register NAME BLOB-HASH --inputs T --outputs T');
  const royalty = Number(options.royalty ?? 10);
  if (!(royalty >= 0 && royalty <= 100)) throw new UsageError('--royalty is a percentage');
  const tensors = (flag) => {
    if (!options[flag]) throw new UsageError(`--${flag} is required`);
    return usage(() => parseTensorSchemas(options[flag]), `--${flag}: `);
  };
  const spec = modelSpec({
    blob,
    opset: Number(options.opset ?? 17),
    inputs: tensors('inputs'),
    outputs: tensors('outputs'),
    precision: Number(options.precision ?? 4),
    tolerance: options.tolerance === undefined ? null : Number(options.tolerance),
    royalty,
  });
  const model = { name, description: options.description ?? '', license: options.license ?? 'unspecified', spec };
  if ((options.uri === undefined) !== (options.size === undefined)) throw new UsageError('--uri and --size go together');
  const size = Number(options.size);
  if (options.uri !== undefined && !(Number.isSafeInteger(size) && size > 0)) throw new UsageError('--size is a number of bytes');
  const id = options.uri === undefined
    ? await registerModel(api, signer, model)
    : await registerModelByUri(api, signer, { ...model, hash: blob, size, uri: options.uri });
  console.log(`model ${id} registered as ${name}`);
}

function showModel({ id, model, versions }) {
  console.log(`model ${id} ${model.name.toUtf8()} (owner ${model.owner}, licence ${model.license.toUtf8()})`);
  for (const [number, v] of versions) {
    console.log(`  v${number} ${v.status.type} blob ${v.spec.blob.toHex()} in ${formatTensorSchemas(v.spec.inputs)} `
      + `out ${formatTensorSchemas(v.spec.outputs)} precision ${v.spec.precision} royalty ${v.spec.royalty.toNumber() / 10_000}%`);
  }
}

async function modelList({ api }) {
  const views = await listModels(api);
  views.forEach(showModel);
  if (!views.length) console.log('no models');
}

async function modelShow({ api }, [which]) {
  if (which === undefined) throw new UsageError('model show ID|NAME');
  const id = await modelIdOf(api, which);
  const view = await modelView(api, id);
  if (!view) throw new Error(`no model ${id}`);
  showModel(view);
}

// ---------------------------------------------------------------- jobs

/** The fee per worker: `--fee`, or by default the least the chain takes for the version. */
async function feeOf(api, token, options, model, version, training) {
  if (options.fee !== undefined) return usage(() => parseAmount(options.fee, token.decimals));
  const view = await modelVersion(api, model, version);
  if (!view) throw new Error(`model ${model} has no version ${version}`);
  return leastFeePerWorker(api, view.spec.outputs, { training });
}

async function jobSubmit(ctx, [model, version, file], options) {
  if (!model || !version || !file) throw new UsageError('job submit MODEL VERSION INPUT');
  const { api, signer, token } = ctx;
  const versionNumber = count(version, 'VERSION');
  const k = count(options.k ?? '1', '--k');
  const deadlineBlocks = count(options.deadline ?? '60', '--deadline');
  usage(() => inputFormat(file));
  const modelId = await modelIdOf(api, model);
  const fee = await feeOf(api, token, options, modelId, versionNumber, false);
  const read = readJobInput(file);
  const input = read.inline
    ? { Inline: read.inline }
    : { Blob: { hash: await upload(ctx, file), format: read.format } };
  const submitted = await submitJob(api, signer, {
    model: modelId, version: versionNumber, input, replication: k, fee, deadlineBlocks,
  });
  console.log(`job ${submitted.id} submitted: ${formatAmount(submitted.held, token)} held in escrow`);
  if (options.watch) await jobWatch(ctx, [String(submitted.id)]);
}

async function jobTrain(ctx, [model, version, dataset], options) {
  if (!model || !version || !dataset || !options.params) {
    throw new UsageError('job train MODEL VERSION DATASET --params FILE|HASH');
  }
  const { api, signer, token } = ctx;
  const versionNumber = count(version, 'VERSION');
  const k = count(options.k ?? '1', '--k');
  const epochs = count(options.epochs ?? '5', '--epochs');
  const batchSize = count(options.batch ?? '32', '--batch');
  const deadlineBlocks = count(options.deadline ?? '60', '--deadline');
  const modelId = await modelIdOf(api, model);
  const fee = await feeOf(api, token, options, modelId, versionNumber, true);
  const blobOf = async (fileOrHash) => (isHash(fileOrHash) ? fileOrHash : upload(ctx, fileOrHash));
  const parameters = await blobOf(options.params);
  const input = { Blob: { hash: await blobOf(dataset), format: 'Scale' } };
  const submitted = await submitJob(api, signer, {
    model: modelId, version: versionNumber, kind: { Training: { parameters, epochs, batchSize } }, input, replication: k, fee, deadlineBlocks,
  });
  console.log(`training job ${submitted.id} submitted: ${formatAmount(submitted.held, token)} held in escrow`);
  if (options.watch) await jobWatch(ctx, [String(submitted.id)]);
}

async function jobWatch({ api }, [id]) {
  const jobId = count(id, 'job watch ID');
  const onChange = (j) => console.log(`job ${id}: ${j.status.type}${j.assignees.length ? ` (${j.assignees.length} workers)` : ''}`);
  let job;
  try {
    ({ job } = await watchJob(api, jobId, { timeoutMs: 600_000, onChange }));
  } catch (e) {
    throw e instanceof JobTimeout ? new Error(`job ${id} still open after 10 minutes`) : e;
  }
  if (job.status.isSettled) {
    const version = await modelVersion(api, job.model, job.version);
    const result = jobResult(job, version.spec.precision.toNumber());
    console.log(`settled: ${result.agreeing} workers agreed, digest ${result.digest}`);
    if (result.outputs) {
      for (const t of result.outputs) console.log(`  ${t.name} [${t.shape.join('x')}]: ${t.values.join(' ')}`);
    } else if (result.error === null) {
      console.log(`  output digest ${result.digest} (too large to reveal on chain)`);
    } else {
      console.log(`  executor error ${result.error}`);
    }
    if (result.parameters) console.log(`trained parameters: blob ${result.parameters}`);
  } else if (job.status.isFailed) {
    throw new Error(`job ${id} failed: ${JSON.stringify(job.status.asFailed.toHuman())}`);
  } else {
    throw new Error(`job ${id} was cancelled`);
  }
}

// ---------------------------------------------------------------- workers and rewards

async function workerRegister({ api, signer, token }, [key, stake], options) {
  if (!key || !stake) throw new UsageError('worker register KEY STAKE [--capacity 4]');
  const amount = usage(() => parseAmount(stake, token.decimals));
  const keyPair = await keypair(key).catch((e) => { throw new UsageError(`KEY: ${e.message}`); });
  await registerWorker(api, signer, { keyPair, stake: amount, capacity: count(options.capacity ?? '4', '--capacity') });
  console.log(`${signer.address} is a worker with key ${keyPair.address}, ${formatAmount(amount, token)} staked`);
}

async function workerShow({ api, signer, token }, [address]) {
  const who = address ?? signer.address;
  const status = await workerStatus(api, who);
  if (!status) throw new Error(`${who} is not a worker`);
  const { worker: w, jobs } = status;
  console.log(`${who}: ${w.status.type}, stake ${formatAmount(w.stake, token)}, unbonding ${formatAmount(w.unbonding, token)}, `
    + `${w.assigned}/${w.capacity} jobs${jobs.length ? ` (${jobs.join(', ')})` : ''}, key ${w.key}`);
}

async function rewardsPending({ api, signer, token }, [address]) {
  const who = address ?? signer.address;
  const { pending, points } = await pendingRewards(api, who);
  console.log(`${who}: ${formatAmount(pending, token)} to claim`);
  for (const { era, points: p } of points) {
    console.log(`  era ${era}: compute ${p.compute}, data ${p.data}, model ${p.model}, validation ${p.validation}`);
  }
}

async function rewardsClaim({ api, signer, token }, _positional, options) {
  const claimed = await claimRewards(api, signer, options.for ?? null);
  console.log(`claimed ${formatAmount(claimed.amount, token)} for ${claimed.who}`);
}

const COMMANDS = {
  'model upload': modelUpload,
  'model register': modelRegister,
  'model list': modelList,
  'model show': modelShow,
  'job submit': jobSubmit,
  'job train': jobTrain,
  'job watch': jobWatch,
  'worker register': workerRegister,
  'worker status': workerShow,
  'rewards pending': rewardsPending,
  'rewards claim': rewardsClaim,
};

async function main() {
  const { positional, options } = parseCommandLine(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (positional.length < 2) throw new UsageError('no command');
  const command = COMMANDS[`${positional[0]} ${positional[1]}`];
  if (!command) throw new UsageError(`unknown command: ${positional.slice(0, 2).join(' ')}`);
  const api = await connect(options.url ?? 'ws://127.0.0.1:9944');
  try {
    const secret = options['mnemonic-file'] ? readFileSync(options['mnemonic-file'], 'utf8').trim() : options.seed ?? '//Alice';
    const ctx = { api, signer: await keypair(secret), token: tokenOf(api) };
    await command(ctx, positional.slice(2), options);
  } finally {
    await api.disconnect();
  }
}

main().then(() => process.exit(0), (e) => {
  if (e instanceof UsageError) {
    console.error(`mosaic: ${e.message}\n`);
    console.error(USAGE);
    process.exit(2);
  }
  console.error(`mosaic: ${e.message}`);
  process.exit(1);
});
