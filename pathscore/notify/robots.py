"""Group robots of WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书).

A robot URL must be HTTPS on the provider's own host, so a misconfigured or malicious URL
can never make Pathscore call an internal address. Calls have a short time-out and a few
retries with back-off; a failing robot is logged and never breaks the business action.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

WECOM, DINGTALK, FEISHU = "wecom", "dingtalk", "feishu"
PROVIDER_HOSTS = {
    WECOM: ("qyapi.weixin.qq.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
TIMEOUT_SECONDS = 5
RETRIES = 3


def validate_robot_url(provider: str, url: str) -> str:
    parsed = urlparse(url or "")
    if parsed.scheme != "https":
        raise ValidationError(_("A robot URL must start with https://."))
    if parsed.hostname not in PROVIDER_HOSTS.get(provider, ()):
        raise ValidationError(
            _("This robot's URL must be on %(hosts)s.")
            % {"hosts": ", ".join(PROVIDER_HOSTS.get(provider, ()))}
        )
    if parsed.username or parsed.password or (parsed.port not in (None, 443)):
        raise ValidationError(_("A robot URL cannot carry credentials or another port."))
    return url


def payload(provider: str, title: str, body: str, url: str = "") -> dict:
    text = f"{title}\n{body}".strip() + (f"\n{url}" if url else "")
    if provider == FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}


def post(provider: str, robot_url: str, message: dict, *, opener=None, sleep=None) -> bool:
    """POST a message; True if the provider accepted it. Never raises."""
    opener = opener or urllib.request.urlopen
    sleep = sleep or time.sleep
    try:
        validate_robot_url(provider, robot_url)
    except ValidationError:
        logger.warning("refused to call an invalid %s robot URL", provider)
        return False
    data = json.dumps(message, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310  (scheme and host checked above)
        robot_url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    for attempt in range(RETRIES):
        try:
            with opener(request, timeout=TIMEOUT_SECONDS) as response:
                if 200 <= response.status < 300:
                    return True
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            logger.warning("%s robot call failed (attempt %d): %s", provider, attempt + 1, error)
        sleep(0.5 * 2**attempt)
    return False
