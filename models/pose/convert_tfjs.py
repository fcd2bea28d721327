#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Converts a TensorFlow.js graph model (model.json + weight shards) into an ONNX file that
OpenCV 4.6 DNN (cv::dnn::readNetFromONNX) loads, cut at the named tensors.

Usage (run with Debian's /usr/bin/python3: python3-onnx, python3-numpy):
  convert_tfjs.py MODEL.json OUT.onnx --preset NAME [--check-opencv]
  convert_tfjs.py MODEL.json OUT.onnx --output NAME=TF_NODE [--output ...] [--input-name input]
Presets (the networks CoLive uses, from @vladmandic/human@3.3.6, see PRESETS below):
  movenet-lightning   MoveNet SinglePose Lightning cut at its four heads (core/include/colive/pose.h)
  handlandmark-lite   MediaPipe hand landmark (lite): landmarks, presence, handedness, world landmarks
  handtrack           hand detector (SSD MobileNetV2 FPNLite 320x320, TF Object Detection API) from its
                      resized, normalised image to the decoded boxes and the class scores (see SSD_TAIL)
--check-opencv loads the result with cv2.dnn (python3-opencv), runs it on zeros and checks the
output shapes of the preset.

A tfjs graph model is a TensorFlow GraphDef in JSON plus a weights manifest (float32, float16 or
uint8-quantised shards). This converter knows the small op set of the MoveNet / MediaPipe networks
shipped in @vladmandic/human (Conv2D, _FusedConv2D, (Fused)DepthwiseConv2dNative, AddV2/AddN,
Sub/Mul/RealDiv, Relu/Relu6/Sigmoid, ResizeBilinear, MaxPool, Mean, _FusedMatMul and the identity
plumbing around the input); anything else is refused with one line.

The ONNX graph is NCHW throughout (TF's NHWC 4-D activations are transposed once, at the input, by
declaring the input NCHW): input "input" 1xCxHxW float. The original's int32 input is fed as float
(the caller rounds). Weights stay as stored (fp16 -> float32 exactly).

OpenCV 4.6 accommodations (each checked by loading the result in cv2.dnn):
- TF "SAME" padding is computed here as plain integers and written into the Conv/MaxPool "pads"
  (no Pad nodes, no Shape/Gather sub-graphs).
- Relu6 is written as Clip with min/max ATTRIBUTES (the opset-6 form): OpenCV 4.6 refuses Clip
  with min/max inputs. The file declares opset 11 (for Resize's half_pixel mode), so a strict ONNX
  checker flags that Clip; OpenCV reads it as ReLU6.
- Constants are folded in numpy; elementwise constants are laid out NCHW ([1,C,1,1]) or scalar.

The output is deterministic: the same inputs give the same bytes (nodes are emitted in a fixed
depth-first order from the outputs, no timestamps or random names).
"""

import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 11

# name -> (input NCHW shape, [(onnx output, tfjs node, NCHW shape)]); an output whose tfjs node is
# None is made by the preset's tail (TAILS below), not taken from the graph.
PRESETS = {
    "movenet-lightning": ((1, 3, 192, 192), [
        ("centre", "StatefulPartitionedCall/truediv_2", (1, 1, 48, 48)),
        ("heatmap", "StatefulPartitionedCall/Sigmoid", (1, 17, 48, 48)),
        ("regression", "StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd", (1, 34, 48, 48)),
        ("offset", "StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd", (1, 34, 48, 48)),
    ]),
    "handlandmark-lite": ((1, 3, 224, 224), [
        ("landmarks", "Identity_dense/BiasAdd", (1, 63)),
        ("presence", "Identity_1", (1, 1)),
        ("handedness", "Identity_2", (1, 1)),
        ("world", "Identity_3_dense/BiasAdd", (1, 63)),
    ]),
    "handtrack": ((1, 3, 320, 320), [
        ("boxes", None, (1, 12804, 4, 1)),
        ("scores", None, (1, 12804, 7, 1)),
    ]),
}

# Where a preset's graph starts, when not at its Placeholder: tfjs node -> NHWC shape. The hand
# detector's Placeholder (uint8, any size) goes through a while loop (TF's map) that casts, normalises
# (x * 2/255 - 1) and resizes to 320x320 (bilinear, align_corners = half_pixel_centers = false); the
# converted graph starts after that loop, so its input is that normalised 320x320 image.
INPUT_AT = {
    "handtrack": {"StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack": [1, 320, 320, 3]},
}

# The hand detector's post-processing before its non-maximum suppression, as the graph does it
# (StatefulPartitionedCall/Postprocessor): per FPN level (40, 20, 10, 5, 3 cells a side, 6 anchors a
# cell) the box head (24 channels: anchor a, encoding k at channel 4a + k) and the class head (48
# channels: 8 classes, background first) are laid out anchor-major and concatenated (12804 anchors),
# the box encodings (ty, tx, th, tw) decoded against the graph's own anchor constants (centre =
# t * anchor size / 10 + anchor centre, size = exp(t / 5) * anchor size) to (ymin, xmin, ymax, xmax)
# in 0..1 of the detector input, and the class logits turned into sigmoid scores without the
# background class. The graph's outputs are Postprocessor/ExpandDims_1 (boxes) and Postprocessor/Slice
# (scores); models/pose/golden/make_golden.js checks ours against them through the C++ path.
SSD_PREFIX = "StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/"
SSD_LEVELS = 5
SSD_ANCHORS_PER_CELL = 6
SSD_CLASSES = 8
SSD_DECODE = "StatefulPartitionedCall/Postprocessor/Decode/"


class ConvertError(Exception):
    pass


def load_weights(model_path, manifest):
    base = os.path.dirname(os.path.abspath(model_path))
    weights = {}
    for group in manifest:
        buf = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            dtype = w["dtype"]
            if q is not None:
                if q["dtype"] == "float16":
                    a = np.frombuffer(buf, np.float16, n, off).astype(np.float32)
                    off += 2 * n
                elif q["dtype"] in ("uint8", "uint16"):
                    qt = np.uint8 if q["dtype"] == "uint8" else np.uint16
                    raw = np.frombuffer(buf, qt, n, off)
                    off += raw.itemsize * n
                    a = (raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"]))
                else:
                    raise ConvertError("weight %s: unsupported quantisation %s" % (w["name"], q["dtype"]))
                if dtype == "int32":
                    a = np.round(a).astype(np.int32)
            elif dtype == "float32":
                a = np.frombuffer(buf, np.float32, n, off).copy()
                off += 4 * n
            elif dtype == "int32":
                a = np.frombuffer(buf, np.int32, n, off).copy()
                off += 4 * n
            else:
                raise ConvertError("weight %s: unsupported dtype %s" % (w["name"], dtype))
            weights[w["name"]] = a.reshape(shape)
        if off != len(buf):
            raise ConvertError("weights manifest does not match the shard sizes (%d of %d bytes used)" % (off, len(buf)))
    return weights


def attr_list_i(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    return [int(v) for v in a["list"].get("i", [])]


def attr_s(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    return base64.b64decode(a["s"]).decode()


def attr_b(node, key, default=False):
    a = node.get("attr", {}).get(key)
    return default if a is None else bool(a.get("b", False))


def attr_i(node, key, default=None):
    a = node.get("attr", {}).get(key)
    return default if a is None else int(a.get("i", 0))


def same_pads(in_size, k, s, d):
    """TF SAME padding as (before, after) for one spatial axis."""
    ek = (k - 1) * d + 1
    out = -(-in_size // s)
    total = max((out - 1) * s + ek - in_size, 0)
    return total // 2, total - total // 2, out


class Tensor:
    """A converted activation: its ONNX name and its shape in TF (NHWC) terms."""

    def __init__(self, name, shape):
        self.name = name
        self.shape = list(shape)


class Repeated:
    """Part of an upsampling pattern (op_Pack): tensor x repeated h times down and w times across."""

    def __init__(self, x, h, w):
        self.x, self.h, self.w = x, h, w


class Converter:
    def __init__(self, model_path, input_name, input_at=None):
        with open(model_path) as f:
            model = json.load(f)
        if model.get("format") != "graph-model":
            raise ConvertError("%s is not a tfjs graph model" % model_path)
        self.nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
        self.weights = load_weights(model_path, model["weightsManifest"])
        self.input_name = input_name
        self.input_at = dict(input_at or {})  # tfjs node -> NHWC shape: the graph starts there
        self.values = {}      # tf tensor name -> Tensor or np.ndarray (constant)
        self.onnx_nodes = []
        self.initializers = []
        self.inputs = []
        self.out_names = {}   # tf node name -> wanted onnx output name
        self.counter = 0

    # ---- helpers -------------------------------------------------------------------------
    def fresh(self, base):
        self.counter += 1
        return "%s_%d" % (base.replace("StatefulPartitionedCall/", "").replace("/", "_"), self.counter)

    def const(self, array, base):
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def emit(self, op, inputs, tf_name, shape, **attrs):
        out = self.out_names.get(tf_name) or self.fresh(tf_name)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return Tensor(out, shape)

    def emit_chain(self, ops, x, tf_name, shape):
        """ops: list of (op, extra_inputs, attrs); the last one gets the tf name."""
        cur = x
        for i, (op, extra, attrs) in enumerate(ops):
            last = i == len(ops) - 1
            out = (self.out_names.get(tf_name) or self.fresh(tf_name)) if last else self.fresh(tf_name + "_" + op)
            self.onnx_nodes.append(helper.make_node(op, [cur] + extra, [out], name=out, **attrs))
            cur = out
        return Tensor(cur, shape)

    def activation_ops(self, fused):
        ops = []
        for f in fused:
            if f == "BiasAdd":
                continue
            if f == "Relu":
                ops.append(("Relu", [], {}))
            elif f == "Relu6":
                ops.append(("Clip", [], {"min": 0.0, "max": 6.0}))
            else:
                raise ConvertError("unsupported fused op %s" % f)
        return ops

    def nchw_const(self, c, rank):
        """An elementwise constant for an NHWC tensor of the given rank, laid out for NCHW."""
        c = np.asarray(c, dtype=np.float32)
        if c.size == 1:
            return c.reshape(())
        if np.all(c == c.ravel()[0]):
            return np.float32(c.ravel()[0]).reshape(())
        if rank == 4:
            if c.ndim >= 1 and all(d == 1 for d in c.shape[:-1]):
                return c.reshape(1, -1, 1, 1)
            if c.ndim == 3:  # H, W, C
                return np.transpose(c, (2, 0, 1))[None]
            if c.ndim == 4:
                return np.transpose(c, (0, 3, 1, 2))
        if rank == 2:
            return c
        raise ConvertError("cannot lay out constant of shape %s for a rank-%d tensor" % (list(c.shape), rank))

    # ---- conversion ---------------------------------------------------------------------
    def value(self, ref):
        name, _, idx = ref.partition(":")
        idx = int(idx) if idx else 0
        name = name.lstrip("^")
        if (name, idx) not in self.values:
            self.convert_node(name)
        v = self.values.get((name, idx))
        if v is None:
            raise ConvertError("node %s has no output %d" % (name, idx))
        return v

    def convert_node(self, name):
        node = self.nodes.get(name)
        if node is None:
            raise ConvertError("node %s not found in the graph" % name)
        op = node["op"]
        if name in self.input_at:
            self.values[(name, 0)] = self.make_input(self.input_at[name])
            return
        ins = [self.value(i) for i in node.get("input", []) if not i.startswith("^")]
        handler = getattr(self, "op_" + op.lstrip("_"), None)
        if all(isinstance(v, np.ndarray) for v in ins) and op not in ("Placeholder",):
            out = self.fold(node, ins)
        elif handler is None:
            raise ConvertError("unsupported op %s (node %s)" % (op, name))
        else:
            out = handler(node, ins)
        if not isinstance(out, list):
            out = [out]
        for i, o in enumerate(out):
            self.values[(name, i)] = o

    def fold(self, node, ins):
        op = node["op"]
        if op == "Const":
            w = self.weights.get(node["name"])
            if w is None:
                raise ConvertError("constant %s has no weights" % node["name"])
            return w
        f = {
            "Identity": lambda a: a,
            "Cast": lambda a: a.astype(np.float32 if node["attr"]["DstT"]["type"] == "DT_FLOAT" else np.int32),
            "Mul": lambda a, b: a * b,
            "AddV2": lambda a, b: a + b,
            "Sub": lambda a, b: a - b,
            "RealDiv": lambda a, b: a / b,
            "Reshape": lambda a, s: a.reshape([int(v) for v in s]),
        }.get(op)
        if f is None:
            raise ConvertError("cannot fold constant op %s (node %s)" % (op, node["name"]))
        return f(*ins)

    def op_Placeholder(self, node, ins):
        dims = [int(d.get("size", -1)) for d in node["attr"]["shape"]["shape"]["dim"]]
        if len(dims) != 4 or dims[0] not in (1, -1):
            raise ConvertError("input %s: only 1xHxWxC inputs are supported, got %s" % (node["name"], dims))
        return self.make_input(dims)

    def make_input(self, dims):
        dims = [1] + [int(d) for d in dims[1:]]
        if len(dims) != 4 or min(dims) < 1:
            raise ConvertError("input: only 1xHxWxC inputs of a fixed size are supported, got %s" % dims)
        n, h, w, c = dims
        self.inputs.append(helper.make_tensor_value_info(self.input_name, TensorProto.FLOAT, [n, c, h, w]))
        return Tensor(self.input_name, dims)

    # identity plumbing around the input (the batch axis of a 1xHxWxC tensor)
    def op_Cast(self, node, ins):
        return ins[0]

    def op_Identity(self, node, ins):
        return ins[0]

    def op_Unpack(self, node, ins):
        x = ins[0]
        if attr_i(node, "axis", 0) != 0 or attr_i(node, "num") != 1 or x.shape[0] != 1:
            raise ConvertError("Unpack %s: only removing a batch of 1 is supported" % node["name"])
        return Tensor(x.name, x.shape[1:])

    def op_ExpandDims(self, node, ins):
        x, axis = ins
        if int(np.asarray(axis).ravel()[0]) != 0 or len(x.shape) != 3:
            raise ConvertError("ExpandDims %s: only adding a batch axis is supported" % node["name"])
        return Tensor(x.name, [1] + x.shape)

    def op_Squeeze(self, node, ins):
        x = ins[0]
        dims = attr_list_i(node, "squeeze_dims", [])
        if dims != [0] or x.shape[0] != 1:
            raise ConvertError("Squeeze %s: only removing a batch of 1 is supported" % node["name"])
        return Tensor(x.name, x.shape[1:])

    def elementwise(self, node, ins, onnx_op):
        a, b = ins
        if not isinstance(a, Tensor) and onnx_op in ("Add", "Mul"):
            a, b = b, a  # commutative: constant to the right
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if a.shape != b.shape:
                raise ConvertError("%s %s: shapes %s and %s differ" % (node["op"], node["name"], a.shape, b.shape))
            return self.emit(onnx_op, [a.name, b.name], node["name"], a.shape)
        if isinstance(a, Tensor):
            c = self.nchw_const(b, len(a.shape))
            if onnx_op in ("Add", "Sub") and not np.any(c):
                return a  # x +- 0 is exactly x
            return self.emit(onnx_op, [a.name, self.const(c, node["name"] + "_c")], node["name"], a.shape)
        raise ConvertError("%s %s: constant on the left is not supported" % (node["op"], node["name"]))

    def op_AddV2(self, node, ins):
        return self.elementwise(node, ins, "Add")

    op_Add = op_AddV2

    def op_Sub(self, node, ins):
        return self.elementwise(node, ins, "Sub")

    def op_Mul(self, node, ins):
        return self.elementwise(node, ins, "Mul")

    def op_RealDiv(self, node, ins):
        return self.elementwise(node, ins, "Div")

    def op_AddN(self, node, ins):
        if not all(isinstance(v, Tensor) and v.shape == ins[0].shape for v in ins):
            raise ConvertError("AddN %s: needs tensors of one shape" % node["name"])
        return self.emit("Sum", [v.name for v in ins], node["name"], ins[0].shape)

    def op_Relu(self, node, ins):
        return self.emit("Relu", [ins[0].name], node["name"], ins[0].shape)

    def op_Relu6(self, node, ins):
        return self.emit("Clip", [ins[0].name], node["name"], ins[0].shape, min=0.0, max=6.0)

    def op_Sigmoid(self, node, ins):
        return self.emit("Sigmoid", [ins[0].name], node["name"], ins[0].shape)

    def check_nhwc(self, node):
        fmt = attr_s(node, "data_format", "NHWC")
        if fmt != "NHWC":
            raise ConvertError("%s %s: data_format %s is not supported" % (node["op"], node["name"], fmt))

    def conv_geometry(self, node, x, kh, kw):
        self.check_nhwc(node)
        strides = attr_list_i(node, "strides", [1, 1, 1, 1])
        dil = attr_list_i(node, "dilations", [1, 1, 1, 1])
        padding = attr_s(node, "padding", "VALID")
        _, h, w, _ = x.shape
        sh, sw, dh, dw = strides[1], strides[2], dil[1], dil[2]
        if padding == "SAME":
            pt, pb, oh = same_pads(h, kh, sh, dh)
            pl, pr, ow = same_pads(w, kw, sw, dw)
        elif padding == "VALID":
            pt = pb = pl = pr = 0
            oh = (h - ((kh - 1) * dh + 1)) // sh + 1
            ow = (w - ((kw - 1) * dw + 1)) // sw + 1
        else:
            raise ConvertError("%s %s: padding %s is not supported" % (node["op"], node["name"], padding))
        attrs = {"strides": [sh, sw], "dilations": [dh, dw], "pads": [pt, pl, pb, pr]}
        return attrs, oh, ow

    def conv(self, node, ins, depthwise):
        x, w = ins[0], ins[1]
        if not isinstance(x, Tensor) or not isinstance(w, np.ndarray):
            raise ConvertError("%s %s: needs a tensor input and constant weights" % (node["op"], node["name"]))
        kh, kw, cin, m = w.shape
        attrs, oh, ow = self.conv_geometry(node, x, kh, kw)
        if depthwise:
            if cin != x.shape[3]:
                raise ConvertError("%s: %d channels, depthwise filter for %d" % (node["name"], x.shape[3], cin))
            wt = np.transpose(w, (2, 3, 0, 1)).reshape(cin * m, 1, kh, kw)
            attrs["group"] = cin
            cout = cin * m
        else:
            if cin != x.shape[3]:
                raise ConvertError("%s: %d channels, filter for %d" % (node["name"], x.shape[3], cin))
            wt = np.transpose(w, (3, 2, 0, 1))
            cout = m
        attrs["kernel_shape"] = [kh, kw]
        fused = [base64.b64decode(s).decode() for s in node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
        inputs = [x.name, self.const(wt.astype(np.float32), node["name"] + "_w")]
        if "BiasAdd" in fused:
            if len(ins) < 3:
                raise ConvertError("%s: BiasAdd without a bias" % node["name"])
            inputs.append(self.const(np.asarray(ins[2], np.float32).reshape(cout), node["name"] + "_b"))
        elif fused and fused[0] not in ("BiasAdd",):
            raise ConvertError("%s: fused ops %s without BiasAdd are not supported" % (node["name"], fused))
        shape = [1, oh, ow, cout]
        acts = self.activation_ops(fused)
        return self.emit_chain([("Conv", inputs[1:], attrs)] + acts, inputs[0], node["name"], shape)

    def op_Conv2D(self, node, ins):
        return self.conv(node, ins, False)

    def op_FusedConv2D(self, node, ins):
        return self.conv(node, ins, False)

    def op_DepthwiseConv2dNative(self, node, ins):
        return self.conv(node, ins, True)

    def op_FusedDepthwiseConv2dNative(self, node, ins):
        return self.conv(node, ins, True)

    def op_MaxPool(self, node, ins):
        x = ins[0]
        k = attr_list_i(node, "ksize")
        attrs, oh, ow = self.conv_geometry(node, x, k[1], k[2])
        del attrs["dilations"]
        attrs["kernel_shape"] = [k[1], k[2]]
        return self.emit("MaxPool", [x.name], node["name"], [1, oh, ow, x.shape[3]], **attrs)

    def op_ResizeBilinear(self, node, ins):
        x, size = ins
        oh, ow = [int(v) for v in np.asarray(size).ravel()]
        if attr_b(node, "align_corners"):
            mode = "align_corners"
        elif attr_b(node, "half_pixel_centers"):
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        roi = self.const(np.zeros(0, np.float32), node["name"] + "_roi")
        scales = self.const(np.zeros(0, np.float32), node["name"] + "_scales")
        sizes = self.const(np.array([1, x.shape[3], oh, ow], np.int64), node["name"] + "_sizes")
        return self.emit("Resize", [x.name, roi, scales, sizes], node["name"], [1, oh, ow, x.shape[3]],
                         mode="linear", coordinate_transformation_mode=mode)

    # TF Object Detection API's nearest-neighbour upsampling: x [1,H,W,C] packed twice with itself on
    # axis 3, that packed twice on axis 2, reshaped to [1,2H,2W,C]. Becomes one Resize (nearest).
    def op_Pack(self, node, ins):
        axis = attr_i(node, "axis", 0)
        if len(ins) >= 2 and all(v is ins[0] for v in ins):
            x = ins[0]
            if isinstance(x, Tensor) and len(x.shape) == 4 and axis == 3:
                return Repeated(x, 1, len(ins))
            if isinstance(x, Repeated) and x.h == 1 and axis == 2:
                return Repeated(x.x, len(ins), x.w)
        raise ConvertError("Pack %s: only the nearest-neighbour upsampling pattern is supported" % node["name"])

    def op_Reshape(self, node, ins):
        x, shape = ins
        shape = [int(v) for v in np.asarray(shape).ravel()]
        if isinstance(x, Repeated):
            _, h, w, c = x.x.shape
            if shape != [1, h * x.h, w * x.w, c] and shape != [-1, h * x.h, w * x.w, c]:
                raise ConvertError("Reshape %s: not an upsampling of %s to %s" % (node["name"], x.x.shape, shape))
            roi = self.const(np.zeros(0, np.float32), node["name"] + "_roi")
            scales = self.const(np.zeros(0, np.float32), node["name"] + "_scales")
            sizes = self.const(np.array([1, c, h * x.h, w * x.w], np.int64), node["name"] + "_sizes")
            return self.emit("Resize", [x.x.name, roi, scales, sizes], node["name"], [1, h * x.h, w * x.w, c],
                             mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        raise ConvertError("Reshape %s: only the nearest-neighbour upsampling pattern is supported" % node["name"])

    def op_Mean(self, node, ins):
        x, axes = ins
        axes = sorted(int(a) % 4 for a in np.asarray(axes).ravel())
        if axes != [1, 2] or len(x.shape) != 4:
            raise ConvertError("Mean %s: only the spatial mean of a 4-D tensor is supported" % node["name"])
        keep = attr_b(node, "keep_dims")
        pooled = self.emit("GlobalAveragePool", [x.name], node["name"] + ("" if keep else "_pool"), [1, 1, 1, x.shape[3]])
        if keep:
            return pooled
        return self.emit("Flatten", [pooled.name], node["name"], [1, x.shape[3]], axis=1)

    def op_FusedMatMul(self, node, ins):
        x, w = ins[0], ins[1]
        if not isinstance(x, Tensor) or len(x.shape) != 2 or not isinstance(w, np.ndarray):
            raise ConvertError("_FusedMatMul %s: needs a 2-D tensor and constant weights" % node["name"])
        if attr_b(node, "transpose_a"):
            raise ConvertError("_FusedMatMul %s: transpose_a is not supported" % node["name"])
        wt = w.T if attr_b(node, "transpose_b") else w
        fused = [base64.b64decode(s).decode() for s in node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
        inputs = [self.const(wt.T.astype(np.float32).copy(), node["name"] + "_w")]
        bias = np.zeros(wt.shape[1], np.float32)
        if "BiasAdd" in fused:
            bias = np.asarray(ins[2], np.float32).reshape(-1)
        inputs.append(self.const(bias, node["name"] + "_b"))
        shape = [1, wt.shape[1]]
        acts = self.activation_ops(fused)
        return self.emit_chain([("Gemm", inputs, {"transB": 1})] + acts, x.name, node["name"], shape)

    # ---- the hand detector's post-processing (see SSD_TAIL above) ------------------------
    def node_op(self, op, inputs, base, **attrs):
        out = self.fresh(base)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def ssd_heads(self, concat, n):
        """The graph's concatenation of one head over the FPN levels, as [1, anchors, n, 1]."""
        cnode = self.nodes[concat]
        if cnode["op"] != "ConcatV2" or int(np.asarray(self.value(cnode["input"][-1])).ravel()[0]) != 1:
            raise ConvertError("%s: expected a ConcatV2 on axis 1" % concat)
        parts, anchors = [], 0
        for ref in cnode["input"][:-1]:
            r = self.nodes[ref.split(":")[0]]
            shape = [int(v) for v in np.asarray(self.value(r["input"][1])).ravel()] if r["op"] == "Reshape" else None
            x = self.value(r["input"][0])
            if shape != [1, -1, n] or not isinstance(x, Tensor) or x.shape[3] != SSD_ANCHORS_PER_CELL * n:
                raise ConvertError("%s: input %s is not a [1, H, W, %d] head reshaped to [1, -1, %d]" %
                                   (concat, r["name"], SSD_ANCHORS_PER_CELL * n, n))
            t = self.node_op("Transpose", [x.name], r["name"] + "_nhwc", perm=[0, 2, 3, 1])
            parts.append(self.node_op("Reshape", [t, self.const(np.array([1, -1, n, 1], np.int64), r["name"] + "_shape")],
                                      r["name"]))
            anchors += x.shape[1] * x.shape[2] * SSD_ANCHORS_PER_CELL
        if len(parts) != SSD_LEVELS:
            raise ConvertError("%s: %d levels, expected %d" % (concat, len(parts), SSD_LEVELS))
        return self.node_op("Concat", parts, concat, axis=1), anchors

    def slice2(self, x, k0, k1, base):
        ints = lambda v: self.const(np.array([v], np.int64), base + "_i")
        return self.node_op("Slice", [x, ints(k0), ints(k1), ints(2)], base)

    def ssd_tail(self):
        enc, anchors = self.ssd_heads("StatefulPartitionedCall/concat", 4)
        logits, n2 = self.ssd_heads("StatefulPartitionedCall/concat_1", SSD_CLASSES)
        D, F = SSD_DECODE, "ConstantFolding/" + SSD_DECODE

        def vec(name):  # a per-anchor constant of the graph, as [1, anchors, 1, 1]
            w = self.weights.get(D + name)
            if w is None or w.shape != (anchors,):
                raise ConvertError("anchor constant %s missing or not of %d values" % (D + name, anchors))
            return self.const(w.astype(np.float32).reshape(1, anchors, 1, 1), "anchor_" + name)

        def scalar(name):
            w = self.weights.get(F + name)
            if w is None or w.size != 1:
                raise ConvertError("decode constant %s missing" % (F + name))
            return self.const(np.float32(w.ravel()[0]).reshape(()), "decode_" + name)

        t = [self.slice2(enc, k, k + 1, "encoding%d" % k) for k in range(4)]
        ycen = self.node_op("Add", [self.node_op("Mul", [t[0], vec("truediv")], "mul_2"),
                                    vec("get_center_coordinates_and_sizes/add")], "ycentre")
        xcen = self.node_op("Add", [self.node_op("Mul", [t[1], vec("truediv_1")], "mul_3"),
                                    vec("get_center_coordinates_and_sizes/add_1")], "xcentre")
        h = self.node_op("Mul", [self.node_op("Exp", [self.node_op("Mul", [t[2], scalar("truediv_2_recip")], "th")], "exp_h"),
                                 vec("get_center_coordinates_and_sizes/sub_1")], "height")
        w = self.node_op("Mul", [self.node_op("Exp", [self.node_op("Mul", [t[3], scalar("truediv_3_recip")], "tw")], "exp_w"),
                                 vec("get_center_coordinates_and_sizes/sub")], "width")
        corners = [
            self.node_op("Sub", [ycen, self.node_op("Mul", [h, scalar("truediv_4_recip")], "half_h")], "ymin"),
            self.node_op("Sub", [xcen, self.node_op("Mul", [w, scalar("truediv_5_recip")], "half_w")], "xmin"),
            self.node_op("Add", [ycen, self.node_op("Mul", [h, scalar("truediv_6_recip")], "half_h")], "ymax"),
            self.node_op("Add", [xcen, self.node_op("Mul", [w, scalar("truediv_7_recip")], "half_w")], "xmax"),
        ]
        self.onnx_nodes.append(helper.make_node("Concat", corners, ["boxes"], name="boxes", axis=2))
        sig = self.node_op("Sigmoid", [logits], "convert_scores")
        ints = lambda v: self.const(np.array([v], np.int64), "scores_i")
        self.onnx_nodes.append(helper.make_node("Slice", [sig, ints(1), ints(SSD_CLASSES), ints(2)], ["scores"], name="scores"))
        if n2 != anchors:
            raise ConvertError("box and class heads disagree on the anchors (%d, %d)" % (anchors, n2))
        return {"boxes": [1, anchors, 4, 1], "scores": [1, anchors, SSD_CLASSES - 1, 1]}

    # ---- driver -------------------------------------------------------------------------
    def run(self, outputs, tail=None):
        """outputs: (onnx name, tfjs node or None: made by `tail`, a method returning name -> NCHW shape)."""
        for onnx_name, tf_name in outputs:
            if tf_name is not None:
                self.out_names[tf_name] = onnx_name
        made = getattr(self, tail)() if tail else {}
        graph_outputs = []
        for onnx_name, tf_name in outputs:
            if tf_name is None:
                if onnx_name not in made:
                    raise ConvertError("output %s is made by no tail" % onnx_name)
                graph_outputs.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, made[onnx_name]))
                continue
            v = self.value(tf_name)
            if not isinstance(v, Tensor):
                raise ConvertError("output %s (%s) is a constant" % (onnx_name, tf_name))
            if v.name != onnx_name:
                raise ConvertError("output %s (%s) is not produced by its own node" % (onnx_name, tf_name))
            s = v.shape
            nchw = [s[0], s[3], s[1], s[2]] if len(s) == 4 else s
            graph_outputs.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, nchw))
        graph = helper.make_graph(self.onnx_nodes, "tfjs", self.inputs, graph_outputs, self.initializers)
        model = helper.make_model(graph, producer_name="colive convert_tfjs.py",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 6
        return model


TAILS = {"handtrack": "ssd_tail"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_json")
    ap.add_argument("out_onnx")
    ap.add_argument("--preset", choices=sorted(PRESETS), help="cut points of a network CoLive uses")
    ap.add_argument("--output", action="append", default=[], metavar="NAME=TF_NODE",
                    help="an ONNX output NAME taken at the tfjs node TF_NODE (repeat, in order)")
    ap.add_argument("--input-name", default="input")
    ap.add_argument("--check-opencv", action="store_true", help="load the result with cv2.dnn and check the preset's shapes")
    args = ap.parse_args(argv)
    outputs = [(name, node) for name, node, _ in PRESETS[args.preset][1]] if args.preset else []
    for o in args.output:
        name, sep, node = o.partition("=")
        if not sep or not name or not node:
            ap.error("--output must be NAME=TF_NODE, got %r" % o)
        outputs.append((name, node))
    if not outputs:
        ap.error("give --preset or --output")
    if args.check_opencv and not args.preset:
        ap.error("--check-opencv needs --preset")
    try:
        model = Converter(args.model_json, args.input_name, INPUT_AT.get(args.preset)).run(outputs, TAILS.get(args.preset))
    except (ConvertError, OSError, KeyError, ValueError) as e:
        print("convert_tfjs: %s: %s" % (args.model_json, e), file=sys.stderr)
        return 1
    tmp = args.out_onnx + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    if args.check_opencv:
        err = check_opencv(tmp, args.input_name, *PRESETS[args.preset])
        if err:
            os.remove(tmp)
            print("convert_tfjs: OpenCV DNN cannot run the converted %s: %s" % (args.preset, err), file=sys.stderr)
            return 1
    os.replace(tmp, args.out_onnx)
    return 0


def check_opencv(path, input_name, input_shape, outputs):
    try:
        import cv2
        net = cv2.dnn.readNetFromONNX(path)
        net.setInput(np.zeros(input_shape, np.float32), input_name)
        got = [tuple(o.shape) for o in net.forward([name for name, _, _ in outputs])]
    except Exception as e:  # cv2.error, ImportError
        return " ".join(str(e).split())
    want = [shape for _, _, shape in outputs]
    return None if got == want else "output shapes %s, expected %s" % (got, want)


if __name__ == "__main__":
    sys.exit(main())
