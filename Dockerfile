# The production image of wijknet: the web app (gunicorn, gunicorn.conf.py) by default;
# the same image runs the worker (`wijknet worker`) and migrations (`wijknet db upgrade`).
# Base pinned to an exact Python and Debian release; runs as an unprivileged user.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY platform platform
COPY tenants tenants
RUN python -m venv /opt/wijknet \
 && /opt/wijknet/bin/pip install --quiet babel \
 && /opt/wijknet/bin/pybabel compile --use-fuzzy -d platform/translations -l nl \
 && /opt/wijknet/bin/pip install --quiet -c constraints.txt .

FROM python:3.11.11-slim-bookworm
RUN groupadd --system --gid 10001 wijknet \
 && useradd --system --uid 10001 --gid wijknet --home-dir /app --shell /usr/sbin/nologin wijknet
COPY --from=build /opt/wijknet /opt/wijknet
WORKDIR /app
COPY --chown=root:root migrations migrations
COPY --chown=root:root gunicorn.conf.py gunicorn.conf.py
ENV PATH=/opt/wijknet/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WIJKNET_ENV=production \
    WIJKNET_MIGRATIONS_DIR=/app/migrations \
    BIND=0.0.0.0:8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["gunicorn", "--config", "/app/gunicorn.conf.py", "wijknet.platform.app:create_app()"]
