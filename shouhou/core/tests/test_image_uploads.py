"""Photos are decoded and written again, not only sniffed (core/uploads.py: clean_image). Attacker probes of
round six: a polyglot (PNG + HTML), a GIFAR (GIF + zip), a decompression bomb, an SVG, a truncated JPEG, and a
phone photo carrying the GPS position of the customer's home in its EXIF."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shouhou.core.testing.images import GIF, JPEG, PNG, WEBP, picture
from shouhou.core.uploads import UploadError, check_attachment, check_image, clean_image

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def gps_photo(orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with a GPS position (31.2304 N, 121.4737 E) and a camera serial."""
    image = Image.new("RGB", (12, 8), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 13.0, 49.44), 3: "E", 4: (121.0, 28.0, 25.32)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes that claim width × height pixels (40 GB decoded at 4 bytes a pixel)."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data = png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
    return b"\x89PNG\r\n\x1a\n" + header + data + png_chunk(b"IEND", b"")


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.mark.parametrize(("data", "kind"), [(JPEG, "jpeg"), (PNG, "png"), (GIF, "gif"), (WEBP, "webp")])
def test_a_real_picture_of_each_kind_is_accepted_and_stays_that_kind(data, kind):
    checked = check_image(upload(data))
    assert checked.kind == kind and checked.size == len(checked.data)
    with Image.open(io.BytesIO(checked.data)) as again:
        assert again.format == {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}[kind]
        assert again.size == (8, 6)


def test_the_gps_position_and_serial_in_a_phone_photo_are_not_kept():
    original = gps_photo()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the probe carries a position
    sent = upload(original)
    checked = check_image(sent)
    with Image.open(io.BytesIO(checked.data)) as after:
        assert not after.getexif() and "exif" not in after.info
    assert b"SERIAL-0042" not in checked.data and b"Exif" not in checked.data
    assert sent.read() == checked.data  # the upload itself now holds the clean bytes


def test_a_sideways_phone_photo_stays_upright_without_its_exif():
    checked = check_image(upload(gps_photo(orientation=6)))  # "rotate 90° clockwise to show"
    with Image.open(io.BytesIO(checked.data)) as after:
        assert after.size == (8, 12)


@pytest.mark.parametrize("data", [
    PNG + HTML,  # a page after IEND
    PNG[:33] + png_chunk(b"tEXt", b"Comment\x00" + HTML) + PNG[33:],  # a page inside a text chunk
    JPEG[:2] + b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML + JPEG[2:],  # a page in a JPEG comment
])
def test_a_polyglot_keeps_only_its_picture(data):
    checked = check_image(upload(data))
    assert b"<script" not in checked.data and b"<html" not in checked.data


def test_a_gifar_loses_its_archive():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Main-Class: Evil\n")
    checked = check_attachment(upload(GIF + archive.getvalue(), name="a.gif"))
    assert checked.kind == "gif" and b"PK\x03\x04" not in checked.data and b"MANIFEST" not in checked.data


def test_a_decompression_bomb_is_refused_from_its_header():
    data = bomb_png()
    assert len(data) < 1000
    with pytest.raises(UploadError, match="像素太多"):
        check_image(upload(data, "bomb.png"))
    with pytest.raises(UploadError, match="像素太多"):
        check_attachment(upload(data, "bomb.png"))


def test_a_picture_just_under_the_pixel_cap_is_not_a_bomb(settings):
    from shouhou.core import uploads

    wide = picture("PNG", size=(200, 100))
    assert clean_image(wide, "png")
    original = uploads.MAX_IMAGE_PIXELS
    uploads.MAX_IMAGE_PIXELS = 200 * 100 - 1
    try:
        with pytest.raises(UploadError, match="像素太多"):
            clean_image(wide, "png")
    finally:
        uploads.MAX_IMAGE_PIXELS = original


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
])
def test_an_svg_is_no_photo(data):
    with pytest.raises(UploadError, match="不是支持的图片格式"):
        check_image(upload(data, "a.svg"))
    with pytest.raises(UploadError, match="只能发送图片"):
        check_attachment(upload(data, "a.svg"))


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a signature and nothing
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,
    b"GIF89a" + HTML,
    JPEG[: len(JPEG) // 2],  # truncated
    PNG[:-20],
    b"RIFF\x00\x00\x00\x00WEBPVP8 " + HTML,
])
def test_a_signature_without_a_picture_is_refused(data):
    with pytest.raises(UploadError, match="不是真正的图片"):
        check_image(upload(data))
    with pytest.raises(UploadError, match="不是真正的图片"):
        check_attachment(upload(data))


def test_a_heic_that_cannot_be_decoded_here_is_refused_with_a_way_out():
    with pytest.raises(UploadError, match="兼容性最佳"):
        check_image(upload(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "IMG_0001.HEIC"))


def test_a_pdf_attachment_is_kept_as_sent():
    data = b"%PDF-1.4\n%%EOF\n"
    checked = check_attachment(ContentFile(data, name="发票.pdf"))
    assert checked.kind == "pdf" and checked.data == data


def test_an_upload_checked_twice_is_cleaned_once():
    sent = upload(gps_photo())
    first = check_image(sent).data
    assert check_image(sent).data == first


@pytest.mark.django_db
def test_case_evidence_is_stored_without_exif_or_trailing_page(shop):
    from shouhou.accounts.actors import SYSTEM
    from shouhou.cases import services as svc
    from shouhou.core.testing.factories import OrderLineFactory

    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    evidence = svc.case_add_evidence(actor=SYSTEM, case=case, upload=upload(gps_photo() + HTML))
    stored = evidence.file.read()
    assert b"SERIAL-0042" not in stored and b"<script" not in stored and evidence.size == len(stored)
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format == "JPEG" and not kept.getexif()


def test_an_animated_gif_keeps_its_frames_but_not_its_comment():
    frames = [Image.new("RGB", (6, 6), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0,
                   comment=b"<script>alert(1)</script>")
    checked = check_image(upload(out.getvalue(), "a.gif"))
    assert b"<script" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as again:
        assert again.n_frames == 3 and again.info.get("duration") == 120


@pytest.mark.django_db
def test_a_stored_file_is_served_sandboxed_and_never_sniffed(shop, agent_client):
    """A file stored before photos were decoded (a PNG header in front of a page) opened at its own address:
    served as what its bytes claim, never sniffed, and in a sandbox with nothing allowed."""
    from shouhou.core.testing.factories import CustomerFactory
    from shouhou.inbox.choices import Channel, Direction
    from shouhou.inbox.models import Conversation, Message

    conversation = Conversation.objects.create(shop=shop, channel=Channel.EMAIL, contact_handle="eve@example.com",
                                               customer=CustomerFactory(shop=shop))
    message = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="[图片]")
    message.attachment.save("old.png", ContentFile(PNG + HTML), save=True)
    served = agent_client.get(f"/desk/m/{message.pk}/file/")
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
    policy = served["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy


@pytest.mark.django_db
def test_a_picture_stored_by_any_caller_loses_its_exif(shop):
    """A channel that stores the bytes it received (an email attachment, a WeChat media file) instead of the
    checked ones: the storage writes the picture again (core/storage.py)."""
    from shouhou.core.testing.factories import CustomerFactory
    from shouhou.inbox.choices import Channel, Direction
    from shouhou.inbox.models import Conversation, Message

    conversation = Conversation.objects.create(shop=shop, channel=Channel.EMAIL, contact_handle="eve@example.com",
                                               customer=CustomerFactory(shop=shop))
    message = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="[图片]")
    message.attachment.save("mail-F1.jpg", ContentFile(gps_photo() + HTML), save=True)
    stored = message.attachment.read()
    assert b"SERIAL-0042" not in stored and b"<script" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format == "JPEG" and not kept.getexif()
    # what is no picture is stored as received (refusing it would lose the message); it is served sandboxed
    odd = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="[文件]")
    odd.attachment.save("mail-F2.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    assert odd.attachment.read() == b"%PDF-1.4\n%%EOF\n"


@pytest.mark.django_db
def test_a_checked_photo_is_not_compressed_a_second_time_when_stored(shop, monkeypatch):
    from shouhou.accounts.actors import SYSTEM
    from shouhou.cases import services as svc
    from shouhou.core import uploads
    from shouhou.core.testing.factories import OrderLineFactory

    calls = []
    real = uploads.clean_image
    monkeypatch.setattr(uploads, "clean_image", lambda data, kind: calls.append(kind) or real(data, kind))
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=OrderLineFactory(order__shop=shop),
                           reason="quality")
    svc.case_add_evidence(actor=SYSTEM, case=case, upload=upload(gps_photo()))
    assert calls == ["jpeg"]


@pytest.mark.parametrize(("data", "kind"), [(JPEG, "jpeg"), (PNG, "png"), (GIF, "gif"), (WEBP, "webp")])
def test_the_test_pictures_are_stored_byte_for_byte(data, kind):
    """Other apps' tests compare a stored photo with the one they sent (core/testing/images.py)."""
    assert clean_image(data, kind) == data
