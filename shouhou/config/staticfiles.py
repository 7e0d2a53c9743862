"""Static files of a release: hashed names, compressed copies (whitenoise), after `shouhou collectstatic`."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ReleaseStaticFilesStorage(CompressedManifestStaticFilesStorage):
    # A file added after the last collectstatic (an upgrade that skipped it) keeps its plain name, found by
    # WHITENOISE_USE_FINDERS, instead of failing every page that links it.
    manifest_strict = False
