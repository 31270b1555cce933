# A thin bot: Telegram and/or Discord, sessions in PostgreSQL, every picture drawn by the engine over HTTP.
# No torch, no models: the image is a few hundred MB and starts in seconds on any machine.
#   docker build -f deploy/bot.Dockerfile -t styleclip-bot .
#   docker run -e STYLECLIP_ENGINE_URL=http://gpu-host:8000 -e STYLECLIP_ENGINE_TOKEN=... \
#              -e DATABASE_URL=postgresql://... -e TELEGRAM_BOT_TOKEN=... styleclip-bot
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STYLECLIP_BOT_METRICS_HOST=0.0.0.0 \
    STYLECLIP_BOT_METRICS_PORT=9464

WORKDIR /app
# What a thin bot imports, and nothing of the engine's own dependencies (tests/test_deploy.py keeps it so).
COPY deploy/bot-requirements.txt ./deploy/
RUN pip install -r deploy/bot-requirements.txt
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY engine ./engine
COPY migrations ./migrations
RUN pip install --no-deps . \
    && python -c "import importlib.util as u; assert u.find_spec('torch') is None, 'torch got into the bot image'"

RUN useradd --create-home --uid 10001 styleclip
USER styleclip

EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/metrics', timeout=4)"
CMD ["styleclip-bot", "run"]
