"""Robot URLs are validated; calls time out and retry; failures never raise."""

import pytest
from django.core.exceptions import ValidationError

from pathscore.notify import robots


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1"),
        ("wecom", "https://127.0.0.1/cgi-bin/webhook/send"),
        ("dingtalk", "https://qyapi.weixin.qq.com/robot/send"),
        ("feishu", "https://open.feishu.cn.evil.example/hook"),
        ("feishu", "https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/x"),
        ("dingtalk", "https://oapi.dingtalk.com:8443/robot/send"),
    ],
)
def test_bad_robot_urls_are_refused(provider, url):
    with pytest.raises(ValidationError):
        robots.validate_robot_url(provider, url)


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/abc"),
    ],
)
def test_provider_urls_are_accepted(provider, url):
    assert robots.validate_robot_url(provider, url) == url


def test_payload_shapes():
    assert robots.payload("feishu", "标题", "内容")["msg_type"] == "text"
    assert robots.payload("wecom", "标题", "内容", "/p/1")["text"]["content"] == "标题\n内容\n/p/1"


class _Response:
    def __init__(self, status):
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_post_retries_then_succeeds():
    attempts = []

    def opener(request, timeout):
        attempts.append(timeout)
        if len(attempts) < 2:
            raise TimeoutError
        return _Response(200)

    url = "https://oapi.dingtalk.com/robot/send?access_token=x"
    assert robots.post("dingtalk", url, {"msgtype": "text"}, opener=opener, sleep=lambda s: None)
    assert attempts == [robots.TIMEOUT_SECONDS, robots.TIMEOUT_SECONDS]


def test_post_never_calls_an_invalid_url():
    def opener(request, timeout):
        raise AssertionError("must not be called")

    assert robots.post("wecom", "https://10.0.0.1/hook", {}, opener=opener) is False
