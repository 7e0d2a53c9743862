"""Chinese first, English available: the UI is Chinese whatever the browser asks for, English when the
user picks it in the header menu, and the English catalog covers every marked string and is compiled."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shouhou.core.testing.factories import MembershipFactory, UserFactory

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGS = PACKAGE / "locale" / "en" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]  # pages and the workbench script


def parse_po(text: str) -> dict[str, list[str]]:
    """msgid (singular; with its context if any) -> its msgstr list (one, or one per plural form).
    Only what this test needs."""
    entries: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        parts: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                parts[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                parts[key] += ast.literal_eval(line)
        if parts.get("msgid"):
            # a msgid with a context is its own entry, keyed as gettext keys it ("context\x04msgid")
            msgid = f"{parts['msgctxt']}\x04{parts['msgid']}" if "msgctxt" in parts else parts["msgid"]
            entries[msgid] = [v for k, v in sorted(parts.items()) if k.startswith("msgstr")]
    return entries


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_english_catalog_translates_every_entry_and_is_compiled(domain):
    po = CATALOGS / f"{domain}.po"
    entries = parse_po(po.read_text(encoding="utf-8"))
    assert len(entries) > (500 if domain == "django" else 3)
    untranslated = [msgid for msgid, strs in entries.items() if not all(s.strip() for s in strs)]
    assert untranslated == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")  # gettext skips fuzzy entries when compiling
    with po.with_suffix(".mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # noqa: SLF001 - the compiled pairs themselves
    stale = [msgid for msgid, strs in entries.items() if catalog.get(msgid, catalog.get((msgid, 0))) != strs[0]]
    assert stale == [], "django.mo is older than django.po: run `python -m shouhou compilemessages`"


def test_every_marked_string_in_the_code_is_in_the_english_catalog(tmp_path):
    assert shutil.which("xgettext"), "GNU gettext is needed (python3 dev.py test installs the Debian package)"
    # makemessages writes into the package's locale dir, so extract from a copy of the package.
    copy = tmp_path / "shouhou"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.joblib", "locale",
                                                                 "migrations", "*.png", "*.sqlite3"))
    (copy / "locale").mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shouhou.config.settings",
           "SHOUHOU_DATA_DIR": str(tmp_path / "data")}
    for domain in DOMAINS:
        done = subprocess.run([sys.executable, "-m", "django", "makemessages", "-d", domain, "-l", "en", "-v", "0"],
                              cwd=copy, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        extracted = parse_po((copy / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8"))
        committed = parse_po((CATALOGS / f"{domain}.po").read_text(encoding="utf-8"))
        assert len(extracted) > 3
        missing = sorted(set(extracted) - set(committed))
        assert missing == [], (f"strings marked for translation but not in the English {domain} catalog: see "
                               "docs/configuration.md (Language) to extract, translate and compile them")


@pytest.mark.django_db
def test_the_ui_is_chinese_even_for_an_english_browser_and_english_when_chosen(client, shop):
    user = UserFactory(username="lina")
    MembershipFactory(user=user, shop=shop, role="admin")
    client.force_login(user)
    page = client.get("/desk/queue/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans"' in page and "收件箱" in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/desk/queue/"})
    assert response.status_code == 302
    page = client.get("/desk/queue/").content.decode()
    assert '<html lang="en"' in page
    assert "Inbox" in page and "收件箱" not in page

    # the workbench script's countdown words come from the script catalog in the same language
    assert "%(time)s left" in client.get("/jsi18n/").content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/desk/queue/"})
    assert "收件箱" in client.get("/desk/queue/").content.decode()
    assert "%(time)s left" not in client.get("/jsi18n/").content.decode()


@pytest.mark.django_db
def test_each_language_is_offered_in_its_own_name(client, shop):
    # an English reader must find "English" on a Chinese page (it read 英语), and a Chinese reader 简体中文
    user = UserFactory(username="lina2")
    MembershipFactory(user=user, shop=shop, role="admin")
    client.force_login(user)
    for language in ("zh-hans", "en"):
        client.post("/i18n/setlang/", {"language": language, "next": "/desk/queue/"})
        page = client.get("/desk/queue/").content.decode()
        assert '<option value="en" lang="en"' in page and ">English</option>" in page
        assert ">简体中文</option>" in page and "英语" not in page
