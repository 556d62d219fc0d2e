# One image for every Energy Cloud process; docker-compose.yml picks the command
# (energycloud api | worker | ingest | migrate | demo-data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint renders the invoice PDFs with Pango and HarfBuzz; it needs fonts too.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Only what the package needs (no virtualenv, var/ or .git from a checkout).
COPY pyproject.toml README.md ./
COPY domain/ domain/
COPY db/ db/
COPY workflows/ workflows/
COPY activities/ activities/
COPY ocpp_ingest/ ocpp_ingest/
COPY api/ api/
COPY settlement/ settlement/
COPY invoices/ invoices/
COPY energycloud/ energycloud/
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /app energycloud \
 && mkdir -p /app/var \
 && chown energycloud /app/var

USER energycloud

# Production talks to a Temporal cluster and PostgreSQL (see docker-compose.yml).
ENV TEMPORAL_EMBEDDED=false \
    API_HOST=0.0.0.0 \
    OCPP_HOST=0.0.0.0

EXPOSE 8000 9000

CMD ["energycloud", "api"]
