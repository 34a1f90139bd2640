/**
 * tfjs LayersModel -> ONNX ModelProto (opset 17, IR 8), for inference on ONNX Runtime (issue 15 item 1).
 *
 * The model's graph is walked from its outputs back to its inputs through the symbolic tensors (so a layer
 * shared by two models, as the base CNN's trainModel and featureModel, contributes only this model's calls),
 * and each layer call is mapped to ONNX nodes by export-layers.ts. Inputs and outputs keep tfjs's shapes and
 * layout (NHWC images; transposes live inside the graph) with a dynamic batch dimension, so a caller feeds
 * the same Float32Array it would feed tfjs and reads the same outputs.
 */
import type * as tf from '@tensorflow/tfjs';
import { type Dim, GraphBuilder, identityLayout, type Value } from './export-graph.ts';
import { CONVERTERS, type ConvertContext, type ExportOptions, type Weight } from './export-layers.ts';

export type { ExportOptions } from './export-layers.ts';
import { DataType, type DataTypeCode, encodeModel, type ValueInfoProto } from './onnx-proto.ts';

export type OnnxFamily = 'base-cnn' | 'pooled-res' | 'shallow';

export interface OnnxExport {
  /** A serialized ModelProto. */
  bytes: Uint8Array;
  family: OnnxFamily;
  /** In the tfjs model's input order. */
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int32' }[];
  /** In the tfjs model's output order. */
  outputs: { name: string; shape: (number | null)[] }[];
}

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** Bumped whenever the exporter's output changes for the same model (part of a cache key). */
export const ONNX_EXPORT_VERSION = 2;

type Sym = tf.SymbolicTensor;
type LayerNode = tf.layers.Layer['inboundNodes'][number];

const EXPECTED_INPUTS: Record<OnnxFamily, { count: number; rank: number }> = {
  'base-cnn': { count: 1, rank: 4 },
  'pooled-res': { count: 1, rank: 4 },
  shallow: { count: 3, rank: 3 },
};

function elemTypeOf(dtype: string, what: string): { code: DataTypeCode; dtype: 'float32' | 'int32' } {
  if (dtype === 'float32') return { code: DataType.FLOAT, dtype };
  if (dtype === 'int32') return { code: DataType.INT32, dtype };
  throw new Error(`ONNX export: ${what} has dtype ${dtype} (float32 or int32 only)`);
}

/** Named dimensions for the unknown sizes: 'batch' first, then `${name}_dim${i}`. */
function valueInfo(name: string, shape: Dim[], elemType: DataTypeCode): ValueInfoProto {
  return { name, elemType, shape: shape.map((d, i) => (d != null ? d : i === 0 ? 'batch' : `${name}_dim${i}`)) };
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

/** A layer's weights by short name, read with await data() (a GPU backend, webgpu in Node, has no synchronous read). */
async function weightsOf(layer: tf.layers.Layer): Promise<Map<string, Weight>> {
  const values = await Promise.all(layer.weights.map((w) => w.read().data()));
  const out = new Map<string, Weight>();
  layer.weights.forEach((w, i) => {
    const key = w.originalName.split('/').pop() ?? w.originalName;
    // reading a variable allocates no tensor; the copy keeps the bytes independent of later training
    out.set(key, { data: (values[i] as Float32Array).slice(), shape: w.shape.map((d) => d ?? 0) });
  });
  return out;
}

/** Layer calls in an order where every call's inputs come first (iterative: DenseNets are hundreds deep). */
function callsInOrder(model: tf.LayersModel): LayerNode[] {
  const inputIds = new Set(model.inputs.map((t) => t.id));
  const order: LayerNode[] = [];
  const done = new Set<LayerNode>();
  const stack: { node: LayerNode; expanded: boolean }[] = [];
  const push = (t: Sym): void => {
    if (inputIds.has(t.id)) return;
    const node = t.sourceLayer.inboundNodes[t.nodeIndex];
    if (!node) throw new Error(`ONNX export: tensor ${t.name} has no producing call`);
    if (!done.has(node)) stack.push({ node, expanded: false });
  };
  for (const t of model.outputs) push(t);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (done.has(top.node)) {
      stack.pop();
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (const t of top.node.inputTensors) push(t);
      continue;
    }
    stack.pop();
    done.add(top.node);
    order.push(top.node);
  }
  return order;
}

/** Rejects with one line naming the layer class it cannot export. */
export async function exportToOnnx(model: tf.LayersModel, family: OnnxFamily, options: ExportOptions = {}): Promise<OnnxExport> {
  const expected = EXPECTED_INPUTS[family];
  if (model.inputs.length !== expected.count || model.inputs.some((t) => t.shape.length !== expected.rank)) {
    throw new Error(`ONNX export: a ${family} model has ${expected.count} rank-${expected.rank} input(s), `
      + `got [${model.inputs.map((t) => `[${t.shape.map((d) => d ?? 'null').join(', ')}]`).join(', ')}]`);
  }
  const g = new GraphBuilder();
  const inputNames = uniqueNames(model.inputNames);
  const outputNames = uniqueNames(model.outputNames);
  for (const n of [...inputNames, ...outputNames]) g.reserve(n);

  const values = new Map<number, Value>();
  const inputs: OnnxExport['inputs'] = [];
  const inputInfos: ValueInfoProto[] = [];
  model.inputs.forEach((t, i) => {
    const name = inputNames[i]!;
    const { code, dtype } = elemTypeOf(t.dtype, `input ${name}`);
    values.set(t.id, { name, shape: [...t.shape], layout: identityLayout(t.shape.length), elemType: code });
    inputs.push({ name, shape: [...t.shape], dtype });
    inputInfos.push(valueInfo(name, t.shape, code));
  });

  const order = callsInOrder(model);
  // Every layer's weights read up front, all reads in flight together (a layer called twice is read once).
  const layers = [...new Set(order.map((node) => node.outboundLayer))];
  const weightsByLayer = new Map(await Promise.all(layers.map(async (l) => [l, await weightsOf(l)] as const)));
  for (const node of order) {
    const layer = node.outboundLayer;
    const cls = layer.getClassName();
    const convert = CONVERTERS[cls];
    if (!convert) throw new Error(`ONNX export: layer "${layer.name}" of class ${cls} cannot be exported`);
    const weights = weightsByLayer.get(layer)!;
    const ctx: ConvertContext = {
      g,
      layer,
      config: layer.getConfig(),
      inputs: node.inputTensors.map((t) => {
        const v = values.get(t.id);
        if (!v) throw new Error(`ONNX export: input ${t.name} of layer "${layer.name}" was not converted`);
        return v;
      }),
      outShapes: node.outputTensors.map((t) => [...t.shape]),
      weight: (name) => {
        const w = weights.get(name);
        if (!w) throw new Error(`ONNX export: layer "${layer.name}" (${cls}) has no weight ${name}`);
        return w;
      },
      hasWeight: (name) => weights.has(name),
      options,
    };
    const outs = convert(ctx);
    if (outs.length !== node.outputTensors.length) throw new Error(`ONNX export: layer "${layer.name}" (${cls}) gave ${outs.length} outputs`);
    node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]!));
  }

  const outputs: OnnxExport['outputs'] = [];
  const outputInfos: ValueInfoProto[] = [];
  model.outputs.forEach((t, i) => {
    const name = outputNames[i]!;
    const v = values.get(t.id);
    if (!v) throw new Error(`ONNX export: output ${name} was not converted`);
    const tfOrder = g.get(v);
    g.emit('Identity', [tfOrder.name], [name]);
    outputs.push({ name, shape: [...t.shape] });
    outputInfos.push(valueInfo(name, t.shape, tfOrder.elemType));
  });

  const bytes = encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'ich-viewer',
    producerVersion: String(ONNX_EXPORT_VERSION),
    docString: `${family} model exported from TensorFlow.js`,
    graph: { name: model.name, nodes: g.nodes, initializers: g.initializers, inputs: inputInfos, outputs: outputInfos },
  });
  return { bytes, family, inputs, outputs };
}
