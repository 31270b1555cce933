# The engine: StyleGAN2 + CLIP + e4e as a Ray Serve application on the GPU(s), answering the bots over HTTP.
#   docker build -f deploy/engine.Dockerfile -t styleclip-engine .
#   docker run --gpus all --shm-size 8g -e STYLECLIP_ENGINE_TOKEN=... -v styleclip-weights:/weights \
#              -p 8000:8000 styleclip-engine
# Listening beyond loopback, the engine refuses to start without STYLECLIP_ENGINE_TOKEN (the bots send it).
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STYLECLIP_HOME=/weights

WORKDIR /app
# The base image's torch and torchvision satisfy the project's requirements: pip keeps them.
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY engine ./engine
COPY migrations ./migrations
RUN pip install ".[serve]"

# Model files are fetched once on first start (about 1.5 GB) into the volume, and found there on every later one.
RUN useradd --create-home --uid 10001 styleclip && mkdir -p /weights && chown styleclip /weights
USER styleclip
VOLUME /weights

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=15m --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["styleclip-bot", "serve", "--host", "0.0.0.0"]
