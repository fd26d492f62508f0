# One image for web, worker and beat (see docker-compose.yml); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    WARMPATH_VAR_DIR=/app/var \
    PORT=8000

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
# psycopg2-binary ships its own libpq: no compiler or system packages needed.
# Runtime requirements only: the demo data commands (`seed`, `seed_demo`) need Faker from
# requirements-dev.txt and are not run in this image (`make run` loads the demo).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them with hashed names).
# Production settings refuse to load without a secret, allowed hosts and a PostgreSQL
# URL; collectstatic needs none of them for real (no database connection), so
# throw-away values are given for this one command only and never end up in the image.
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home warmpath \
    && mkdir -p /app/var \
    && chown -R warmpath:warmpath /app/var
USER warmpath

EXPOSE 8000
# Bind, workers and logging come from gunicorn.conf.py (PORT, WEB_CONCURRENCY).
CMD ["gunicorn", "config.wsgi"]
