from __future__ import annotations

import pytest

from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def test_every_pair_of_states_follows_the_table(shop, line, agent):
    # given one case, put in each state in turn
    case = svc.case_create(shop=shop, order_line=line, reason="quality")
    allowed = refused = 0
    for src in S.values:
        for dst in S.values:
            Case.objects.filter(pk=case.pk).update(status=src)
            case.refresh_from_db()
            before = CaseEvent.objects.filter(case=case).count()
            if dst in svc.TRANSITIONS[src]:
                # when an allowed move is made, then it is recorded with who and from/to
                svc._move(case, dst, actor=agent, note=f"{src}->{dst}")
                ev = CaseEvent.objects.filter(case=case).last()
                assert (ev.from_status, ev.to_status, ev.actor, ev.note) == (src, dst, agent, f"{src}->{dst}")
                allowed += 1
            else:
                # when a move outside the table is tried, then it is refused and nothing is written
                with pytest.raises(svc.CaseError) as exc:
                    svc._move(case, dst, actor=agent)
                assert f"当前状态为「{S(src).label}」" in str(exc.value)
                assert f"不能变更为「{S(dst).label}」" in str(exc.value)
                assert CaseEvent.objects.filter(case=case).count() == before
                assert Case.objects.get(pk=case.pk).status == src
                refused += 1
    assert allowed == sum(len(v) for v in svc.TRANSITIONS.values()) == 26
    assert refused == 121 - 26
