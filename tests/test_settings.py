"""Production-safe defaults: without debug, no secret key means no start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_a_secret_key_in_production():
    result = run_check()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_refuses_the_development_key_in_production():
    result = run_check(DJANGO_SECRET_KEY="django-insecure-development-only")
    assert result.returncode != 0
    assert "development secret key" in result.stderr


def test_debug_is_off_unless_asked():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_SETTINGS_MODULE": "tierslieux.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "False", result.stderr


# The production settings docs/deployment.md documents (the database and Redis of this machine).
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-production-secret-of-fifty-characters-and-more-0123456789",
    "DJANGO_ALLOWED_HOSTS": "tiers-lieux.example.fr",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tiers-lieux.example.fr",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ADMINS": "Équipe de l'annuaire <equipe@example.fr>",
}


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = run_check(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_warns_when_https_is_switched_off():
    result = run_check(**PRODUCTION, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_HSTS_SECONDS="0")
    assert "security.W008" in result.stdout + result.stderr  # no SSL redirect
    assert "security.W004" in result.stdout + result.stderr  # no HSTS
