import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu/dist/index.js';
import '@tensorflow/tfjs-backend-wasm/dist/index.js';
const x = Array.from({ length: 4 * 50 }, (_, i) => Math.sin(i * 1.3) * 3);
async function ops(b: string) {
  await tf.setBackend(b); await tf.ready();
  const t = tf.tensor2d(x, [4, 50]);
  const out: Record<string, number[]> = {};
  const add = async (n: string, y: tf.Tensor) => { out[n] = [...(await y.data())].slice(0, 6); };
  await add('tanh', tf.tanh(t));
  await add('pow3', tf.pow(t, 3));
  await add('logsm', tf.logSoftmax(t));
  await add('sm', tf.softmax(t));
  const m = tf.moments(t, -1, true); await add('mean', m.mean); await add('var', m.variance);
  await add('rsqrt', tf.rsqrt(tf.abs(t)));
  await add('softplus', tf.softplus(t));
  await add('gather', tf.gather(tf.reshape(t, [200]), tf.tensor1d([3, 7, 150], 'int32')));
  await add('mm', tf.matMul(t, t, false, true));
  await add('exp', tf.exp(t));
  await add('sum', tf.sum(t, 1));
  return out;
}
const a = await ops('cpu'); const b = await ops('wasm');
for (const k of Object.keys(a)) { const d = Math.max(...a[k].map((v, i) => Math.abs(v - b[k][i]) / (Math.abs(v) + 1e-6))); console.log(k, d.toExponential(2), a[k].slice(0,3), b[k].slice(0,3)); }
