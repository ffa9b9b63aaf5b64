# syntax=docker/dockerfile:1
# Build Terreau's wheel (code, prompts and migrations), then install only that wheel.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/python -m pip install -q -U pip
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY migrations ./migrations
COPY prompts ./prompts
RUN /opt/venv/bin/pip wheel -q --no-deps . --wheel-dir /dist \
    && /opt/venv/bin/pip install -q /dist/terreau-*.whl

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 terreau && mkdir -p /data && chown terreau /data
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    TERREAU_CONFIG=/etc/terreau/terreau.toml
WORKDIR /data
USER terreau
# Mount your config at /etc/terreau/terreau.toml and keep /data (the SQLite file) on a volume.
# Tokens come from the environment: DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, ...
CMD ["sh", "-c", "terreau db upgrade && exec terreau run"]
