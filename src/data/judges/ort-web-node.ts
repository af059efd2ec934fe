/**
 * Node only: makes transformers.js run ONNX models with onnxruntime-web (its WASM build for Node)
 * instead of onnxruntime-node, so Node tests exercise the same runtime as the browser.
 *
 * Import this module BEFORE anything imports @huggingface/transformers: transformers.js picks its
 * ONNX runtime once, when it is first evaluated, from globalThis[Symbol.for('onnxruntime')].
 */
import * as ort from 'onnxruntime-web';

const ORT_SYMBOL = Symbol.for('onnxruntime');

// transformers.js points onnxruntime-web at a CDN when wasmPaths is unset; point it at the package.
const entry = import.meta.resolve('onnxruntime-web');
ort.env.wasm.wasmPaths = entry.slice(0, entry.lastIndexOf('/') + 1);
ort.env.wasm.numThreads = 1;
(globalThis as Record<symbol, unknown>)[ORT_SYMBOL] = ort;

export const onnxRuntimeWeb = ort;
