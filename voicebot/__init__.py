"""voicebot: a telephony voice-agent server."""

from voicebot.onnx_quiet import switch_off_telemetry

__version__ = "0.1.0"

# Before anything can import onnxruntime (piper's TTS sessions): no telemetry lookups (onnx_quiet).
switch_off_telemetry()
