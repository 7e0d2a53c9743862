"""Calendars installed with the 2026 China holidays typed in (sla.defaults before issue 15) follow the
`holidays` package instead ("public_holidays": "CN"), so 2027 and later are not counted as working days.
A calendar whose lists were edited by the shop is left as it is."""

from django.db import migrations

OLD_2026_HOLIDAYS = [
    "2026-01-01", "2026-01-02", "2026-01-03",
    *[f"2026-02-{d:02d}" for d in range(15, 24)],
    "2026-04-04", "2026-04-05", "2026-04-06",
    "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
    "2026-06-19", "2026-06-20", "2026-06-21",
    "2026-09-25", "2026-09-26", "2026-09-27",
    *[f"2026-10-{d:02d}" for d in range(1, 8)],
]
OLD_2026_MAKEUP = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def forwards(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    for row in BusinessCalendar.objects.all().only("pk", "spec"):
        spec = row.spec or {}
        if (sorted(spec.get("holidays") or []) == sorted(OLD_2026_HOLIDAYS)
                and sorted(spec.get("makeup_workdays") or []) == sorted(OLD_2026_MAKEUP)
                and not spec.get("public_holidays")):
            # the package has the same 2026 days off (weekend days inside a break are weekends anyway)
            row.spec = {**spec, "public_holidays": "CN", "holidays": [], "makeup_workdays": []}
            row.save(update_fields=["spec"])


def backwards(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    for row in BusinessCalendar.objects.all().only("pk", "spec"):
        spec = row.spec or {}
        if spec.get("public_holidays") == "CN" and not spec.get("holidays") and not spec.get("makeup_workdays") \
                and not spec.get("holidays_removed") and not spec.get("makeup_workdays_removed"):
            row.spec = {k: v for k, v in spec.items() if k != "public_holidays"} | {
                "holidays": OLD_2026_HOLIDAYS, "makeup_workdays": OLD_2026_MAKEUP}
            row.save(update_fields=["spec"])


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_calendars_and_policies")]
    operations = [migrations.RunPython(forwards, backwards)]
