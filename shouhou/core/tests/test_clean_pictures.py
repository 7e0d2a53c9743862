"""`shouhou clean_pictures`: pictures stored before uploads were cleaned lose their EXIF/GPS in place
(core/pictures.py). Given old files written straight to the media folder (as the storage of earlier versions
kept them), when the command runs, then each picture is written again without its metadata, clean pictures and
other files are not touched, damaged ones are kept and listed, and a second run changes nothing."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from shouhou.cases.models import Case, CaseEvidence
from shouhou.core import pictures
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.core.testing.images import GIF, JPEG, PNG, WEBP, carries_gps, phone_photo
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def put(settings, name: str, data: bytes) -> str:
    """A file as an earlier version stored it: written to the media folder as received."""
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def read(settings, name: str) -> bytes:
    return (Path(settings.MEDIA_ROOT) / name).read_bytes()


def a_case(shop, number="SH-OLD-1"):
    customer = CustomerFactory(shop=shop)
    order = OrderFactory(shop=shop, customer=customer)
    return Case.objects.create(shop=shop, number=number, order=order, customer=customer, kind="return_refund")


def evidence(settings, case, name, data):
    return CaseEvidence.objects.create(case=case, file=put(settings, name, data), kind="jpg", size=len(data))


def attachment(settings, shop, name, data):
    conversation = Conversation.objects.create(shop=shop, channel=Channel.EMAIL, contact_handle="a@example.com")
    return Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="[附件]",
                                  attachment=put(settings, name, data))


def run(*args) -> str:
    out = io.StringIO()
    call_command("clean_pictures", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_old_photos_of_every_kind_lose_their_gps_and_everything_else_is_left_alone(settings, shop):
    case = a_case(shop)
    old = {f"cases/evidence/2026/01/old.{ext}": phone_photo(fmt) for fmt, ext in
           (("JPEG", "jpg"), ("WEBP", "webp"), ("PNG", "png"))}
    for name, data in old.items():
        assert carries_gps(data)
        evidence(settings, case, name, data)
    chat = attachment(settings, shop, "inbox/from-wechat.jpg", phone_photo("JPEG", serial="SERIAL-CHAT"))
    clean = {"cases/evidence/2026/02/clean.jpg": JPEG, "cases/evidence/2026/02/clean.png": PNG,
             "cases/evidence/2026/02/clean.gif": GIF, "cases/evidence/2026/02/clean.webp": WEBP}
    for name, data in clean.items():
        evidence(settings, case, name, data)
    attachment(settings, shop, "inbox/invoice.pdf", PDF)
    damaged = evidence(settings, case, "cases/evidence/2026/03/fake.png", FAKE_PNG)
    gone = CaseEvidence.objects.create(case=case, file="cases/evidence/2026/03/gone.jpg", kind="jpg", size=1)

    output = run()

    for name in [*old, chat.attachment.name]:
        after = read(settings, name)
        assert not carries_gps(after), name
        assert b"SERIAL" not in after and b"taken at home" not in after
        with Image.open(io.BytesIO(after)) as image:
            assert image.size == (12, 8)
    for name, data in clean.items():
        assert read(settings, name) == data, f"{name} was rewritten though clean"
    assert read(settings, "inbox/invoice.pdf") == PDF
    assert read(settings, damaged.file.name) == FAKE_PNG  # kept as it was
    assert "检查文件 11 个：已清除元数据 4 张，已干净 4 张，非图片 1 个，无法解码 1 个，文件丢失 1 个。" in output
    assert f"无法解码（已保留，未改动）：cases.caseevidence.file #{damaged.pk}\t{damaged.file.name}\t" in output
    assert f"文件丢失：cases.caseevidence.file #{gone.pk}\t{gone.file.name}" in output


@pytest.mark.django_db
def test_a_second_run_rewrites_nothing_and_keeps_the_files_byte_for_byte(settings, shop):
    case = a_case(shop)
    for n in range(3):
        evidence(settings, case, f"cases/evidence/2026/01/p{n}.jpg", phone_photo("JPEG", colour=(n * 60, 90, 30)))
    evidence(settings, case, "cases/evidence/2026/01/p.webp", phone_photo("WEBP"))
    run()
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
             for p in (Path(settings.MEDIA_ROOT) / "cases/evidence/2026/01").iterdir()}

    output = run()

    again = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
             for p in (Path(settings.MEDIA_ROOT) / "cases/evidence/2026/01").iterdir()}
    assert again == first
    assert "已清除元数据 0 张，已干净 4 张" in output


@pytest.mark.django_db
def test_a_dry_run_counts_but_writes_nothing(settings, shop):
    case = a_case(shop)
    data = phone_photo("JPEG")
    evidence(settings, case, "cases/evidence/2026/01/p.jpg", data)

    output = run("--dry-run")

    assert read(settings, "cases/evidence/2026/01/p.jpg") == data
    assert "将清除元数据 1 张" in output and "试运行：没有改写任何文件。" in output


@pytest.mark.django_db
def test_only_the_named_shops_pictures_are_cleaned(settings, shop, other_shop):
    mine = evidence(settings, a_case(shop), "cases/evidence/2026/01/mine.jpg", phone_photo("JPEG"))
    theirs_data = phone_photo("JPEG", serial="SERIAL-OTHER")
    theirs = evidence(settings, a_case(other_shop, "SH-OLD-2"), "cases/evidence/2026/01/theirs.jpg", theirs_data)
    their_chat = attachment(settings, other_shop, "inbox/theirs.png", phone_photo("PNG"))

    output = run("--shop", shop.code)

    assert not carries_gps(read(settings, mine.file.name))
    assert read(settings, theirs.file.name) == theirs_data
    assert carries_gps(read(settings, their_chat.attachment.name))
    assert "检查文件 1 个" in output
    with pytest.raises(CommandError, match="未找到店铺：nope"):
        run("--shop", "nope")


@pytest.mark.django_db
def test_a_run_stopped_half_way_goes_on_from_where_it_stopped(settings, shop, monkeypatch):
    case = a_case(shop)
    made = [evidence(settings, case, f"cases/evidence/2026/01/p{n}.jpg", phone_photo("JPEG", colour=(n, 2, 3)))
            for n in range(5)]
    real = pictures._clean_one
    seen = []

    def stop_at_the_fourth(storage, name, label, report, *, dry_run):
        if len(seen) == 3:
            raise KeyboardInterrupt
        seen.append(name)
        real(storage, name, label, report, dry_run=dry_run)

    monkeypatch.setattr(pictures, "_clean_one", stop_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        pictures.pictures_clean(chunk=2)  # the first chunk of two is recorded as done
    monkeypatch.setattr(pictures, "_clean_one", real)
    assert [not carries_gps(read(settings, e.file.name)) for e in made] == [True, True, True, False, False]

    report = pictures.pictures_clean(chunk=2)

    assert report.resumed and report.examined == 3  # the third again (its chunk was not finished), then 4 and 5
    assert report.cleaned == 2 and report.already_clean == 1
    assert not any(carries_gps(read(settings, e.file.name)) for e in made)
    assert not (Path(settings.DATA_DIR) / pictures.PROGRESS_NAME).exists()  # done: the next run starts over


@pytest.mark.django_db
def test_a_rewritten_file_keeps_its_permissions_and_leaves_no_temporary_file(settings, shop):
    item = evidence(settings, a_case(shop), "cases/evidence/2026/01/p.jpg", phone_photo("JPEG"))
    path = Path(settings.MEDIA_ROOT) / item.file.name
    os.chmod(path, 0o640)

    run()

    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["p.jpg"]


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", "jpeg"), ("WEBP", "webp")])
def test_a_lossy_picture_is_judged_clean_by_what_it_carries_not_by_its_bytes(fmt, kind):
    from shouhou.core.uploads import clean_image

    photo = phone_photo(fmt, size=(64, 48))
    once = clean_image(photo, kind)
    twice = clean_image(once, kind)
    assert not pictures.picture_is_clean(photo, kind, once)
    assert pictures.picture_is_clean(once, kind, twice)
    assert not pictures.picture_is_clean(once + b"<html><script>alert(1)</script>", kind, twice)


def test_every_file_field_is_walked_and_has_a_way_to_its_shop():
    found = {f"{model._meta.label_lower}.{f.name}": pictures.shop_lookup(model) for model, f in pictures.file_fields()}
    assert found["cases.caseevidence.file"] == "case__shop__code"
    assert found["inbox.message.attachment"] == "shop__code"
    assert found["commerce.importjob.file"] == "shop__code"
    assert all(found.values()), found
