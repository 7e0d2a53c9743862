"""Password strength: refuse what an attacker guesses first.

Django's validators catch short, all-digit, common and username-like passwords; `demo1234` and
`shouhou1` passed them. zxcvbn (a maintained estimator: dictionaries, keyboard patterns, dates, l33t)
scores a password 0–4 by the guesses it needs; the product's own words (its name, the demo logins,
role words) and the user's own attributes count as known words, so `shouhou2026!` is weak too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

# Words anyone who knows the product tries first.
PRODUCT_WORDS = ("shouhou", "售后", "shouhou-demo", "demo", "admin", "kefu", "zhuguan", "fenxi", "xiaolu",
                 "password", "mima", "denglu", "dianpu", "kuaidi", "zhibo", "taobao", "douyin")
MAX_CHECKED = 128  # zxcvbn is quadratic in length; longer passwords are not the guessable ones


class GuessablePasswordValidator:
    def __init__(self, min_score: int = 3):
        self.min_score = min_score

    def validate(self, password: str, user=None) -> None:
        inputs = list(PRODUCT_WORDS)
        if user is not None:
            inputs += [str(getattr(user, field, "") or "") for field in ("username", "first_name", "last_name",
                                                                        "email")]
        result = zxcvbn(password[:MAX_CHECKED], user_inputs=[i for i in inputs if i])
        if result["score"] < self.min_score:
            raise ValidationError(
                _("密码太容易被猜到：请用更长、不含常见词和店铺名称的密码（例如几个不相关的词组合）。"),
                code="password_guessable")

    def get_help_text(self) -> str:
        return _("密码不能是常见词、产品名或用户名加数字这类容易猜到的组合。")
