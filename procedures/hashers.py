"""Argon2id with OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1) instead of Django's
(m = 100 MiB, p = 8). Django's cost 137–376 ms of CPU per sign-in on a 2-core server, so a floor
of 1,000 agents signing in at shift start took minutes (bench/shift_start.py); these take a
fifth of that and are what OWASP's Password Storage Cheat Sheet lists for Argon2id. Wrong
guesses are limited by the lockout (lockout.py), not by hashing cost alone. Hashes made with
Django's parameters are re-hashed with these at the next sign-in."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class SopDeskArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
