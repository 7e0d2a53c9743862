"""shouhou policy check FILE | shouhou policy decide --policy FILE --claim CLAIM.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from shouhou.policies.claims import ClaimInputError, facts_from_json
from shouhou.policies.document import PolicyError, parse
from shouhou.policies.engine import decide

CHECK_HELP = "检查售后政策文件（TOML）：逐条指出写错的键和值及其位置"
DECIDE_HELP = "按政策文件对一个申请（JSON：line 与 claim 两部分）做出决定，打印可办理的方式、金额、期限和依据条款"


class Command(BaseCommand):
    help = "检查售后政策文件，或按政策对一个申请做出决定"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help=CHECK_HELP, description=CHECK_HELP)
        check.add_argument("file", help="政策文件路径（.toml）")
        dec = sub.add_parser("decide", help=DECIDE_HELP, description=DECIDE_HELP)
        dec.add_argument("--policy", required=True, help="政策文件路径（.toml）")
        dec.add_argument("--claim", required=True, help="申请文件路径（.json）")

    def _load(self, path: str) -> dict:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError([f"{path}: 无法读取文件（{exc.strerror}）"]) from exc
        except UnicodeDecodeError as exc:
            raise PolicyError([f"{path}: 不是 UTF-8 编码的文本（第 {exc.start} 字节）"]) from exc
        return parse(source)

    def handle(self, *args, **opts):
        try:
            if opts["action"] == "check":
                doc = self._load(opts["file"])
                self.stdout.write(f"政策文件有效：{doc['name']}（{len(doc.get('categories', {}))} 个品类规则）")
                return
            policy = self._load(opts["policy"])
            try:
                raw = json.loads(Path(opts["claim"]).read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError) as exc:  # unreadable, not UTF-8, not JSON, nested too deep
                raise ClaimInputError([f"{opts['claim']}: 不是有效的 JSON 文件（{exc}）"]) from exc
            line, claim, now = facts_from_json(raw)
            decision = decide(line, claim, now, policy=policy)
            self.stdout.write(json.dumps(decision.to_json(), ensure_ascii=False, indent=2))
        except (PolicyError, ClaimInputError) as exc:
            for err in exc.errors:
                self.stderr.write(err)
            sys.exit(1)
