# Sarraf: the bot as a container. `sarraf run` needs TELEGRAM_BOT_TOKEN (see README).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY exchanges ./exchanges
COPY storage ./storage
COPY sandbox ./sandbox
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg \
    SARRAF_HTTP_HOST=0.0.0.0 \
    SARRAF_HTTP_PORT=8080 \
    DATABASE_URL=sqlite+aiosqlite:////data/sarraf.db \
    SARRAF_MASTER_KEY_FILE=/data/sarraf.key
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 sarraf && mkdir -p /data && chown sarraf /data
USER sarraf
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["sarraf"]
CMD ["run"]
