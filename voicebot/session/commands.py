"""``voicebot serve``, ``voicebot call`` and ``voicebot demo``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from voicebot.capacity_rating import check_channels
from voicebot.config import Settings
from voicebot.logs import get_logger

if TYPE_CHECKING:
    from voicebot.server.process import VoicebotServer

log = get_logger("voicebot.cli")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="answer calls (and place campaign calls) until stopped")
    _common(p)
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes (each holds 4 calls, on SIP ports PORT..PORT+N-1; default: sip.worker_processes)")
    p.add_argument("--metrics-port", type=int, help="Prometheus /metrics port (default: supervisor.metrics_port)")
    p.add_argument("--force", action="store_true",
                   help="run more simultaneous calls than this machine's rating (voicebot capacity rate)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("call", help="place one outbound call and hold the conversation")
    _common(p)
    p.add_argument("uri", help="SIP URI to call, e.g. sip:1001@pbx.example.com")
    p.add_argument("--customer", default="{}", help="customer profile as JSON (name, segment, ...)")
    p.add_argument("--timeout", type=float, default=300.0)
    p.set_defaults(func=cmd_call)

    p = sub.add_parser("models", help="prepare (once, in setup) or check every configured model")
    p.add_argument("action", choices=["check", "prepare"])
    p.add_argument("--force", action="store_true", help="prepare: redo even if the prepared files verify")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("demo", help="run the bot and a simulated caller through a 4-turn conversation")
    p.add_argument("--locale", default="en-US", choices=["en-US", "zh-CN"])
    p.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="SIP port (default: sip.port)")
    p.add_argument("--rtp-port", type=int, help="first RTP port (default: sip.rtp_port)")
    p.add_argument("--sip-trace", action="store_true",
                   help="log every SIP message (event sip_message), digest credentials masked")
    p.add_argument("--dialplan", help='dialplan file, or "scripted" (default: dialogue.plan)')
    p.add_argument("--locale", choices=["en-US", "zh-CN"], help="default locale (default: dialogue.locale)")
    p.add_argument("--agent", help="SIP URI of the human agent/queue for transfers")


def apply_overrides(args: argparse.Namespace, settings: Settings) -> Settings:
    if getattr(args, "port", None):
        settings.sip.port = args.port
    if getattr(args, "rtp_port", None):
        settings.sip.rtp_port = args.rtp_port
    if getattr(args, "sip_trace", False):
        settings.sip.trace = True
    if getattr(args, "dialplan", None):
        settings.dialogue.plan = args.dialplan
    if getattr(args, "locale", None):
        settings.dialogue.locale = args.locale
    if getattr(args, "agent", None):
        settings.dialogue.agent_uri = args.agent
    if getattr(args, "metrics_port", None):
        settings.supervisor.metrics_port = args.metrics_port
    return settings


def _server(settings: Settings) -> VoicebotServer:
    from voicebot.server.process import VoicebotServer
    from voicebot.server.sinks import make_event_sinks
    from voicebot.supervisor.worker import attach_supervision

    server = VoicebotServer(settings, sinks=make_event_sinks(settings))
    attach_supervision(settings, server)  # live listening and /metrics, when configured
    server.start()
    return server


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings = apply_overrides(args, settings)
    workers = args.workers or settings.sip.worker_processes
    refusal = check_channels(settings, workers * settings.sip.max_calls, args.force)
    if refusal is not None:
        print(f"voicebot serve: {refusal}", file=sys.stderr)
        return 2
    if workers > 1:
        return _serve_group(args, settings, workers)
    server = _server(settings)
    server.install_signal_handlers()
    # "ready" = the process takes calls; whether the PBX can reach it is /readyz and `registered`.
    log.info("voicebot_ready", sip=f"{settings.sip.bind_host}:{settings.sip.port}", plan=settings.dialogue.plan,
             registration=server.ua.registration_status.state)
    server.serve_forever()
    return 0


def _serve_group(args: argparse.Namespace, settings: Settings, workers: int) -> int:
    """N single-process servers on consecutive SIP ports; the PBX spreads calls over them (see asterisk-conf/)."""
    from voicebot.session.workers import ProcessGroup, child_specs

    passthrough = [opt for name in ("dialplan", "locale", "agent") if getattr(args, name, None)
                   for opt in (f"--{name}", getattr(args, name))]
    passthrough += ["--sip-trace"] if getattr(args, "sip_trace", False) else []
    specs = child_specs(workers, settings.sip.port, settings.sip.rtp_port, settings.sip.rtp_port_range,
                        settings.supervisor.metrics_port, settings.ops.health_port)
    from voicebot.asr.service_commands import group_service

    asr_service = group_service(settings, workers)  # one Whisper for the machine (asr.service)
    # The group as a whole was checked against the rating: each worker is a share of it.
    group = ProcessGroup(lambda spec: ["serve", "--workers", "1", "--force", *passthrough], specs, restart=True,
                         stop_timeout_s=settings.ops.drain_timeout_s + 15)
    try:
        if not group.start():
            group.stop(10)
            print("voicebot serve: a worker process did not start; its log lines are above", file=sys.stderr)
            return 1
        log.info("voicebot_pool_ready", workers=workers, sip_ports=[s.sip_port for s in specs],
                 asr_service=asr_service.path if asr_service else None)
        return group.run()
    finally:
        if asr_service is not None:
            asr_service.stop()


def cmd_call(args: argparse.Namespace, settings: Settings) -> int:
    settings = apply_overrides(args, settings)
    try:
        customer = json.loads(args.customer)
    except json.JSONDecodeError as exc:
        print(f"voicebot call: --customer is not valid JSON: {exc}", file=sys.stderr)
        return 2
    from voicebot.campaign.compliance import CallRefused

    server = _server(settings)
    try:
        try:
            session = server.place_call(args.uri, customer)
        except CallRefused as exc:
            print(f"voicebot call: {exc} (voicebot.campaign.compliance)", file=sys.stderr)
            return 3
        result = session.join(args.timeout)
    finally:
        server.stop()
    if result is None:
        print("voicebot call: the call did not finish in time", file=sys.stderr)
        return 1
    print(json.dumps({"call_id": result.call_id, "outcome": result.outcome, "recording": result.recording,
                      "transcript": result.transcript}, ensure_ascii=False, indent=2))
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """Loads ASR, every TTS voice and the dialogue exactly as ``serve`` does, and says what it found."""
    from voicebot.session.engines import load_engines
    from voicebot.tts.commands import describe_voice_licences, prepare_models

    if args.action == "prepare":
        return prepare_models(settings, getattr(args, "force", False))

    t0 = time.perf_counter()
    engines = load_engines(settings)
    try:
        print(f"ASR   {engines.recognizer.name}: ok")
        for locale in settings.tts.voices:
            audio = engines.renderer.render("OK." if locale.startswith("en") else "好的。", locale)
            print(f"TTS   {locale}: {engines.renderer.voice_id(locale)}: ok ({len(audio) / settings.media.clock_rate:.1f} s)")
        print(f"Plan  {settings.dialogue.plan}: ok")
        describe_voice_licences(settings, engines.renderer)
    finally:
        engines.close()
    print(f"all models ready in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.demo import run_demo

    return run_demo(args.locale)
