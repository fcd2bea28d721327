// SPDX-License-Identifier: MIT
// Runs the ORIGINAL tfjs MoveNet Lightning graph (as shipped in @vladmandic/human@3.3.6) with the
// pure-JS CPU backend and writes the golden outputs the C++ PoseNet is tested against
// (tests/golden/pose/). Run through models/pose/golden/make_golden.sh, which installs the pinned
// tfjs packages (package-lock.json) into .cache/pose-golden and decodes the photos to raw RGB.
//
//   node make_golden.js MODEL_DIR WORK_DIR OUT_DIR
//     MODEL_DIR: folder with movenet-lightning.json/.bin (unpacked from the npm tarball)
//     WORK_DIR:  NAME.rgb + NAME.json ({width, height}) per photo, written by make_golden.sh;
//                NAME_input.rgb (the exact 192x192 network input) is written back here
//     OUT_DIR:   tests/golden/pose
//
// Files written:
//   random_heads_sub.npy  float32 [86, 16, 16]: the four head outputs on the seeded random input,
//                         channels centre(1) heatmap(17) regression(34) offset(34) in NCHW order,
//                         at the 16x16 cells (y, x) = (3i, 3j) of the 48x48 grid
//   golden.json           for the random input and each photo: the graph's own decoded keypoints
//                         (MoveNet's output: y, x in 0..1 of the square input, score), the same from
//                         the reference decode below (checked to agree), and for photos the keypoints
//                         in pixels of the original photo and the letterbox geometry
//   hand_golden.json      the hand landmark (lite) network's outputs (see handGolden below)
//   hand_detector_golden.json  the hand detector's (handtrack) outputs (see handDetectorGolden below)
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfconv = require('@tensorflow/tfjs-converter');

const SIZE = 192;
const GRID = 48;
const P = 'StatefulPartitionedCall/';
const HEADS = [P + 'truediv_2', P + 'Sigmoid', P + 'kpt_regress_0/conv2d_6/BiasAdd', P + 'kpt_offset_0/conv2d_7/BiasAdd'];
const OUTPUT = 'Identity';

// The seeded random input: 32-bit LCG (Numerical Recipes), seed 20261127, value = state >>> 24,
// in NHWC order (y, x, c = R, G, B). tests/features/test_pose_net.cpp regenerates it the same way.
function randomInput() {
  const v = new Int32Array(SIZE * SIZE * 3);
  let s = 20261127 >>> 0;
  for (let i = 0; i < v.length; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s >>> 24;
  }
  return v;
}

function loadModel(dir, name = 'movenet-lightning') {
  const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const specs = [];
  const bufs = [];
  for (const g of json.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfconv.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs, weightData,
    format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
    signature: json.signature,
  }));
}

// MoveNet's decode, written from the description in shared/spec/real-inputs.md section 2, on the
// heads in NHWC (as tfjs gives them). The constants are the graph's own (stored as fp16).
function referenceDecode(centre, heat, regr, offs, c18, inv48) {
  let best = -Infinity;
  let cy = 0;
  let cx = 0;
  for (let y = 0; y < GRID; ++y) {
    for (let x = 0; x < GRID; ++x) {
      const v = centre[y * GRID + x];
      if (v > best) { best = v; cy = y; cx = x; }
    }
  }
  const kps = [];
  for (let k = 0; k < 17; ++k) {
    const base = (cy * GRID + cx) * 34;
    const ry = cy + regr[base + 2 * k];
    const rx = cx + regr[base + 2 * k + 1];
    let bv = -Infinity;
    let by = 0;
    let bx = 0;
    for (let y = 0; y < GRID; ++y) {
      for (let x = 0; x < GRID; ++x) {
        const d = Math.fround(Math.sqrt(Math.fround(Math.fround((y - ry) ** 2) + Math.fround((x - rx) ** 2))));
        const v = Math.fround(heat[(y * GRID + x) * 17 + k] / Math.fround(d + c18));
        if (v > bv) { bv = v; by = y; bx = x; }
      }
    }
    const ob = (by * GRID + bx) * 34;
    kps.push([(by + offs[ob + 2 * k]) * inv48, (bx + offs[ob + 2 * k + 1]) * inv48, heat[(by * GRID + bx) * 17 + k]]);
  }
  return kps;
}

function npyF32(file, shape, data) {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape.join(', ') + (shape.length === 1 ? ',' : '') + '), }';
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(new Float32Array(data).buffer);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// Letterbox: the photo centred on a black square of side max(w, h) (pad = floor((side - size) / 2)
// before), resized to 192x192 bilinearly with half-pixel centres, rounded to integers (the
// original network's input is int32 RGB 0..255).
function preprocess(rgb, w, h) {
  const side = Math.max(w, h);
  const padX = Math.floor((side - w) / 2);
  const padY = Math.floor((side - h) / 2);
  const img = tf.tensor3d(Float32Array.from(rgb), [h, w, 3]);
  const padded = tf.pad(img, [[padY, side - h - padY], [padX, side - w - padX], [0, 0]]);
  const resized = tf.image.resizeBilinear(padded, [SIZE, SIZE], false, true);
  const input = tf.expandDims(tf.cast(tf.clipByValue(tf.round(resized), 0, 255), 'int32'), 0);
  return { input, side, padX, padY };
}

const round = (v) => Number(v.toPrecision(9));

async function runOne(model, input) {
  const outs = model.execute({ 'input': input }, [...HEADS, OUTPUT]);
  const vals = outs.map((t) => t.dataSync());
  outs.forEach((t) => t.dispose());
  return vals;
}

async function main() {
  const [modelDir, workDir, outDir] = process.argv.slice(2);
  if (!modelDir || !workDir || !outDir) throw new Error('usage: node make_golden.js MODEL_DIR WORK_DIR OUT_DIR');
  await tf.setBackend('cpu');
  const model = await loadModel(modelDir);
  const c18 = model.weights[P + 'add_5/y'] ? model.weights[P + 'add_5/y'][0].dataSync()[0] : NaN;
  const inv48 = model.weights[P + 'Reshape_13'] ? model.weights[P + 'Reshape_13'][0].dataSync()[0] : NaN;
  if (!(c18 > 1.7 && c18 < 1.9) || !(inv48 > 0.0208 && inv48 < 0.0209)) throw new Error('decode constants not found in the graph');

  const golden = { model: '@vladmandic/human@3.3.6 models/movenet-lightning', tfjs: tf.version_core,
    backend: tf.getBackend(), decode_constants: { distance_offset: c18, inv_grid: inv48 }, inputs: {} };
  let worstDecode = 0;
  const check = (name, graph, ref) => {
    for (let k = 0; k < 17; ++k) {
      for (let j = 0; j < 3; ++j) worstDecode = Math.max(worstDecode, Math.abs(graph[k * 3 + j] - ref[k][j]));
    }
    const d = Math.max(...ref.map((r, k) => Math.max(...r.map((v, j) => Math.abs(v - graph[k * 3 + j])))));
    if (d > 1e-5) throw new Error(name + ': reference decode differs from the graph by ' + d);
  };
  const kpList = (graph) => Array.from({ length: 17 }, (_, k) => [round(graph[k * 3]), round(graph[k * 3 + 1]), round(graph[k * 3 + 2])]);

  // 1. seeded random input: heads (subsampled) and keypoints
  {
    const input = tf.tensor4d(randomInput(), [1, SIZE, SIZE, 3], 'int32');
    const [centre, heat, regr, offs, kp] = await runOne(model, input);
    input.dispose();
    const ref = referenceDecode(centre, heat, regr, offs, c18, inv48);
    check('random', kp, ref);
    const sub = [];
    const heads = [[centre, 1], [heat, 17], [regr, 34], [offs, 34]];
    for (const [h, C] of heads) {
      for (let c = 0; c < C; ++c) {
        for (let i = 0; i < 16; ++i) {
          for (let j = 0; j < 16; ++j) sub.push(h[((3 * i) * GRID + 3 * j) * C + c]);
        }
      }
    }
    npyF32(path.join(outDir, 'random_heads_sub.npy'), [86, 16, 16], sub);
    golden.inputs.random = { seed: 20261127, keypoints_yx: kpList(kp) };
  }

  // 2. photos (raw RGB from make_golden.sh)
  for (const name of ['basketball1', 'messi5']) {
    const meta = JSON.parse(fs.readFileSync(path.join(workDir, name + '.json'), 'utf8'));
    const rgb = fs.readFileSync(path.join(workDir, name + '.rgb'));
    if (rgb.length !== meta.width * meta.height * 3) throw new Error(name + ': raw size mismatch');
    const { input, side, padX, padY } = preprocess(rgb, meta.width, meta.height);
    fs.writeFileSync(path.join(workDir, name + '_input.rgb'), Buffer.from(Uint8Array.from(input.dataSync())));
    const [centre, heat, regr, offs, kp] = await runOne(model, input);
    input.dispose();
    check(name, kp, referenceDecode(centre, heat, regr, offs, c18, inv48));
    const px = Array.from({ length: 17 }, (_, k) => [round(kp[k * 3 + 1] * side - padX), round(kp[k * 3] * side - padY), round(kp[k * 3 + 2])]);
    golden.inputs[name] = { file: meta.file, width: meta.width, height: meta.height, side, pad_x: padX, pad_y: padY,
      keypoints_yx: kpList(kp), keypoints_px_xy: px };
  }
  golden.reference_decode_max_diff = worstDecode;
  await handGolden(modelDir, workDir, outDir);
  await handDetectorGolden(modelDir, workDir, outDir);
  // one line per keypoint: [a, b, c] arrays of numbers are written on one line
  const text = JSON.stringify(golden, null, 1).replace(/\[\s*(-?[\d.e+-]+),\s*(-?[\d.e+-]+),\s*(-?[\d.e+-]+)\s*\]/g, '[$1, $2, $3]');
  fs.writeFileSync(path.join(outDir, 'golden.json'), text + '\n');
  console.log('make_golden.js: wrote ' + outDir + ' (reference decode vs graph: max |diff| ' + worstDecode.toExponential(2) + ')');
}

// Hand landmark (lite) network: RGB 0..1 input of 224x224, outputs landmarks (21 x (x, y, z) in
// input pixels), presence, handedness, world landmarks. Written to hand_golden.json for
//   random: seeded bytes (LCG as above, seed 20261128) / 255, NHWC RGB
//   basketball1_hand: the square of side 96 px centred on (140, 150) of basketball1.png (the left
//     player's hands on the ball), resized to 224x224 bilinearly (half-pixel centres), rounded, / 255;
//     the rounded input is written back to WORK_DIR/basketball1_hand_input.rgb (make_golden.sh saves it
//     as tests/golden/pose/basketball1_hand_input.png).
async function handGolden(modelDir, workDir, outDir) {
  const HAND = 224;
  const model = await loadModel(modelDir, 'handlandmark-lite');
  const outs = ['Identity_dense/BiasAdd', 'Identity_1', 'Identity_2', 'Identity_3_dense/BiasAdd'];
  const names = ['landmarks', 'presence', 'handedness', 'world'];
  const run = (input) => {
    const r = model.execute({ 'input_1': input }, outs);
    const o = {};
    r.forEach((t, i) => { o[names[i]] = Array.from(t.dataSync(), round); t.dispose(); });
    return o;
  };
  const result = { model: '@vladmandic/human@3.3.6 models/handlandmark-lite', tfjs: tf.version_core, inputs: {} };
  {
    const v = new Float32Array(HAND * HAND * 3);
    let s = 20261128 >>> 0;
    for (let i = 0; i < v.length; ++i) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = (s >>> 24) / 255;
    }
    const input = tf.tensor4d(v, [1, HAND, HAND, 3]);
    result.inputs.random = { seed: 20261128, ...run(input) };
    input.dispose();
  }
  {
    const meta = JSON.parse(fs.readFileSync(path.join(workDir, 'basketball1.json'), 'utf8'));
    const rgb = fs.readFileSync(path.join(workDir, 'basketball1.rgb'));
    const cx = 140;
    const cy = 150;
    const side = 96;
    const img = tf.tensor3d(Float32Array.from(rgb), [meta.height, meta.width, 3]);
    const crop = tf.slice(img, [cy - side / 2, cx - side / 2, 0], [side, side, 3]);
    const rounded = tf.clipByValue(tf.round(tf.image.resizeBilinear(crop, [HAND, HAND], false, true)), 0, 255);
    fs.writeFileSync(path.join(workDir, 'basketball1_hand_input.rgb'), Buffer.from(Uint8Array.from(rounded.dataSync())));
    const input = tf.expandDims(tf.div(rounded, 255), 0);
    result.inputs.basketball1_hand = { file: meta.file, crop_x: cx - side / 2, crop_y: cy - side / 2, crop_side: side, ...run(input) };
    [img, crop, rounded, input].forEach((t) => t.dispose());
  }
  const text = JSON.stringify(result, null, 1).replace(/\n\s+(-?[\d.e+-]+)(,?)(?=\n)/g, ' $1$2');
  fs.writeFileSync(path.join(outDir, 'hand_golden.json'), text + '\n');
  console.log('make_golden.js: wrote hand_golden.json');
}

// Hand detector (handtrack: SSD MobileNetV2 FPNLite 320x320 from the TF Object Detection API). The
// WHOLE original graph runs, from its uint8 image input (any size; its own preprocessor normalises
// and resizes to 320x320) to its post-processor's decoded boxes (Postprocessor/ExpandDims_1: 12804 x
// (ymin, xmin, ymax, xmax) in 0..1 of the image) and class scores (Postprocessor/Slice: 12804 x 7,
// label map open closed pinch point face tip pinchtip; handtrack.ts calls the first two hand and
// fist), as @vladmandic/human's src/hand/handtrack.ts runs it.
// Written to hand_detector_golden.json for
//   random: seeded bytes (LCG as above, seed 20261129), 320x320 RGB (the resize is then the identity)
//   basketball1_small: basketball1.png scaled to 331x207 by make_golden.sh (saved as
//     tests/golden/pose/basketball1_331x207.png; grey, the three channels equal)
// For each: every 128th anchor (boxes, scores); the 20 anchors with the highest score over the classes
// other than face; and the detections as handtrack.ts makes them (max over the classes without face,
// tf.image.nonMaxSuppression with IoU 0.3 and score >= 0.05, at most 10), in 0..1 and in pixels.
async function handDetectorGolden(modelDir, workDir, outDir) {
  const model = await loadModel(modelDir, 'handtrack');
  const P = 'StatefulPartitionedCall/Postprocessor/';
  const FACE = 4;
  const run = async (rgb, w, h) => {
    const input = tf.tensor4d(Int32Array.from(rgb), [1, h, w, 3], 'int32');
    const [scoresT, boxesT] = await model.executeAsync(input, [P + 'Slice', P + 'ExpandDims_1']);
    const n = boxesT.shape[1];
    const C = scoresT.shape[2];
    if (n !== 12804 || C !== 7) throw new Error('handtrack: unexpected output shapes ' + boxesT.shape + ' / ' + scoresT.shape);
    const boxes = boxesT.dataSync();
    const scores = scoresT.dataSync();
    const best = new Float32Array(n);
    const label = new Int32Array(n);
    for (let i = 0; i < n; ++i) {
      best[i] = -1;
      for (let c = 0; c < C; ++c) {
        if (c !== FACE && scores[i * C + c] > best[i]) { best[i] = scores[i * C + c]; label[i] = c; }
      }
    }
    const anchor = (i) => ({ index: i, box: Array.from(boxes.slice(4 * i, 4 * i + 4), round),
      scores: Array.from(scores.slice(C * i, C * i + C), round) });
    const sub = [];
    for (let i = 0; i < n; i += 128) sub.push(anchor(i));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => best[b] - best[a]);
    const top = order.slice(0, 20).map(anchor);
    const b2 = tf.tensor2d(boxes, [n, 4]);
    const s1 = tf.tensor1d(best);
    const keep = await tf.image.nonMaxSuppressionAsync(b2, s1, 10, 0.3, 0.05);
    const detections = Array.from(keep.dataSync(), (i) => {
      const [y0, x0, y1, x1] = boxes.slice(4 * i, 4 * i + 4);
      return { index: i, score: round(best[i]), label: label[i], box: [y0, x0, y1, x1].map(round),
        px_xywh: [x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h].map(round) };
    });
    [input, scoresT, boxesT, b2, s1, keep].forEach((t) => t.dispose());
    return { width: w, height: h, every_128th: sub, top, detections };
  };
  const result = { model: '@vladmandic/human@3.3.6 models/handtrack', tfjs: tf.version_core,
    classes: ['open', 'closed', 'pinch', 'point', 'face', 'tip', 'pinchtip'], nms: { iou: 0.3, min_score: 0.05, max: 10 },
    inputs: {} };
  {
    const S = 320;
    const v = new Uint8Array(S * S * 3);
    let s = 20261129 >>> 0;
    for (let i = 0; i < v.length; ++i) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = s >>> 24;
    }
    result.inputs.random = { seed: 20261129, ...(await run(v, S, S)) };
  }
  {
    const meta = JSON.parse(fs.readFileSync(path.join(workDir, 'basketball1_small.json'), 'utf8'));
    const rgb = fs.readFileSync(path.join(workDir, 'basketball1_small.rgb'));
    if (rgb.length !== meta.width * meta.height * 3) throw new Error('basketball1_small: raw size mismatch');
    result.inputs.basketball1_small = { file: meta.file, ...(await run(rgb, meta.width, meta.height)) };
  }
  // one line per anchor / detection, arrays of numbers or strings on one line
  const text = JSON.stringify(result, null, 1)
    .replace(/\{\s*"index"[^{}]*\}/g, (m) => JSON.stringify(JSON.parse(m)).replace(/,/g, ', '))
    .replace(/\[[^\[\]{}]*\]/g, (m) => JSON.stringify(JSON.parse(m)).replace(/,/g, ', '));
  fs.writeFileSync(path.join(outDir, 'hand_detector_golden.json'), text + '\n');
  console.log('make_golden.js: wrote hand_detector_golden.json (' + result.inputs.basketball1_small.detections.length + ' detections on the photo)');
}

main().catch((e) => { console.error('make_golden.js: ' + e.message); process.exit(1); });
