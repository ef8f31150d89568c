# The Tweetups image: web (gunicorn), Celery worker and beat, and the X emulator all run from it.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --system --create-home --uid 10001 --user-group tweetups

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are built into the image (whitenoise serves them); settings need some secret
# to import, and this one is used for nothing else.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret DJANGO_DEBUG=false \
    python manage.py collectstatic --no-input \
 && mkdir -p var && chown tweetups:tweetups var

USER tweetups
EXPOSE 8000
CMD ["gunicorn", "tweetups.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
