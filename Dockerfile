# schedlab web app; see README, "Container":
#   docker build -t schedlab . && docker run -p 8501:8501 -v schedlab-data:/data schedlab
# Build arguments:
#   BASE         the base image: Debian-like, python3 3.11 or newer with venv, and useradd
#   TORCH_INDEX  where torch comes from: its CPU build by default; a CUDA index for the GPU
#                variant, e.g. https://download.pytorch.org/whl/cu128
#   WITH_RAY     "1" adds Ray, for SCHEDLAB_JOBS=ray and the nodes of docker-compose.yml
# `--build-context wheels=DIR` installs everything from the wheels in DIR instead (offline).
ARG BASE=python:3.11-slim

# Empty unless `--build-context wheels=DIR` replaces it
FROM scratch AS wheels

FROM ${BASE}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG WITH_RAY=
# A venv: Debian's own python3 refuses system-wide pip installs (PEP 668). torch is pinned and
# installed first so that requirements.txt keeps that build instead of PyPI's CUDA one. Given
# local wheels, pip uses nothing else (no network); bind-mounted, they stay out of the image.
RUN --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    --mount=type=bind,from=wheels,target=/tmp/wheels \
    set -e; \
    if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
        pip_from="--no-index --find-links /tmp/wheels"; \
    else \
        pip_from=""; \
    fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --no-cache-dir $pip_from --index-url "$TORCH_INDEX" torch==2.13.0; \
    /opt/venv/bin/pip install --no-cache-dir $pip_from -r /tmp/requirements.txt; \
    if [ -n "$WITH_RAY" ]; then /opt/venv/bin/pip install --no-cache-dir $pip_from \
        "ray[default]>=2.40"; fi

# 1000 by number: Kubernetes' runAsNonRoot can only verify a numeric user
RUN useradd --uid 1000 --user-group --create-home --shell /bin/sh schedlab \
 && mkdir /data && chown 1000:1000 /data
# schedlab itself, as a package (the app's scripts are in it: `schedlab app` runs them); its
# build backend (setuptools) comes from the wheels too when they are given
RUN --mount=type=bind,source=pyproject.toml,target=/tmp/src/pyproject.toml \
    --mount=type=bind,source=requirements.txt,target=/tmp/src/requirements.txt \
    --mount=type=bind,source=schedlab,target=/tmp/src/schedlab \
    --mount=type=bind,from=wheels,target=/tmp/wheels \
    set -e; \
    if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
        pip_from="--no-index --find-links /tmp/wheels"; \
    else \
        pip_from=""; \
    fi; \
    cp -r /tmp/src /tmp/build; \
    /opt/venv/bin/pip install --no-cache-dir --no-deps $pip_from /tmp/build; \
    rm -rf /tmp/build
WORKDIR /data
# Streamlit reads its settings from STREAMLIT_* variables, so `-e` overrides any of them.
# No file watcher: the code in an image never changes.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SCHEDLAB_DATA=/data \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
# MNIST downloads and the run store (history of training runs) live here
VOLUME /data
USER 1000:1000
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-c", \
    "import os, sys, urllib.request as u; port = os.environ.get('STREAMLIT_SERVER_PORT', '8501'); \
sys.exit(u.urlopen(f'http://127.0.0.1:{port}/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["schedlab", "app"]
