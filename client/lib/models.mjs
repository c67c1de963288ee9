// The model registry: version specs, registration, and looking models up by id or name.
import { send, eventData } from './tx.mjs';

/**
 * A version spec for `blob` with `inputs` and `outputs` tensor schemas (see tensors.mjs).
 * `royalty` is a percentage (the chain holds it in parts per million); `tolerance` null
 * asks for exact agreement; `parent` is `[model, version]` or null; `parameters` a blob or null.
 */
export function modelSpec({
  blob, inputs, outputs, opset = 17, precision = 4, tolerance = null, royalty = 10, parent = null, parameters = null,
}) {
  if (!(royalty >= 0 && royalty <= 100)) throw new RangeError(`royalty ${royalty}: a percentage`);
  return { blob, opset, inputs, outputs, precision, tolerance, royalty: Math.round(royalty * 10_000), parent, parameters };
}

/** Registers model `name` with its first version `spec` for `signer`; resolves with its id. */
export async function registerModel(api, signer, { name, description = '', license = 'unspecified', spec }) {
  const { events } = await send(api.tx.models.registerModel(name, description, license, spec), signer);
  const registered = eventData(events, api.events.models.ModelRegistered);
  if (!registered) throw new Error(`no ModelRegistered for ${name}`);
  return registered.model.toNumber();
}

/**
 * Registers model `name` on bytes that live at `uri` (a model too large to upload): registers
 * the blob (`hash`, `size`) by URI and the model on it in one `utility.batchAll`, so nobody can
 * register the hash with another URI in between. `spec.blob` must be `hash`. Resolves with the
 * model's id.
 */
export async function registerModelByUri(api, signer, { hash, size, uri, name, description = '', license = 'unspecified', spec }) {
  const { events } = await send(api.tx.utility.batchAll([
    api.tx.blobs.registerUri(hash, size, uri),
    api.tx.models.registerModel(name, description, license, spec),
  ]), signer);
  const registered = eventData(events, api.events.models.ModelRegistered);
  if (!registered) throw new Error(`no ModelRegistered for ${name}`);
  return registered.model.toNumber();
}

/** The id of model `which`: an id (digits), or the name of a registered model. */
export async function modelIdOf(api, which) {
  if (/^\d+$/.test(String(which))) return Number(which);
  const found = await api.call.modelsApi.modelId(which);
  if (found.isNone) throw new Error(`no model named ${which}`);
  return found.unwrap().toNumber();
}

/** Model `id` with its versions (the models runtime API's view), or null. */
export async function modelView(api, id) {
  const view = await api.call.modelsApi.model(id);
  return view.isSome ? view.unwrap() : null;
}

/** Every registered model's view, by id. */
export async function listModels(api) {
  const next = (await api.query.models.nextModelId()).toNumber();
  const views = [];
  for (let id = 0; id < next; id += 1) {
    const view = await modelView(api, id);
    if (view) views.push(view);
  }
  return views;
}

/** Version `version` of model `model` (its status and spec), or null. */
export async function modelVersion(api, model, version) {
  const view = await modelView(api, model);
  return view?.versions.find(([number]) => number.eq(version))?.[1] ?? null;
}
