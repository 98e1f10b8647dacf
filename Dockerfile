# WhatsApp CDMX: one image for the web app (`cdmx serve`), the workers (`cdmx worker`) and
# the operator's commands (`cdmx migrate`, `cdmx backup`, `cdmx restore`, `cdmx users`).
#
#   docker build -t whatsapp-cdmx:0.1.0 .
#
# It has not been built on the project's own machine, which reaches no container registry;
# tests/test_deploy.py checks that every command, port, variable and path named here exists
# in the project. See docs/operations.md.

# Pinned: a new Python or Debian comes in by changing this line, never by surprise.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump and pg_restore for `cdmx backup` / `cdmx restore` of a PostgreSQL database
# (Debian bookworm's client is version 15: as new as the compose file's server or newer).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# The program runs as this unprivileged user, never as root.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/cdmx --create-home cdmx

WORKDIR /opt/cdmx
COPY pyproject.toml README.md ./
COPY cdmx ./cdmx
# The aws extra brings boto3: the S3 media store and backups to s3://.
RUN pip install ".[aws]"

# SQLite and local media live here when no PostgreSQL or S3 is configured.
RUN mkdir -p /var/lib/cdmx/data && chown -R cdmx:cdmx /var/lib/cdmx
VOLUME ["/var/lib/cdmx/data"]
ENV CDMX_DATABASE_URL=sqlite:////var/lib/cdmx/data/cdmx.db \
    CDMX_MEDIA_ROOT=/var/lib/cdmx/data/media

USER cdmx
WORKDIR /var/lib/cdmx
EXPOSE 8000

# Ready when the database answers (/readyz answers 503 with the reason otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]

ENTRYPOINT ["cdmx"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
