# hamstring-rehab-cds: slim, non-root image running gunicorn, configured by CDS_* environment variables.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cds_service ./cds_service
COPY fhir_mappings ./fhir_mappings
COPY cards ./cards
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CDS_INSTANCE_PATH=/var/lib/hamstring-cds
RUN useradd --system --uid 10001 --home-dir /var/lib/hamstring-cds --create-home cds
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER cds
WORKDIR /var/lib/hamstring-cds
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
# Inside the container the server listens on all interfaces so Docker can publish the port;
# docker-compose.yml publishes it on the host's 127.0.0.1 only.
CMD ["hamstring-cds", "serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
